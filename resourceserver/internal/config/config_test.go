package config

import (
	"bytes"
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, args []string, env map[string]string) (Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("resourceserver", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return Load(fs, args, func(k string) string { return env[k] })
}

func TestLoadPrecedence(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want func(Config) bool
	}{
		{"defaults", nil, nil, func(c Config) bool { return c == Defaults() }},
		{"env overrides default", nil, map[string]string{"RS_ADDR": ":9000", "RS_JWKS_URL": "http://auth:9096/jwks"},
			func(c Config) bool { return c.Addr == ":9000" && c.JWKSURL == "http://auth:9096/jwks" }},
		{"flag overrides env", []string{"--addr", ":9001"}, map[string]string{"RS_ADDR": ":9000"},
			func(c Config) bool { return c.Addr == ":9001" }},
		{"empty env leaves default", nil, map[string]string{"RS_AUDIENCE": ""},
			func(c Config) bool { return c.Audience == "search-api" }},
		{"duration from env", nil, map[string]string{"RS_SHUTDOWN_TIMEOUT": "3s"},
			func(c Config) bool { return c.ShutdownTimeout == 3*time.Second }},
		{"new durations from env", nil, map[string]string{"RS_JWKS_WAIT": "500ms", "RS_SHUTDOWN_DRAIN": "0s"},
			func(c Config) bool { return c.JWKSWait == 500*time.Millisecond && c.ShutdownDrain == 0 }},
		{"new durations from flags", []string{"--jwks-wait=3s", "--shutdown-drain", "10s"}, nil,
			func(c Config) bool { return c.JWKSWait == 3*time.Second && c.ShutdownDrain == 10*time.Second }},
		{"number from env", nil, map[string]string{"RS_TOKEN_CACHE_SIZE": "0"},
			func(c Config) bool { return c.TokenCacheSize == 0 }},
		{"number from flag", []string{"--token-cache-size", "500"}, map[string]string{"RS_TOKEN_CACHE_SIZE": "0"},
			func(c Config) bool { return c.TokenCacheSize == 500 }},
		{"authorization url from env", nil, map[string]string{"RS_AUTHORIZATION_URL": "https://auth.example.com/oauth/authorize"},
			func(c Config) bool { return c.AuthorizationEndpoint() == "https://auth.example.com/oauth/authorize" }},
		{"boolean from env", nil, map[string]string{"RS_REQUIRE_DPOP": "true"},
			func(c Config) bool { return c.RequireDPoP }},
		{"boolean from flag", []string{"--require-dpop=false"}, map[string]string{"RS_REQUIRE_DPOP": "true"},
			func(c Config) bool { return !c.RequireDPoP }},
		{"multi-word flag", []string{"-docs-client-id=swagger", "--trusted-proxies=10.0.0.0/8, 192.168.1.1"}, nil,
			func(c Config) bool {
				p := c.Proxies()
				return c.DocsClientID == "swagger" && len(p) == 2 && p[0] == "10.0.0.0/8" && p[1] == "192.168.1.1"
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := load(t, tt.args, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.want(c) {
				t.Errorf("unexpected config %+v", c)
			}
		})
	}
}

func TestLoadMalformedEnvNamesEveryVariable(t *testing.T) {
	_, err := load(t, nil, map[string]string{"RS_SHUTDOWN_TIMEOUT": "soon"})
	if err == nil || !strings.Contains(err.Error(), "RS_SHUTDOWN_TIMEOUT") {
		t.Fatalf("got %v, want an error naming RS_SHUTDOWN_TIMEOUT", err)
	}
	_, err = load(t, nil, map[string]string{"RS_SHUTDOWN_TIMEOUT": "soon", "RS_TOKEN_CACHE_SIZE": "lots"})
	if err == nil || !strings.Contains(err.Error(), "RS_SHUTDOWN_TIMEOUT") || !strings.Contains(err.Error(), "RS_TOKEN_CACHE_SIZE=\"lots\" is not a whole number") {
		t.Fatalf("got %v, want an error naming both variables", err)
	}
}

func TestEveryFlagHasEnvAndDefaultInHelp(t *testing.T) {
	fs := flag.NewFlagSet("resourceserver", flag.ContinueOnError)
	var buf bytes.Buffer
	fs.SetOutput(&buf)
	c := Defaults()
	Register(fs, &c)
	PrintFlags(&buf, fs)
	help := buf.String()
	for _, name := range FlagNames() {
		// A boolean flag has no value after its name.
		if !strings.Contains(help, "--"+name+" ") && !strings.Contains(help, "--"+name+"\n") {
			t.Errorf("help lacks --%s:\n%s", name, help)
		}
		if !strings.Contains(help, EnvName(name)) {
			t.Errorf("help lacks %q:\n%s", EnvName(name), help)
		}
	}
	if got := strings.Count(help, "default "); got != len(FlagNames()) {
		t.Errorf("help shows %d defaults for %d flags:\n%s", got, len(FlagNames()), help)
	}
	for _, want := range []string{"{issuer}/token", "{issuer}/authorize"} {
		if !strings.Contains(help, want) {
			t.Errorf("help does not explain the default %s:\n%s", want, help)
		}
	}
}

// TestEndpoints: the endpoints the API docs use default to the issuer's,
// and each setting replaces its own.
func TestEndpoints(t *testing.T) {
	tests := []struct {
		name                 string
		change               func(*Config)
		token, authorization string
	}{
		{"defaults", func(*Config) {}, "http://localhost:9096/token", "http://localhost:9096/authorize"},
		{"token URL", func(c *Config) { c.TokenURL = "https://auth.example.com/oauth/token" },
			"https://auth.example.com/oauth/token", "http://localhost:9096/authorize"},
		{"authorization URL", func(c *Config) { c.AuthorizationURL = "https://auth.example.com/oauth/authorize" },
			"http://localhost:9096/token", "https://auth.example.com/oauth/authorize"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Defaults()
			tt.change(&c)
			if got := c.TokenEndpoint(); got != tt.token {
				t.Errorf("token endpoint %q, want %q", got, tt.token)
			}
			if got := c.AuthorizationEndpoint(); got != tt.authorization {
				t.Errorf("authorization endpoint %q, want %q", got, tt.authorization)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   []string // substrings of the error; none means valid
		not    []string // substrings the error must not have
	}{
		{"defaults", func(*Config) {}, nil, nil},
		{"https and proxies", func(c *Config) {
			c.Issuer, c.PublicURL = "https://auth.example.com", "https://api.example.com/search-api"
			c.JWKSURL, c.TrustedProxies = "http://auth:9096/.well-known/jwks.json", "10.0.0.0/8,::1"
		}, nil, nil},
		{"addr", func(c *Config) { c.Addr = "8000" }, []string{"--addr"}, nil},
		{"addr port", func(c *Config) { c.Addr = ":http" }, []string{"--addr"}, nil},
		{"empty addr", func(c *Config) { c.Addr = "" }, []string{"--addr is empty"}, nil},
		{"metrics addr", func(c *Config) { c.MetricsAddr = "127.0.0.1:8001" }, nil, nil},
		{"metrics addr port", func(c *Config) { c.MetricsAddr = "localhost" }, []string{"--metrics-addr"}, nil},
		{"metrics addr same", func(c *Config) { c.MetricsAddr = c.Addr }, []string{"--metrics-addr", "same as --addr"}, nil},
		{"issuer slash", func(c *Config) { c.Issuer = "http://localhost:9096/" }, []string{"--issuer", "slash"}, nil},
		{"issuer scheme", func(c *Config) { c.Issuer = "localhost:9096" }, []string{"--issuer"}, nil},
		{"issuer query", func(c *Config) { c.Issuer = "http://a/?x=1" }, []string{"--issuer", "query"}, nil},
		{"issuer user", func(c *Config) { c.Issuer = "http://u:p@a" }, []string{"--issuer", "user"}, nil},
		{"audience", func(c *Config) { c.Audience = " " }, []string{"--audience is empty"}, nil},
		{"audience space", func(c *Config) { c.Audience = "search-api " }, []string{"--audience", "white space"}, nil},
		{"jwks url", func(c *Config) { c.JWKSURL = "/jwks.json" }, []string{"--jwks-url"}, nil},
		{"proxy", func(c *Config) { c.TrustedProxies = "10.0.0.0/8,proxy.local" }, []string{`"proxy.local"`}, nil},
		{"proxy everyone", func(c *Config) { c.TrustedProxies = "0.0.0.0/0" }, []string{"every address"}, nil},
		{"public url", func(c *Config) { c.PublicURL = "http://localhost:8000/#x" }, []string{"--public-url", "fragment"}, nil},
		{"token url", func(c *Config) { c.TokenURL = "ftp://auth/token" }, []string{"--token-url"}, nil},
		{"token url from bad issuer", func(c *Config) { c.Issuer = "" }, []string{"--issuer"}, []string{"--token-url"}},
		{"token url despite bad issuer", func(c *Config) { c.Issuer, c.TokenURL = "", "/token" }, []string{"--issuer", "--token-url"}, nil},
		{"authorization url", func(c *Config) { c.AuthorizationURL = "/authorize" }, []string{"--authorization-url"}, nil},
		{"authorization url with a fragment", func(c *Config) { c.AuthorizationURL = "https://auth/authorize#x" }, []string{"--authorization-url", "fragment"}, nil},
		{"authorization url from bad issuer", func(c *Config) { c.Issuer = "" }, []string{"--issuer"}, []string{"--authorization-url"}},
		{"authorization url elsewhere", func(c *Config) { c.AuthorizationURL = "https://auth.example.com/oauth/authorize" }, nil, nil},
		{"docs client", func(c *Config) { c.DocsClientID = "a:b" }, []string{"--docs-client-id"}, nil},
		{"empty docs client", func(c *Config) { c.DocsClientID = "" }, []string{"--docs-client-id"}, nil},
		{"log level", func(c *Config) { c.LogLevel = "loud" }, []string{"--log-level"}, nil},
		{"no token cache", func(c *Config) { c.TokenCacheSize = 0 }, nil, nil},
		{"negative token cache", func(c *Config) { c.TokenCacheSize = -1 }, []string{"--token-cache-size"}, nil},
		{"huge token cache", func(c *Config) { c.TokenCacheSize = MaxTokenCacheSize + 1 }, []string{"--token-cache-size"}, nil},
		{"log format", func(c *Config) { c.LogFormat = "xml" }, []string{"--log-format"}, nil},
		{"shutdown", func(c *Config) { c.ShutdownTimeout = 0 }, []string{"--shutdown-timeout"}, nil},
		{"no drain", func(c *Config) { c.ShutdownDrain = 0 }, nil, nil},
		{"negative drain", func(c *Config) { c.ShutdownDrain = -time.Second }, []string{"--shutdown-drain"}, nil},
		{"no jwks wait", func(c *Config) { c.JWKSWait = 0 }, []string{"--jwks-wait"}, nil},
		{"jwks wait too long", func(c *Config) { c.JWKSWait = time.Minute }, []string{"--jwks-wait", "30s"}, nil},
		{"every problem at once", func(c *Config) {
			c.Addr, c.Audience, c.LogLevel, c.LogFormat = "x", "", "x", "x"
		}, []string{"--addr", "--audience", "--log-level", "--log-format"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Defaults()
			tt.change(&c)
			err := c.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want one mentioning %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(err.Error(), w) {
					t.Errorf("error %q mentions %q", err, w)
				}
			}
		})
	}
}
