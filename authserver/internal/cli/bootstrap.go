package cli

import (
	"context"

	"github.com/fastsafe/fastsafe/authserver/internal/bootstrap"
	"github.com/fastsafe/fastsafe/authserver/internal/password"
)

// bootstrap creates the initial user and clients of the --bootstrap-*
// settings (validated with the others), if they ask for any and no earlier
// start has created them.
func (a *app) bootstrap(ctx context.Context) error {
	spec := a.cfg.BootstrapSpec()
	if !spec.Enabled() {
		return nil
	}
	hasher, err := password.NewHasher(a.cfg.BcryptCost, 1)
	if err != nil {
		return err
	}
	_, err = bootstrap.New(a.db, hasher, a.log, a.now).Run(ctx, spec)
	return err
}
