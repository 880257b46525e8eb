package config

import "github.com/fastsafe/fastsafe/authserver/internal/bootstrap"

// BootstrapSpec returns the initial user and clients the --bootstrap-*
// settings ask for.
func (c Config) BootstrapSpec() bootstrap.Spec {
	return bootstrap.Spec{
		Username:     c.BootstrapUser,
		Password:     c.BootstrapPassword,
		ClientID:     c.BootstrapClientID,
		ClientSecret: c.BootstrapClientSecret,
		DocsClientID: c.BootstrapDocsClientID,

		DocsRedirectURIs: c.BootstrapDocsRedirectURIs,
		RPClientID:       c.BootstrapRPClientID,
		RPClientSecret:   c.BootstrapRPClientSecret,
		RPRedirectURIs:   c.BootstrapRPRedirectURIs,
		RPClientName:     c.BootstrapRPClientName,

		Audience: c.BootstrapAudience,
		Scopes:   c.BootstrapScopes,
	}
}
