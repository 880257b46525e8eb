package cli

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/config"
	"github.com/fastsafe/fastsafe/authserver/internal/signing"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

var keysRevokeCommand = command{
	name:    "keys revoke",
	args:    []string{"KID"},
	summary: "withdraw a signing key at once: unpublished, never used again, its tokens inactive",
	details: `For a key that may be compromised. The key leaves the JWKS and stops
signing: if it was the key that signs, the key published to succeed it signs
from now on, without waiting for its activation time, or, if there is none,
a new key of --signing-alg is created that signs at once. Introspection and
userinfo refuse the tokens it signed at once; running servers stop
publishing and using it within 2 seconds (their key reload). Resource
servers keep accepting its tokens until they next fetch the key set: within
the JWKS cache time (--jwks-max-age); send them SIGHUP, or restart them, to
drop it at once. Revoking a key twice is not an error.`,
	db: dbExisting,
	setup: func(*flag.FlagSet) action {
		return func(ctx context.Context, a *app, args []string) error {
			return a.revokeKey(ctx, args[0])
		}
	},
}

// revokeKey revokes the signing key kid, first creating a key that signs
// at once if no key would sign without it.
func (a *app) revokeKey(ctx context.Context, kid string) error {
	now := a.now()
	keys, err := a.db.ListSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("listing signing keys: %w", err)
	}
	var (
		target    store.SigningKey
		found     bool
		successor string
	)
	for _, k := range keys {
		switch {
		case k.ID == kid:
			target, found = k, true
		case found && !k.Revoked() && successor == "":
			// Keys come ordered by activation: the first newer one that is
			// not revoked takes over.
			successor = k.ID
		}
	}
	if !found {
		return fmt.Errorf("no signing key %q; 'authserver keys list' shows them", kid)
	}
	if target.Revoked() {
		fmt.Fprintf(a.stdout, "signing key %s was revoked already, at %s\n", kid, timestamp(target.RevokedAt))
		return nil
	}
	state := signing.StateExpired
	for _, info := range signing.Describe(keys, now, a.cfg.AccessTokenTTL) {
		if info.ID == kid {
			state = info.State
		}
	}
	if state == signing.StateActive && successor == "" {
		// Created before the revocation, so that no server ever finds
		// no key to sign with.
		k, err := signing.Rotate(ctx, a.db, a.cfg.SigningAlg, now, 0)
		if err != nil {
			return fmt.Errorf("creating a key to replace %s: %w", kid, err)
		}
		a.audit(ctx, "signing key rotated", "kid", k.ID, "alg", k.Algorithm,
			"activates_at", k.ActivatesAt.UTC().Format(time.RFC3339), "replaces", kid)
		successor = k.ID
	}
	if err := a.db.RevokeSigningKey(ctx, kid, now); err != nil {
		return fmt.Errorf("revoking signing key %s: %w", kid, err)
	}
	attrs := []any{"kid", kid, "alg", target.Algorithm, "state", string(state)}
	if state == signing.StateActive {
		attrs = append(attrs, "signs_now", successor)
	}
	a.audit(ctx, "signing key revoked", attrs...)

	fmt.Fprintf(a.stdout, "signing key %s revoked: unpublished, never used again, its tokens inactive at introspection now.\n", kid)
	if state == signing.StateActive {
		fmt.Fprintf(a.stdout, "Key %s signs from now on; running servers switch to it within %s.\n",
			successor, config.FormatDuration(signing.DefaultReloadInterval))
	}
	fmt.Fprintf(a.stdout, "Resource servers drop it at their next key set refresh, within %s (--jwks-max-age);\n"+
		"send them SIGHUP, or restart them, to drop it at once.\n", config.FormatDuration(a.cfg.JWKSMaxAge))
	return nil
}
