package metrics_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/fastsafe/fastsafe/authserver/internal/metrics"
	"github.com/fastsafe/fastsafe/authserver/internal/signing"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlstore"
)

func newMetrics(t *testing.T, now func() time.Time) (*metrics.Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, now)
	if err != nil {
		t.Fatal(err)
	}
	return m, reg
}

func TestMiddleware(t *testing.T) {
	m, reg := newMetrics(t, time.Now)
	route := func(r *http.Request) string {
		if r.URL.Path == "/token" {
			return "/token"
		}
		return ""
	}
	h := m.Middleware(route)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/token":
			w.WriteHeader(http.StatusBadRequest)
		case "/abort":
			panic(http.ErrAbortHandler)
		}
	}))
	tests := []struct {
		method, path string
		labels       []string // route, method, code
	}{
		{"POST", "/token", []string{"/token", "POST", "400"}},
		{"GET", "/secret-path-abc", []string{"other", "GET", "200"}},
		{"BREW", "/token", []string{"/token", "OTHER", "400"}},
		{"GET", "/abort", []string{"other", "GET", "500"}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			c := requests(t, reg, tt.labels)
			func() {
				defer func() {
					if p := recover(); p != nil && p != http.ErrAbortHandler {
						t.Errorf("panic %v", p)
					}
				}()
				h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(tt.method, tt.path, nil))
			}()
			if got := requests(t, reg, tt.labels); got != c+1 {
				t.Errorf("requests %v = %v, want %v", tt.labels, got, c+1)
			}
		})
	}
	if n, err := testutil.GatherAndCount(reg, "fastsafe_auth_http_request_duration_seconds"); err != nil || n != 3 {
		t.Errorf("duration series = %d, %v; want 3 (route and method only)", n, err)
	}
	out, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range out {
		if strings.Contains(f.String(), "secret-path") || strings.Contains(f.String(), "BREW") {
			t.Errorf("%s holds a client-chosen value", f.GetName())
		}
	}
}

// requests is the value of the request counter with labels (route,
// method, code) in reg; 0 if there is none.
func requests(t *testing.T, reg *prometheus.Registry, labels []string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != "fastsafe_auth_http_requests_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			if got["route"] == labels[0] && got["method"] == labels[1] && got["code"] == labels[2] {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func TestStoreTimesEveryCall(t *testing.T) {
	// A clock that moves 2ms per reading: each call lasts 2ms.
	base := time.Unix(1_700_000_000, 0)
	var ticks int64
	now := func() time.Time { ticks++; return base.Add(time.Duration(ticks) * 2 * time.Millisecond) }
	m, reg := newMetrics(t, now)
	raw, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "auth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = raw.Close() })
	st := m.Store(raw)
	ctx := context.Background()
	if _, err := st.GetUser(ctx, "nobody"); err == nil {
		t.Fatal("GetUser of an unknown user succeeded")
	}
	if err := st.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ListClients(ctx); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP fastsafe_auth_store_duration_seconds Time of store calls, by store method.
# TYPE fastsafe_auth_store_duration_seconds histogram
` + bucketLines("GetUser") + bucketLines("ListClients") + bucketLines("Ping")
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "fastsafe_auth_store_duration_seconds"); err != nil {
		t.Error(err)
	}
	var _ store.Store = st
}

// bucketLines is the histogram of one 2ms call of op.
func bucketLines(op string) string {
	var b strings.Builder
	for _, le := range []string{"0.0001", "0.00025", "0.0005", "0.001"} {
		b.WriteString(`fastsafe_auth_store_duration_seconds_bucket{op="` + op + `",le="` + le + `"} 0` + "\n")
	}
	for _, le := range []string{"0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "+Inf"} {
		b.WriteString(`fastsafe_auth_store_duration_seconds_bucket{op="` + op + `",le="` + le + `"} 1` + "\n")
	}
	b.WriteString(`fastsafe_auth_store_duration_seconds_sum{op="` + op + `"} 0.002` + "\n")
	b.WriteString(`fastsafe_auth_store_duration_seconds_count{op="` + op + `"} 1` + "\n")
	return b.String()
}

type fakeKeys struct{ s signing.Stats }

func (f fakeKeys) Stats() signing.Stats { return f.s }

func TestKeyGauges(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name  string
		stats signing.Stats
		want  string
	}{
		{"active and next", signing.Stats{Next: 1, Active: 1, Retired: 2, Revoked: 1, ActiveSince: now.Add(-time.Hour), NextActivation: now.Add(10 * time.Minute)}, `
fastsafe_auth_signing_keys{state="next"} 1
fastsafe_auth_signing_keys{state="active"} 1
fastsafe_auth_signing_keys{state="retired"} 2
fastsafe_auth_signing_keys{state="revoked"} 1
fastsafe_auth_signing_key_active_age_seconds 3600
fastsafe_auth_signing_key_next_activation_timestamp_seconds 1.7000006e+09
`},
		{"nothing", signing.Stats{}, `
fastsafe_auth_signing_keys{state="next"} 0
fastsafe_auth_signing_keys{state="active"} 0
fastsafe_auth_signing_keys{state="retired"} 0
fastsafe_auth_signing_keys{state="revoked"} 0
fastsafe_auth_signing_key_active_age_seconds 0
fastsafe_auth_signing_key_next_activation_timestamp_seconds 0
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, reg := newMetrics(t, func() time.Time { return now })
			if err := m.WatchKeys(fakeKeys{tt.stats}); err != nil {
				t.Fatal(err)
			}
			want := `
# HELP fastsafe_auth_signing_key_active_age_seconds Time since the key that signs now started signing; 0 when no key is active.
# TYPE fastsafe_auth_signing_key_active_age_seconds gauge
# HELP fastsafe_auth_signing_key_next_activation_timestamp_seconds Unix time at which the next key starts signing; 0 when there is no next key.
# TYPE fastsafe_auth_signing_key_next_activation_timestamp_seconds gauge
# HELP fastsafe_auth_signing_keys Signing keys, by state (next: published, not signing yet; active: signing; retired: published for tokens it signed; revoked: withdrawn, unpublished, kept until its tokens expire).
# TYPE fastsafe_auth_signing_keys gauge
` + tt.want
			if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
				"fastsafe_auth_signing_keys", "fastsafe_auth_signing_key_active_age_seconds",
				"fastsafe_auth_signing_key_next_activation_timestamp_seconds"); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestCounters(t *testing.T) {
	m, reg := newMetrics(t, time.Now)
	m.TokenIssued("password", "web")
	m.TokenError("token", "invalid_grant")
	m.Throttled("account")
	m.RefreshReuseDetected()
	m.RefreshRetried()
	m.KeyRotated("schedule")
	m.KeyRevoked("kid")
	m.BackupDone("ok")
	m.ObserveBcrypt(50 * time.Millisecond)
	for name, want := range map[string]int{
		"fastsafe_auth_tokens_issued_total":           1,
		"fastsafe_auth_token_errors_total":            1,
		"fastsafe_auth_throttled_total":               1,
		"fastsafe_auth_refresh_reuse_detected_total":  1,
		"fastsafe_auth_refresh_retries_total":         1,
		"fastsafe_auth_key_rotations_total":           1,
		"fastsafe_auth_signing_key_revocations_total": 1,
		"fastsafe_auth_backups_total":                 1,
		"fastsafe_auth_bcrypt_duration_seconds":       1,
	} {
		if n, err := testutil.GatherAndCount(reg, name); err != nil || n != want {
			t.Errorf("%s: %d series, %v; want %d", name, n, err, want)
		}
	}
	var nilMetrics *metrics.Metrics
	nilMetrics.TokenIssued("password", "web") // records nothing, does not panic
}
