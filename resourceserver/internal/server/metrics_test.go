package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fastsafe/fastsafe/internal/promtext"
	"github.com/fastsafe/fastsafe/pkg/jwks"
	"github.com/fastsafe/fastsafe/pkg/requestid"
	"github.com/fastsafe/fastsafe/pkg/tokentest"
	"github.com/fastsafe/fastsafe/pkg/verify"
	"github.com/fastsafe/fastsafe/resourceserver/internal/metrics"
)

// withMetrics puts a token cache in front of the verifier and counts
// everything on fresh metrics.
func withMetrics(t *testing.T, elsewhere bool) func(*Options) {
	return func(o *Options) {
		m, err := metrics.New(prometheus.NewRegistry(), func() time.Time { return now })
		if err != nil {
			t.Fatal(err)
		}
		cached, err := verify.NewCached(o.Verifier.(*verify.Verifier), verify.CachedOptions{Size: 100})
		if err != nil {
			t.Fatal(err)
		}
		if err := m.WatchCache(cached); err != nil {
			t.Fatal(err)
		}
		if err := m.WatchKeys(o.Keys.(*jwks.Remote)); err != nil {
			t.Fatal(err)
		}
		o.Verifier, o.Metrics, o.MetricsElsewhere = cached, m, elsewhere
	}
}

func (f *fixture) scrape(t *testing.T) (string, promtext.Families) {
	t.Helper()
	text, fams, err := promtext.Scrape(f.handler, MetricsPath)
	if err != nil {
		t.Fatal(err)
	}
	return text, fams
}

func TestMetricsMove(t *testing.T) {
	f := newFixture(t, true, withMetrics(t, false))
	_, before := f.scrape(t)

	good := f.auth.Sign(f.auth.Claims(audience, "search", now))
	noScope := f.auth.Sign(f.auth.Claims(audience, "profile", now))
	expired := f.auth.Sign(f.auth.Claims(audience, "search", now.Add(-time.Hour)))
	otherAud := f.auth.Sign(f.auth.Claims("other-api", "search", now))
	unknownKey := tokentest.Sign(tokentest.NewKey(), "unknown-kid", f.auth.Claims(audience, "search", now))
	dot := strings.LastIndex(good, ".")
	sig := []byte(good[dot+1:])
	if sig[5] == 'A' {
		sig[5] = 'B'
	} else {
		sig[5] = 'A'
	}
	badSig := good[:dot+1] + string(sig)

	requests := []struct {
		header http.Header
		want   int
	}{
		{bearerHeader(good), 200},
		{bearerHeader(good), 200}, // from the cache
		{nil, 401},
		{http.Header{"Authorization": {"Bearer a b"}}, 400},
		{bearerHeader(expired), 401},
		{bearerHeader(otherAud), 401},
		{bearerHeader(unknownKey), 401},
		{bearerHeader(badSig), 401},
		{bearerHeader(noScope), 403},
	}
	for i, r := range requests {
		if rec := f.do(t, "GET", "/search?query=apple", r.header); rec.Code != r.want {
			t.Fatalf("request %d: %d %s, want %d", i, rec.Code, rec.Body, r.want)
		}
	}
	f.do(t, "GET", "/no/such/path", nil)

	text, after := f.scrape(t)
	tests := []struct {
		name   string
		labels map[string]string
		delta  float64
	}{
		{"fastsafe_rs_http_requests_total", map[string]string{"route": "/search", "method": "GET", "code": "200"}, 2},
		{"fastsafe_rs_http_requests_total", map[string]string{"route": "/search", "method": "GET", "code": "401"}, 5},
		{"fastsafe_rs_http_requests_total", map[string]string{"route": "/search", "method": "GET", "code": "403"}, 1},
		{"fastsafe_rs_http_requests_total", map[string]string{"route": "other", "method": "GET", "code": "404"}, 1},
		{"fastsafe_rs_http_request_duration_seconds", map[string]string{"route": "/search", "method": "GET"}, 9},
		{"fastsafe_rs_token_verifications_total", map[string]string{"outcome": "ok"}, 2},
		{"fastsafe_rs_token_verifications_total", map[string]string{"outcome": "missing"}, 1},
		{"fastsafe_rs_token_verifications_total", map[string]string{"outcome": "malformed"}, 1},
		{"fastsafe_rs_token_verifications_total", map[string]string{"outcome": "expired"}, 1},
		{"fastsafe_rs_token_verifications_total", map[string]string{"outcome": "audience"}, 1},
		{"fastsafe_rs_token_verifications_total", map[string]string{"outcome": "unknown_key"}, 1},
		{"fastsafe_rs_token_verifications_total", map[string]string{"outcome": "bad_signature"}, 1},
		{"fastsafe_rs_token_verifications_total", map[string]string{"outcome": "insufficient_scope"}, 1},
		{"fastsafe_rs_token_verifications_total", map[string]string{"outcome": "other"}, 0},
		{"fastsafe_rs_token_cache_hits_total", nil, 1},
		{"fastsafe_rs_token_cache_misses_total", nil, 6},
		{"fastsafe_rs_token_cache_entries", nil, 2}, // good and noScope
	}
	for _, tt := range tests {
		b, _ := json.Marshal(tt.labels)
		t.Run(tt.name+string(b), func(t *testing.T) {
			if d := after.Value(tt.name, tt.labels) - before.Value(tt.name, tt.labels); d != tt.delta {
				t.Errorf("moved by %v, want %v", d, tt.delta)
			}
		})
	}
	if v := after.Value("fastsafe_rs_jwks_fetches_total", map[string]string{"result": "ok"}); v < 1 {
		t.Errorf("successful key set fetches = %v, want at least 1", v)
	}
	if v := after.Value("fastsafe_rs_jwks_keys", nil); v != 1 {
		t.Errorf("keys = %v, want 1", v)
	}
	if v := after.Value("fastsafe_rs_jwks_last_success_timestamp_seconds", nil); v <= 0 {
		t.Errorf("last success = %v, want a time", v)
	}
	for _, name := range []string{"fastsafe_rs_jwks_fetches_total", "go_goroutines", "process_cpu_seconds_total"} {
		if after[name] == nil {
			t.Errorf("%s is missing", name)
		}
	}
	for _, s := range []string{good, sig2(good), "alice", "apple", "/no/such/path", "unknown-kid"} {
		if strings.Contains(text, s) {
			t.Errorf("/metrics contains %q", s)
		}
	}
}

func sig2(token string) string { return token[strings.LastIndex(token, ".")+1:] }

func TestMetricsElsewhere(t *testing.T) {
	f := newFixture(t, true, withMetrics(t, true))
	if rec := f.do(t, "GET", MetricsPath, nil); rec.Code != http.StatusNotFound {
		t.Errorf("GET /metrics with metrics elsewhere: %d, want 404", rec.Code)
	}
}

func TestRequestID(t *testing.T) {
	f := newFixture(t, true, withMetrics(t, false))
	expired := f.auth.Sign(f.auth.Claims(audience, "search", now.Add(-time.Hour)))
	tests := []struct {
		name     string
		incoming string
		wantSame bool
	}{
		{"incoming id kept", "trace-0001", true},
		{"absent id generated", "", false},
		{"unsafe id replaced", "x\" level=ERROR", false},
		{"long id replaced", strings.Repeat("a", requestid.MaxLen+1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := bearerHeader(expired)
			if tt.incoming != "" {
				h.Set(requestid.Header, tt.incoming)
			}
			rec := f.do(t, "GET", "/search?query=apple", h)
			id := rec.Header().Get(requestid.Header)
			switch {
			case !requestid.Valid(id):
				t.Fatalf("response id %q is not valid", id)
			case tt.wantSame && id != tt.incoming:
				t.Fatalf("response id %q, want %q", id, tt.incoming)
			case !tt.wantSame && id == tt.incoming:
				t.Fatalf("response id %q kept an invalid or absent id", id)
			}
			// The refusal and the request line both carry the id.
			msgs, err := f.logs.Messages("request_id", id)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(msgs, "|") != "bearer authentication refused|request" {
				t.Errorf("lines with request_id %q: %q", id, msgs)
			}
		})
	}
}
