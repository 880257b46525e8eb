package config

import (
	"errors"
	"flag"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// env returns a getenv reading from m.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func newFlagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func TestDefaults(t *testing.T) {
	c := Defaults()
	want := Config{
		Addr:                      ":9096",
		Issuer:                    "http://localhost:9096",
		DB:                        "data/authserver.db",
		AccessTokenTTL:            30 * time.Minute,
		RefreshTokenTTL:           24 * time.Hour,
		RefreshTokenAbsoluteTTL:   720 * time.Hour,
		RefreshTokenGrace:         30 * time.Second,
		SessionTTL:                12 * time.Hour,
		SigningAlg:                "RS256",
		KeyActivateAfter:          10 * time.Minute,
		JWKSMaxAge:                5 * time.Minute,
		BcryptCost:                10,
		LogLevel:                  "info",
		LogFormat:                 "text",
		ShutdownTimeout:           15 * time.Second,
		ShutdownDrain:             5 * time.Second,
		LoginMaxFailures:          5,
		LoginLockout:              time.Minute,
		ClientMaxFailures:         100,
		AddressMaxFailures:        50,
		Registration:              "off",
		RegistrationGrants:        []string{"authorization_code", "refresh_token"},
		RegistrationMaxPerAddress: 20,
		RegistrationUnusedTTL:     24 * time.Hour,
		CleanupInterval:           10 * time.Minute,
		BootstrapAudience:         []string{"search-api"},
		BootstrapScopes:           []string{"search"},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Defaults() = %+v, want %+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Defaults().Validate() = %v, want nil", err)
	}
}

func TestEnvName(t *testing.T) {
	tests := map[string]string{
		"db":                         "AUTH_DB",
		"addr":                       "AUTH_ADDR",
		"access-token-ttl":           "AUTH_ACCESS_TOKEN_TTL",
		"refresh-token-absolute-ttl": "AUTH_REFRESH_TOKEN_ABSOLUTE_TTL",
		"bcrypt-cost":                "AUTH_BCRYPT_COST",
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			if got := EnvName(name); got != want {
				t.Errorf("EnvName(%q) = %q, want %q", name, got, want)
			}
		})
	}
}

// TestLoadEverySetting sets each setting once by flag and once by
// environment variable and checks it lands in its own field.
func TestLoadEverySetting(t *testing.T) {
	tests := []struct {
		flag  string
		value string
		get   func(Config) any
		want  any
	}{
		{"addr", "127.0.0.1:8080", func(c Config) any { return c.Addr }, "127.0.0.1:8080"},
		{"metrics-addr", "127.0.0.1:9097", func(c Config) any { return c.MetricsAddr }, "127.0.0.1:9097"},
		{"issuer", "https://auth.example.com", func(c Config) any { return c.Issuer }, "https://auth.example.com"},
		{"db", "/var/lib/auth.db", func(c Config) any { return c.DB }, "/var/lib/auth.db"},
		{"create-db", "true", func(c Config) any { return c.CreateDB }, true},
		{"access-token-ttl", "5m", func(c Config) any { return c.AccessTokenTTL }, 5 * time.Minute},
		{"refresh-token-ttl", "2h", func(c Config) any { return c.RefreshTokenTTL }, 2 * time.Hour},
		{"refresh-token-absolute-ttl", "48h", func(c Config) any { return c.RefreshTokenAbsoluteTTL }, 48 * time.Hour},
		{"refresh-token-grace", "5s", func(c Config) any { return c.RefreshTokenGrace }, 5 * time.Second},
		{"session-ttl", "2h", func(c Config) any { return c.SessionTTL }, 2 * time.Hour},
		{"registration", "token", func(c Config) any { return c.Registration }, "token"},
		{"registration-grants", "authorization_code", func(c Config) any { return strings.Join(c.RegistrationGrants, " ") }, "authorization_code"},
		{"registration-scopes", "search,files", func(c Config) any { return strings.Join(c.RegistrationScopes, " ") }, "search files"},
		{"registration-audiences", "search-api", func(c Config) any { return strings.Join(c.RegistrationAudiences, " ") }, "search-api"},
		{"registration-max-per-address", "5", func(c Config) any { return c.RegistrationMaxPerAddress }, 5},
		{"cleanup-interval", "1m", func(c Config) any { return c.CleanupInterval }, time.Minute},
		{"registration-unused-ttl", "1h", func(c Config) any { return c.RegistrationUnusedTTL }, time.Hour},
		{"signing-alg", "ES256", func(c Config) any { return c.SigningAlg }, "ES256"},
		{"key-activate-after", "1h", func(c Config) any { return c.KeyActivateAfter }, time.Hour},
		{"jwks-max-age", "90s", func(c Config) any { return c.JWKSMaxAge }, 90 * time.Second},
		{"bcrypt-cost", "12", func(c Config) any { return c.BcryptCost }, 12},
		{"bcrypt-concurrency", "3", func(c Config) any { return c.BcryptConcurrency }, 3},
		{"log-level", "debug", func(c Config) any { return c.LogLevel }, "debug"},
		{"log-format", "json", func(c Config) any { return c.LogFormat }, "json"},
		{"shutdown-timeout", "3s", func(c Config) any { return c.ShutdownTimeout }, 3 * time.Second},
		{"shutdown-drain", "0s", func(c Config) any { return c.ShutdownDrain }, time.Duration(0)},
		{"key-rotation", "720h", func(c Config) any { return c.KeyRotation }, 720 * time.Hour},
		{"cors-origins", "http://a:1,http://b:2", func(c Config) any { return strings.Join(c.CORSOrigins, " ") }, "http://a:1 http://b:2"},
		{"login-max-failures", "3", func(c Config) any { return c.LoginMaxFailures }, 3},
		{"login-lockout", "5m", func(c Config) any { return c.LoginLockout }, 5 * time.Minute},
		{"client-max-failures", "7", func(c Config) any { return c.ClientMaxFailures }, 7},
		{"address-max-failures", "9", func(c Config) any { return c.AddressMaxFailures }, 9},
		{"dpop-nonce", "true", func(c Config) any { return c.DPoPNonce }, true},
		{"trusted-proxies", "10.0.0.0/8, ::1", func(c Config) any { return strings.Join(c.TrustedProxies, " ") }, "10.0.0.0/8 ::1"},
		{"bootstrap-user", "demo", func(c Config) any { return c.BootstrapUser }, "demo"},
		{"bootstrap-password", "pw", func(c Config) any { return c.BootstrapPassword }, "pw"},
		{"bootstrap-client-id", "app", func(c Config) any { return c.BootstrapClientID }, "app"},
		{"bootstrap-client-secret", "s3cr3t", func(c Config) any { return c.BootstrapClientSecret }, "s3cr3t"},
		{"bootstrap-docs-client-id", "docs", func(c Config) any { return c.BootstrapDocsClientID }, "docs"},
		{"bootstrap-docs-redirect-uris", "http://localhost:8000/docs/oauth2-redirect.html, https://api.example.com/docs/oauth2-redirect.html", func(c Config) any { return strings.Join(c.BootstrapDocsRedirectURIs, " ") }, "http://localhost:8000/docs/oauth2-redirect.html https://api.example.com/docs/oauth2-redirect.html"},
		{"bootstrap-rp-client-id", "rp", func(c Config) any { return c.BootstrapRPClientID }, "rp"},
		{"bootstrap-rp-client-secret", "rp-s3cr3t", func(c Config) any { return c.BootstrapRPClientSecret }, "rp-s3cr3t"},
		{"bootstrap-rp-redirect-uris", "http://localhost:4180/oauth2/callback", func(c Config) any { return strings.Join(c.BootstrapRPRedirectURIs, " ") }, "http://localhost:4180/oauth2/callback"},
		{"bootstrap-rp-client-name", "Search demo (oauth2-proxy)", func(c Config) any { return c.BootstrapRPClientName }, "Search demo (oauth2-proxy)"},
		{"bootstrap-audience", "api-a, api-b", func(c Config) any { return strings.Join(c.BootstrapAudience, " ") }, "api-a api-b"},
		{"bootstrap-scopes", "read,write", func(c Config) any { return strings.Join(c.BootstrapScopes, " ") }, "read write"},
	}
	if len(tests) != len(FlagNames()) {
		t.Fatalf("test covers %d settings, Register defines %d", len(tests), len(FlagNames()))
	}
	for _, tt := range tests {
		t.Run(tt.flag+"/flag", func(t *testing.T) {
			c, err := Load(newFlagSet(), []string{"--" + tt.flag + "=" + tt.value}, env(nil))
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.get(c); got != tt.want {
				t.Errorf("--%s %s: field = %v, want %v", tt.flag, tt.value, got, tt.want)
			}
			if got := tt.get(Defaults()); got == tt.want {
				t.Fatalf("test value %v equals the default; the test would not notice a missing binding", got)
			}
		})
		t.Run(tt.flag+"/env", func(t *testing.T) {
			c, err := Load(newFlagSet(), nil, env(map[string]string{EnvName(tt.flag): tt.value}))
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.get(c); got != tt.want {
				t.Errorf("%s=%s: field = %v, want %v", EnvName(tt.flag), tt.value, got, tt.want)
			}
		})
	}
}

func TestLoadPrecedence(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"default", nil, nil, "data/authserver.db"},
		{"env over default", nil, map[string]string{"AUTH_DB": "env.db"}, "env.db"},
		{"flag over default", []string{"--db", "flag.db"}, nil, "flag.db"},
		{"flag over env", []string{"--db=flag.db"}, map[string]string{"AUTH_DB": "env.db"}, "flag.db"},
		{"empty env is unset", nil, map[string]string{"AUTH_DB": ""}, "data/authserver.db"},
		{"other env ignored", nil, map[string]string{"DB": "x.db", "AUTH_DATABASE": "y.db"}, "data/authserver.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(newFlagSet(), tt.args, env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if c.DB != tt.want {
				t.Errorf("DB = %q, want %q", c.DB, tt.want)
			}
		})
	}
}

func TestLoadKeepsOtherFlagsAndArgs(t *testing.T) {
	fs := newFlagSet()
	email := fs.String("email", "", "")
	c, err := Load(fs, []string{"--email", "a@example.com", "--bcrypt-cost", "11", "bob", "extra"},
		env(map[string]string{"AUTH_BCRYPT_COST": "12", "AUTH_LOG_LEVEL": "warn"}))
	if err != nil {
		t.Fatal(err)
	}
	if *email != "a@example.com" {
		t.Errorf("email = %q", *email)
	}
	if c.BcryptCost != 11 || c.LogLevel != "warn" {
		t.Errorf("BcryptCost, LogLevel = %d, %q; want 11, warn", c.BcryptCost, c.LogLevel)
	}
	if got := strings.Join(fs.Args(), " "); got != "bob extra" {
		t.Errorf("fs.Args() = %q, want %q", got, "bob extra")
	}
}

func TestLoadMalformedEnv(t *testing.T) {
	_, err := Load(newFlagSet(), nil, env(map[string]string{
		"AUTH_ACCESS_TOKEN_TTL": "thirty minutes",
		"AUTH_BCRYPT_COST":      "ten",
		"AUTH_DB":               "fine.db",
	}))
	if err == nil {
		t.Fatal("Load with malformed variables succeeded")
	}
	for _, want := range []string{
		`AUTH_ACCESS_TOKEN_TTL="thirty minutes" is not a duration`,
		`AUTH_BCRYPT_COST="ten" is not a whole number`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "AUTH_DB") {
		t.Errorf("error %q blames a valid variable", err)
	}
}

// A malformed variable whose flag was given is never read, so it is no
// error: the flag wins.
func TestLoadFlagHidesMalformedEnv(t *testing.T) {
	c, err := Load(newFlagSet(), []string{"--bcrypt-cost", "5"}, env(map[string]string{"AUTH_BCRYPT_COST": "ten"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.BcryptCost != 5 {
		t.Errorf("BcryptCost = %d, want 5", c.BcryptCost)
	}
}

func TestLoadMalformedFlag(t *testing.T) {
	_, err := Load(newFlagSet(), []string{"--access-token-ttl", "soon"}, env(nil))
	if err == nil || !strings.Contains(err.Error(), "access-token-ttl") {
		t.Errorf("Load(--access-token-ttl soon) error = %v, want one naming the flag", err)
	}
	_, err = Load(newFlagSet(), []string{"-h"}, env(nil))
	if !errors.Is(err, flag.ErrHelp) {
		t.Errorf("Load(-h) error = %v, want flag.ErrHelp", err)
	}
}

func TestRegisterUsageNamesEnvAndDefault(t *testing.T) {
	fs := newFlagSet()
	c := Defaults()
	Register(fs, &c)
	wantDefault := map[string]string{
		"addr":                       `default ":9096"`,
		"db":                         `default "data/authserver.db"`,
		"access-token-ttl":           "default 30m)",
		"refresh-token-absolute-ttl": "default 720h)",
		"shutdown-timeout":           "default 15s)",
		"bcrypt-cost":                "default 10)",
	}
	n := 0
	fs.VisitAll(func(f *flag.Flag) {
		n++
		if !strings.Contains(f.Usage, "env "+EnvName(f.Name)) {
			t.Errorf("usage of --%s = %q does not name %s", f.Name, f.Usage, EnvName(f.Name))
		}
		if !strings.Contains(f.Usage, "default ") {
			t.Errorf("usage of --%s = %q does not name the default", f.Name, f.Usage)
		}
		if w, ok := wantDefault[f.Name]; ok && !strings.Contains(f.Usage, w) {
			t.Errorf("usage of --%s = %q does not contain %q", f.Name, f.Usage, w)
		}
		if !slices.Contains(FlagNames(), f.Name) {
			t.Errorf("FlagNames() lacks %q", f.Name)
		}
	})
	if n != len(FlagNames()) {
		t.Errorf("Register defined %d flags, FlagNames lists %d", n, len(FlagNames()))
	}
}
