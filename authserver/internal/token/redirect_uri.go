package token

import (
	"strings"

	oerrors "github.com/go-oauth2/oauth2/v4/errors"
	"github.com/go-oauth2/oauth2/v4/manage"

	"github.com/fastsafe/fastsafe/authserver/internal/redirecturi"
)

var _ manage.ValidateURIHandler = validateRedirectURI

// validateRedirectURI is the engine's redirect URI check: requested must
// be one of the registered redirect URIs (registered lists them separated
// by spaces, which no URI contains), as package redirecturi matches them.
// It replaces go-oauth2's DefaultValidateURI, which accepts any URI whose
// host ends with the registered host.
func validateRedirectURI(registered, requested string) error {
	if _, ok := redirecturi.Match(strings.Fields(registered), requested); !ok {
		return oerrors.ErrInvalidRedirectURI
	}
	return nil
}
