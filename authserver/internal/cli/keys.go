package cli

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/config"
	"github.com/fastsafe/fastsafe/authserver/internal/signing"
)

var keysListCommand = command{
	name:    "keys list",
	summary: "list the signing keys and their states (never the private keys)",
	details: `A key is published in the JWKS from CREATED, signs from ACTIVATES until its
successor activates (RETIRED), and stays published until the last access
token it signed has expired (UNPUBLISHED AFTER, from --access-token-ttl).
Times are in UTC.`,
	db: dbExisting,
	setup: func(*flag.FlagSet) action {
		return func(ctx context.Context, a *app, _ []string) error {
			keys, err := a.db.ListSigningKeys(ctx)
			if err != nil {
				return fmt.Errorf("listing signing keys: %w", err)
			}
			t := newTable(a.stdout, "KID", "ALG", "STATE", "CREATED", "ACTIVATES", "RETIRED", "UNPUBLISHED AFTER")
			for _, k := range signing.Describe(keys, a.now(), a.cfg.AccessTokenTTL) {
				t.row(k.ID, k.Algorithm, string(k.State), timestamp(k.CreatedAt), timestamp(k.ActivatesAt),
					timestamp(k.RetiredAt), timestamp(k.UnpublishAt))
			}
			return t.flush()
		}
	},
}

var keysRotateCommand = command{
	name:    "keys rotate",
	summary: "create a new signing key, published now, signing after --activate-after",
	details: `The new key, of --signing-alg, is published in the JWKS at once and starts
signing once resource servers have had time to fetch it. The current key
keeps signing until then, and stays published until its last token expires.
If no key is active, the new key signs at once unless --activate-after is
given.`,
	db: dbExisting,
	setup: func(fs *flag.FlagSet) action {
		activate := fs.Duration("activate-after", 0, "how long the new key is published before it signs (default: --key-activate-after)")
		return func(ctx context.Context, a *app, _ []string) error {
			now := a.now()
			d := a.cfg.KeyActivateAfter
			explicit := flagSet(fs, "activate-after")
			if explicit {
				d = *activate
			}
			if d < 0 {
				return usagef("keys rotate", "--activate-after must not be negative, not %s", config.FormatDuration(d))
			}
			// With no active key nothing can be signed, and there is no
			// verifier to give time: unless told otherwise, sign at once.
			if !explicit {
				active, err := a.hasActiveKey(ctx, now)
				if err != nil {
					return err
				}
				if !active {
					d = 0
				}
			}
			k, err := signing.Rotate(ctx, a.db, a.cfg.SigningAlg, now, d)
			if err != nil {
				return fmt.Errorf("rotating the signing key: %w", err)
			}
			a.audit(ctx, "signing key rotated", "kid", k.ID, "alg", k.Algorithm,
				"activates_at", k.ActivatesAt.UTC().Format(time.RFC3339))
			if d == 0 {
				fmt.Fprintf(a.stdout, "new %s signing key %s published; it signs at once\n", k.Algorithm, k.ID)
				return nil
			}
			fmt.Fprintf(a.stdout, "new %s signing key %s published; it signs from %s (in %s)\n",
				k.Algorithm, k.ID, timestamp(k.ActivatesAt), config.FormatDuration(k.ActivatesAt.Sub(now).Round(time.Second)))
			return nil
		}
	},
}

// hasActiveKey reports whether a key signs at now.
func (a *app) hasActiveKey(ctx context.Context, now time.Time) (bool, error) {
	keys, err := a.db.ListSigningKeys(ctx)
	if err != nil {
		return false, fmt.Errorf("listing signing keys: %w", err)
	}
	for _, k := range signing.Describe(keys, now, a.cfg.AccessTokenTTL) {
		if k.State == signing.StateActive {
			return true, nil
		}
	}
	return false, nil
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}
