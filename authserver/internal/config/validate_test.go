package config

import (
	"flag"
	"strings"
	"testing"
	"time"
)

func TestValidateOneProblem(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
		want   string // substring of the error; "" means valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"https issuer with path", func(c *Config) { c.Issuer = "https://auth.example.com/tenant-1" }, ""},
		{"issuer with port", func(c *Config) { c.Issuer = "https://auth.example.com:8443" }, ""},
		{"issuer empty", func(c *Config) { c.Issuer = "" }, "--issuer \"\" is empty"},
		{"issuer relative", func(c *Config) { c.Issuer = "auth.example.com" }, "must be an absolute URL"},
		{"issuer ftp", func(c *Config) { c.Issuer = "ftp://auth.example.com" }, "must be an absolute URL"},
		{"issuer no host", func(c *Config) { c.Issuer = "https:///path" }, "has no host"},
		{"issuer trailing slash", func(c *Config) { c.Issuer = "https://auth.example.com/" }, "must not end with a slash"},
		{"issuer path trailing slash", func(c *Config) { c.Issuer = "https://auth.example.com/t/" }, "must not end with a slash"},
		{"issuer query", func(c *Config) { c.Issuer = "https://auth.example.com?a=b" }, "must not have a query"},
		{"issuer empty query", func(c *Config) { c.Issuer = "https://auth.example.com?" }, "must not have a query"},
		{"issuer fragment", func(c *Config) { c.Issuer = "https://auth.example.com#x" }, "must not have a fragment"},
		{"issuer empty fragment", func(c *Config) { c.Issuer = "https://auth.example.com#" }, "must not have a fragment"},
		{"issuer user info", func(c *Config) { c.Issuer = "https://u:p@auth.example.com" }, "user name or password"},
		{"issuer unparsable", func(c *Config) { c.Issuer = "https://auth example.com/%zz" }, "is not a URL"},
		{"addr empty", func(c *Config) { c.Addr = "" }, "--addr is empty"},
		{"addr no port", func(c *Config) { c.Addr = "localhost" }, "--addr \"localhost\" is not host:port"},
		{"addr empty port", func(c *Config) { c.Addr = "localhost:" }, "is not host:port"},
		{"metrics addr separate", func(c *Config) { c.MetricsAddr = "127.0.0.1:9097" }, ""},
		{"metrics addr no port", func(c *Config) { c.MetricsAddr = "localhost" }, "--metrics-addr \"localhost\" is not host:port"},
		{"metrics addr same as addr", func(c *Config) { c.MetricsAddr = c.Addr }, "is the same as --addr"},
		{"db empty", func(c *Config) { c.DB = "" }, "--db is empty"},
		{"access ttl zero", func(c *Config) { c.AccessTokenTTL = 0 }, "--access-token-ttl must be greater than zero, not 0s"},
		{"refresh ttl negative", func(c *Config) { c.RefreshTokenTTL = -time.Minute }, "--refresh-token-ttl must be greater than zero, not -1m"},
		{"absolute ttl zero", func(c *Config) { c.RefreshTokenAbsoluteTTL = 0 }, "--refresh-token-absolute-ttl must be greater than zero"},
		{"session ttl zero", func(c *Config) { c.SessionTTL = 0 }, "--session-ttl must be greater than zero"},
		{"refresh ttl over absolute", func(c *Config) { c.RefreshTokenTTL = 48 * time.Hour; c.RefreshTokenAbsoluteTTL = 24 * time.Hour },
			"--refresh-token-ttl (48h) must not be longer than --refresh-token-absolute-ttl (24h)"},
		{"refresh ttl equal absolute", func(c *Config) { c.RefreshTokenTTL = 24 * time.Hour; c.RefreshTokenAbsoluteTTL = 24 * time.Hour }, ""},
		{"refresh grace off", func(c *Config) { c.RefreshTokenGrace = 0 }, ""},
		{"refresh grace negative", func(c *Config) { c.RefreshTokenGrace = -time.Second }, "--refresh-token-grace must be from 0 (off) to 5m, not -1s"},
		{"refresh grace too long", func(c *Config) { c.RefreshTokenGrace = 6 * time.Minute }, "--refresh-token-grace must be from 0 (off) to 5m, not 6m"},
		{"refresh grace beyond the idle ttl", func(c *Config) { c.RefreshTokenTTL = time.Minute; c.RefreshTokenGrace = time.Minute },
			"--refresh-token-grace (1m) must be shorter than --refresh-token-ttl (1m)"},
		{"alg ES256", func(c *Config) { c.SigningAlg = "ES256" }, ""},
		{"alg EdDSA", func(c *Config) { c.SigningAlg = "EdDSA" }, ""},
		{"alg HS256", func(c *Config) { c.SigningAlg = "HS256" }, `--signing-alg "HS256" is not one of RS256, ES256, EdDSA`},
		{"alg lower case", func(c *Config) { c.SigningAlg = "rs256" }, `--signing-alg "rs256"`},
		{"alg none", func(c *Config) { c.SigningAlg = "none" }, `--signing-alg "none"`},
		{"activate after zero", func(c *Config) { c.KeyActivateAfter = 0 }, ""},
		{"activate after negative", func(c *Config) { c.KeyActivateAfter = -time.Second }, "--key-activate-after must not be negative"},
		{"jwks max age zero", func(c *Config) { c.JWKSMaxAge = 0 }, ""},
		{"jwks max age negative", func(c *Config) { c.JWKSMaxAge = -time.Second }, "--jwks-max-age must not be negative"},
		{"bcrypt cost 4", func(c *Config) { c.BcryptCost = 4 }, ""},
		{"bcrypt cost 31", func(c *Config) { c.BcryptCost = 31 }, ""},
		{"bcrypt cost 3", func(c *Config) { c.BcryptCost = 3 }, "--bcrypt-cost must be from 4 to 31, not 3"},
		{"bcrypt cost 32", func(c *Config) { c.BcryptCost = 32 }, "--bcrypt-cost must be from 4 to 31, not 32"},
		{"bcrypt concurrency 1", func(c *Config) { c.BcryptConcurrency = 1 }, ""},
		{"bcrypt concurrency negative", func(c *Config) { c.BcryptConcurrency = -1 }, "--bcrypt-concurrency must be from 0"},
		{"bcrypt concurrency huge", func(c *Config) { c.BcryptConcurrency = MaxBcryptConcurrency + 1 }, "--bcrypt-concurrency must be from 0"},
		{"log level upper case", func(c *Config) { c.LogLevel = "DEBUG" }, ""},
		{"log level bad", func(c *Config) { c.LogLevel = "verbose" }, `--log-level "verbose" is not one of debug, info, warn, error`},
		{"log format json", func(c *Config) { c.LogFormat = "json" }, ""},
		{"log format bad", func(c *Config) { c.LogFormat = "xml" }, `--log-format "xml" is not text or json`},
		{"shutdown zero", func(c *Config) { c.ShutdownTimeout = 0 }, "--shutdown-timeout must be greater than zero"},
		{"shutdown drain zero", func(c *Config) { c.ShutdownDrain = 0 }, ""},
		{"shutdown drain negative", func(c *Config) { c.ShutdownDrain = -time.Second }, "--shutdown-drain must not be negative"},
		{"key rotation 720h", func(c *Config) { c.KeyRotation = 720 * time.Hour }, ""},
		{"key rotation just long enough", func(c *Config) { c.KeyRotation = 40*time.Minute + time.Second }, ""},
		{"key rotation too short", func(c *Config) { c.KeyRotation = 40 * time.Minute },
			"--key-rotation 40m must be longer than --access-token-ttl plus --key-activate-after (40m)"},
		{"key rotation negative", func(c *Config) { c.KeyRotation = -time.Hour }, "--key-rotation must not be negative"},
		{"access ttl 24h", func(c *Config) { c.AccessTokenTTL = 24 * time.Hour }, ""},
		{"access ttl over 24h", func(c *Config) { c.AccessTokenTTL = 25 * time.Hour }, "--access-token-ttl must be at most 24h, not 25h"},
		{"limits off", func(c *Config) { c.LoginMaxFailures, c.ClientMaxFailures, c.AddressMaxFailures = 0, 0, 0 }, ""},
		{"login max failures negative", func(c *Config) { c.LoginMaxFailures = -1 }, "--login-max-failures must not be negative"},
		{"client max failures negative", func(c *Config) { c.ClientMaxFailures = -1 }, "--client-max-failures must not be negative"},
		{"address max failures negative", func(c *Config) { c.AddressMaxFailures = -1 }, "--address-max-failures must not be negative"},
		{"login lockout zero", func(c *Config) { c.LoginLockout = 0 }, "--login-lockout must be greater than zero and at most 24h, not 0s"},
		{"login lockout too long", func(c *Config) { c.LoginLockout = 25 * time.Hour }, "--login-lockout must be greater than zero and at most 24h"},
		{"trusted proxies", func(c *Config) { c.TrustedProxies = []string{"10.0.0.0/8", "192.0.2.7", "::1", "fd00::/8"} }, ""},
		{"trusted proxy a host name", func(c *Config) { c.TrustedProxies = []string{"proxy.example"} }, `--trusted-proxies: "proxy.example" is not an IP address or a CIDR range`},
		{"trusted proxy a bad range", func(c *Config) { c.TrustedProxies = []string{"10.0.0.0/40"} }, `--trusted-proxies: "10.0.0.0/40"`},
		{"bootstrap user and clients", func(c *Config) {
			c.BootstrapUser, c.BootstrapPassword = "demo", "pw"
			c.BootstrapClientID, c.BootstrapClientSecret = "app", strings.Repeat("s", 32)
			c.BootstrapDocsClientID = "docs"
			c.BootstrapDocsRedirectURIs = []string{"http://localhost:8000/docs/oauth2-redirect.html"}
			c.BootstrapRPClientID, c.BootstrapRPClientSecret = "rp", strings.Repeat("r", 32)
			c.BootstrapRPRedirectURIs = []string{"http://localhost:4180/oauth2/callback"}
			c.BootstrapRPClientName = "Search demo (oauth2-proxy)"
		}, ""},
		{"bootstrap relying party without redirect URIs", func(c *Config) { c.BootstrapRPClientID, c.BootstrapRPClientSecret = "rp", strings.Repeat("r", 32) },
			"--bootstrap-rp-redirect-uris is required with --bootstrap-rp-client-id"},
		{"bootstrap docs redirect URI over http", func(c *Config) {
			c.BootstrapDocsClientID, c.BootstrapDocsRedirectURIs = "docs", []string{"http://api.example.com/docs/oauth2-redirect.html"}
		}, "--bootstrap-docs-redirect-uris: redirect URI \"http://api.example.com/docs/oauth2-redirect.html\" uses http on a host that is not loopback"},
		{"bootstrap user without password", func(c *Config) { c.BootstrapUser = "demo" }, "--bootstrap-password is required with --bootstrap-user"},
		{"bootstrap short secret", func(c *Config) { c.BootstrapClientID, c.BootstrapClientSecret = "app", "short" }, "--bootstrap-client-secret must be 32 to 512"},
		{"bootstrap client without audience", func(c *Config) { c.BootstrapDocsClientID, c.BootstrapAudience = "docs", nil }, "--bootstrap-audience is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Defaults()
			tt.modify(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && err == nil:
				t.Errorf("Validate() = nil, want an error containing %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Errorf("Validate() = %q, want it to contain %q", err, tt.want)
			case tt.want != "" && len(unjoin(err)) != 1:
				t.Errorf("Validate() reported %d problems, want 1: %v", len(unjoin(err)), err)
			}
		})
	}
}

// TestValidateEveryProblem checks that Validate lists every problem, one
// per line, rather than stopping at the first.
func TestValidateEveryProblem(t *testing.T) {
	c := Config{
		Addr:                      "nowhere",
		Issuer:                    "https://auth.example.com/",
		DB:                        "",
		AccessTokenTTL:            0,
		RefreshTokenTTL:           48 * time.Hour,
		RefreshTokenAbsoluteTTL:   time.Hour,
		SigningAlg:                "HS256",
		KeyActivateAfter:          -1,
		JWKSMaxAge:                -1,
		BcryptCost:                2,
		LogLevel:                  "loud",
		LogFormat:                 "yaml",
		ShutdownTimeout:           0,
		LoginMaxFailures:          -1,
		LoginLockout:              0,
		TrustedProxies:            []string{"proxy.example"},
		Registration:              "sometimes",
		RegistrationGrants:        []string{"password"},
		RegistrationMaxPerAddress: -1,
		RegistrationUnusedTTL:     -1,
	}
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate() = nil")
	}
	want := []string{
		"--addr", "--issuer", "--db", "--access-token-ttl", "--session-ttl", "--refresh-token-ttl (48h) must not be longer",
		"--signing-alg", "--key-activate-after", "--jwks-max-age", "--bcrypt-cost", "--log-level",
		"--log-format", "--shutdown-timeout", "--login-max-failures", "--login-lockout", "--trusted-proxies",
		"--registration \"sometimes\"", "--registration-grants", "--registration-max-per-address", "--registration-unused-ttl",
		"--cleanup-interval",
	}
	errs := unjoin(err)
	if len(errs) != len(want) {
		t.Errorf("Validate() reported %d problems, want %d:\n%v", len(errs), len(want), err)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(errs) {
		t.Errorf("error has %d lines for %d problems:\n%v", len(lines), len(errs), err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("Validate() does not mention %q:\n%v", w, err)
		}
	}
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

func TestValidateCORSOrigins(t *testing.T) {
	tests := []struct {
		origin string
		ok     bool
	}{
		{"http://localhost:8000", true},
		{"https://docs.example.com", true},
		{"*", false},
		{"localhost:8000", false},
		{"http://localhost:8000/", false},
		{"http://localhost:8000/docs", false},
		{"ftp://x", false},
	}
	for _, tt := range tests {
		t.Run(tt.origin, func(t *testing.T) {
			c := Defaults()
			c.CORSOrigins = []string{tt.origin}
			if err := c.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate(%q) = %v, want ok=%v", tt.origin, err, tt.ok)
			}
		})
	}
}

func TestCORSOriginsFromEnv(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	c, err := Load(fs, nil, func(k string) string {
		if k == "AUTH_CORS_ORIGINS" {
			return "http://localhost:8000, https://docs.example.com"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.CORSOrigins) != 2 || c.CORSOrigins[0] != "http://localhost:8000" || c.CORSOrigins[1] != "https://docs.example.com" {
		t.Errorf("CORSOrigins = %q", c.CORSOrigins)
	}
}
