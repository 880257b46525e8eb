package settings

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

// config is a service's configuration in miniature: one setting of each
// kind.
type config struct {
	Addr    string
	Token   string
	TTL     time.Duration
	Workers int
	Origins []string
	Create  bool
}

func defaults() config {
	return config{Addr: ":8080", TTL: 30 * time.Minute, Workers: 4}
}

var table = Table[config]{EnvPrefix: "T_", Settings: []Setting[config]{
	{Name: "addr", Usage: "`address` to listen on", Field: func(c *config) any { return &c.Addr }},
	{Name: "token-url", Usage: "token endpoint `URL`", Field: func(c *config) any { return &c.Token }, Shown: "{issuer}/token"},
	{Name: "access-ttl", Usage: "lifetime of a token", Field: func(c *config) any { return &c.TTL }},
	{Name: "workers", Usage: "how many `workers`", Field: func(c *config) any { return &c.Workers }},
	{Name: "cors-origins", Usage: "comma-separated `origins`", Field: func(c *config) any { return (*List)(&c.Origins) }},
	{Name: "create", Usage: "create what is missing", Field: func(c *config) any { return &c.Create }},
}}

func newFlagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// env returns a getenv reading from m.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestEnvName(t *testing.T) {
	tests := []struct {
		prefix, flag, want string
	}{
		{"T_", "addr", "T_ADDR"},
		{"T_", "access-ttl", "T_ACCESS_TTL"},
		{"AUTH_", "refresh-token-absolute-ttl", "AUTH_REFRESH_TOKEN_ABSOLUTE_TTL"},
		{"RS_", "jwks-url", "RS_JWKS_URL"},
		{"", "db", "DB"},
	}
	for _, tt := range tests {
		t.Run(tt.prefix+tt.flag, func(t *testing.T) {
			tab := Table[config]{EnvPrefix: tt.prefix}
			if got := tab.EnvName(tt.flag); got != tt.want {
				t.Errorf("EnvName(%q) = %q, want %q", tt.flag, got, tt.want)
			}
		})
	}
}

func TestFlagNames(t *testing.T) {
	want := []string{"addr", "token-url", "access-ttl", "workers", "cors-origins", "create"}
	if got := table.FlagNames(); !slices.Equal(got, want) {
		t.Errorf("FlagNames() = %q, want %q", got, want)
	}
}

func TestRegisterUsage(t *testing.T) {
	fs := newFlagSet()
	c := defaults()
	c.Origins = []string{"http://a:1", "http://b:2"}
	table.Register(fs, &c)
	tests := []struct {
		flag, want string
	}{
		{"addr", "`address` to listen on (env T_ADDR, default \":8080\")"},
		{"token-url", "token endpoint `URL` (env T_TOKEN_URL, default {issuer}/token)"},
		{"access-ttl", "lifetime of a token (env T_ACCESS_TTL, default 30m)"},
		{"workers", "how many `workers` (env T_WORKERS, default 4)"},
		{"cors-origins", "comma-separated `origins` (env T_CORS_ORIGINS, default http://a:1,http://b:2)"},
		{"create", "create what is missing (env T_CREATE, default false)"},
	}
	for _, tt := range tests {
		t.Run(tt.flag, func(t *testing.T) {
			f := fs.Lookup(tt.flag)
			if f == nil {
				t.Fatalf("Register did not define --%s", tt.flag)
			}
			if f.Usage != tt.want {
				t.Errorf("usage of --%s = %q, want %q", tt.flag, f.Usage, tt.want)
			}
		})
	}
}

func TestRegisterEmptyListShowsNone(t *testing.T) {
	fs := newFlagSet()
	c := defaults()
	table.Register(fs, &c)
	if got := fs.Lookup("cors-origins").Usage; !strings.HasSuffix(got, "default none)") {
		t.Errorf("usage of --cors-origins = %q, want the default none", got)
	}
}

func TestRegisterUnsupportedTypePanics(t *testing.T) {
	tab := Table[config]{Settings: []Setting[config]{
		{Name: "bad", Field: func(c *config) any { return &c.Origins }},
	}}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), `setting "bad" has unsupported type *[]string`) {
			t.Errorf("recover() = %v, want a panic naming the setting and its type", r)
		}
	}()
	c := defaults()
	tab.Register(newFlagSet(), &c)
}

func TestLoadPrecedence(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want config
	}{
		{"defaults", nil, nil, defaults()},
		{"env over default", nil,
			map[string]string{"T_ADDR": ":9000", "T_ACCESS_TTL": "5m", "T_WORKERS": "8", "T_CORS_ORIGINS": "http://a:1, ,http://b:2 "},
			config{Addr: ":9000", TTL: 5 * time.Minute, Workers: 8, Origins: []string{"http://a:1", "http://b:2"}}},
		{"flag over default", []string{"--addr", ":9001", "-access-ttl=1h", "--workers=0"}, nil,
			config{Addr: ":9001", TTL: time.Hour}},
		{"flag over env", []string{"--addr=:9001", "--cors-origins", "http://c:3"},
			map[string]string{"T_ADDR": ":9000", "T_CORS_ORIGINS": "http://a:1"},
			config{Addr: ":9001", TTL: 30 * time.Minute, Workers: 4, Origins: []string{"http://c:3"}}},
		{"empty env is unset", nil, map[string]string{"T_ADDR": "", "T_WORKERS": ""}, defaults()},
		{"other env ignored", nil, map[string]string{"ADDR": ":1", "T_ADDRESS": ":2", "RS_ADDR": ":3"}, defaults()},
		{"flag hides malformed env", []string{"--workers", "2"}, map[string]string{"T_WORKERS": "ten"},
			config{Addr: ":8080", TTL: 30 * time.Minute, Workers: 2}},
		{"boolean from env", nil, map[string]string{"T_CREATE": "1"},
			config{Addr: ":8080", TTL: 30 * time.Minute, Workers: 4, Create: true}},
		{"boolean flag over env", []string{"--create=false"}, map[string]string{"T_CREATE": "true"}, defaults()},
		{"boolean flag", []string{"--create"}, nil, config{Addr: ":8080", TTL: 30 * time.Minute, Workers: 4, Create: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := table.Load(newFlagSet(), tt.args, env(tt.env), defaults())
			if err != nil {
				t.Fatal(err)
			}
			if c.Addr != tt.want.Addr || c.Token != tt.want.Token || c.TTL != tt.want.TTL ||
				c.Workers != tt.want.Workers || !slices.Equal(c.Origins, tt.want.Origins) || c.Create != tt.want.Create {
				t.Errorf("Load() = %+v, want %+v", c, tt.want)
			}
		})
	}
}

func TestLoadKeepsOtherFlagsAndArgs(t *testing.T) {
	fs := newFlagSet()
	email := fs.String("email", "", "")
	c, err := table.Load(fs, []string{"--email", "a@example.com", "--workers", "2", "bob", "extra"},
		env(map[string]string{"T_WORKERS": "3", "T_ADDR": ":1"}), defaults())
	if err != nil {
		t.Fatal(err)
	}
	if *email != "a@example.com" || c.Workers != 2 || c.Addr != ":1" {
		t.Errorf("email, Workers, Addr = %q, %d, %q; want a@example.com, 2, :1", *email, c.Workers, c.Addr)
	}
	if got := strings.Join(fs.Args(), " "); got != "bob extra" {
		t.Errorf("fs.Args() = %q, want %q", got, "bob extra")
	}
}

func TestLoadMalformedEnv(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string // lines of the error
	}{
		{"duration", map[string]string{"T_ACCESS_TTL": "soon"},
			[]string{`environment variable T_ACCESS_TTL="soon" is not a duration such as 90s, 30m or 1h30m`}},
		{"number", map[string]string{"T_WORKERS": "ten"},
			[]string{`environment variable T_WORKERS="ten" is not a whole number`}},
		{"boolean", map[string]string{"T_CREATE": "yes"},
			[]string{`environment variable T_CREATE="yes" is not true or false (or 1 or 0)`}},
		{"every variable, in table order", map[string]string{"T_WORKERS": "ten", "T_ACCESS_TTL": "soon", "T_ADDR": "fine"},
			[]string{
				`environment variable T_ACCESS_TTL="soon" is not a duration such as 90s, 30m or 1h30m`,
				`environment variable T_WORKERS="ten" is not a whole number`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := table.Load(newFlagSet(), nil, env(tt.env), defaults())
			if err == nil {
				t.Fatalf("Load() = %+v, want an error", c)
			}
			if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, tt.want) {
				t.Errorf("error lines = %q, want %q", got, tt.want)
			}
			if c.Addr != "" || c.Workers != 0 {
				t.Errorf("Load() returned %+v with its error, want the zero config", c)
			}
		})
	}
}

func TestLoadMalformedFlag(t *testing.T) {
	_, err := table.Load(newFlagSet(), []string{"--access-ttl", "soon"}, env(nil), defaults())
	if err == nil || !strings.Contains(err.Error(), "access-ttl") {
		t.Errorf("Load(--access-ttl soon) error = %v, want one naming the flag", err)
	}
	_, err = table.Load(newFlagSet(), []string{"-h"}, env(nil), defaults())
	if !errors.Is(err, flag.ErrHelp) {
		t.Errorf("Load(-h) error = %v, want flag.ErrHelp", err)
	}
}

// ApplyEnv leaves alone the flags that Register did not define.
func TestApplyEnvOnlyRegisteredFlags(t *testing.T) {
	fs := newFlagSet()
	addr := fs.String("addr", "x", "")
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if err := table.ApplyEnv(fs, env(map[string]string{"T_ADDR": ":1", "T_WORKERS": "ten"})); err != nil {
		t.Fatal(err)
	}
	if *addr != ":1" {
		t.Errorf("addr = %q, want :1 from T_ADDR", *addr)
	}
}

func TestPrintFlags(t *testing.T) {
	fs := newFlagSet()
	fs.Bool("verbose", false, "not a setting")
	c := defaults()
	table.Register(fs, &c)
	var buf bytes.Buffer
	table.PrintFlags(&buf, fs)
	want := "  --addr address\n    \taddress to listen on (env T_ADDR, default \":8080\")\n" +
		"  --token-url URL\n    \ttoken endpoint URL (env T_TOKEN_URL, default {issuer}/token)\n" +
		"  --access-ttl duration\n    \tlifetime of a token (env T_ACCESS_TTL, default 30m)\n" +
		"  --workers workers\n    \thow many workers (env T_WORKERS, default 4)\n" +
		"  --cors-origins origins\n    \tcomma-separated origins (env T_CORS_ORIGINS, default none)\n" +
		"  --create\n    \tcreate what is missing (env T_CREATE, default false)\n"
	if got := buf.String(); got != want {
		t.Errorf("PrintFlags wrote\n%s\nwant\n%s", got, want)
	}
}

func TestList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"a", []string{"a"}},
		{"a,b", []string{"a", "b"}},
		{" a , b ,, ", []string{"a", "b"}},
		{"", nil},
		{" , ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			l := List{"old"}
			if err := l.Set(tt.in); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(l, tt.want) {
				t.Errorf("Set(%q) = %q, want %q", tt.in, l, tt.want)
			}
			if got, want := l.String(), strings.Join(tt.want, ","); got != want {
				t.Errorf("String() = %q, want %q", got, want)
			}
		})
	}
	var nilList *List
	if got := nilList.String(); got != "" {
		t.Errorf("nil List String() = %q, want empty", got)
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{30 * time.Minute, "30m"},
		{720 * time.Hour, "720h"},
		{90 * time.Minute, "1h30m"},
		{15 * time.Second, "15s"},
		{time.Hour + time.Second, "1h0m1s"},
		{0, "0s"},
		{-time.Minute, "-1m"},
		{1500 * time.Millisecond, "1.5s"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := FormatDuration(tt.d); got != tt.want {
				t.Errorf("FormatDuration(%v) = %q, want %q", tt.d, got, tt.want)
			}
		})
	}
}

func TestHTTPURLProblem(t *testing.T) {
	tests := []struct {
		raw, want string
	}{
		{"https://auth.example.com", ""},
		{"http://localhost:9096/tenant-1", ""},
		{"https://auth.example.com/?a=b#c", ""}, // the caller's rules
		{"", "must be an absolute URL starting with https:// or http://"},
		{"auth.example.com", "must be an absolute URL starting with https:// or http://"},
		{"ftp://auth.example.com", "must be an absolute URL starting with https:// or http://"},
		{"https:///path", "has no host"},
		{"https://:443", "has no host"},
		{"https://u:p@auth.example.com", "must not contain a user name or password"},
		{"https://auth example.com/%zz", "is not a URL"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			if got := HTTPURLProblem(tt.raw); got != tt.want {
				t.Errorf("HTTPURLProblem(%q) = %q, want %q", tt.raw, got, tt.want)
			}
		})
	}
}
