package promtext

import (
	"net/http"
	"strings"
	"testing"
)

const exposition = `# HELP requests_total Requests.
# TYPE requests_total counter
requests_total{code="200",route="/search"} 3
requests_total{code="401",route="/search"} 1
requests_total{code="200",route="/search",extra="x"} 9
# HELP keys Keys.
# TYPE keys gauge
keys 2
# HELP duration_seconds Durations.
# TYPE duration_seconds histogram
duration_seconds_bucket{route="/search",le="0.1"} 4
duration_seconds_bucket{route="/search",le="+Inf"} 5
duration_seconds_sum{route="/search"} 0.3
duration_seconds_count{route="/search"} 5
`

func TestValue(t *testing.T) {
	fams, err := Parse(exposition)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		family string
		labels map[string]string
		want   float64
	}{
		{"counter", "requests_total", map[string]string{"code": "200", "route": "/search"}, 3},
		{"other labels", "requests_total", map[string]string{"code": "401", "route": "/search"}, 1},
		{"labels must match exactly, not a subset", "requests_total", map[string]string{"code": "200"}, 0},
		{"gauge without labels", "keys", nil, 2},
		{"histogram: sample count", "duration_seconds", map[string]string{"route": "/search"}, 5},
		{"absent family", "nothing_total", nil, 0},
		{"absent series", "requests_total", map[string]string{"code": "500", "route": "/search"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fams.Value(tt.family, tt.labels); got != tt.want {
				t.Errorf("Value = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestScrape(t *testing.T) {
	h := http.NewServeMux()
	h.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(exposition)) })
	h.HandleFunc("GET /broken", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("keys{ 2\n")) })
	text, fams, err := Scrape(h, "/metrics")
	if err != nil || text != exposition || fams.Value("keys", nil) != 2 {
		t.Errorf("Scrape = %q, %v, %v", text, fams, err)
	}
	for _, path := range []string{"/broken", "/missing"} {
		if _, _, err := Scrape(h, path); err == nil || !strings.Contains(err.Error(), "promtext") {
			t.Errorf("Scrape(%s): err = %v", path, err)
		}
	}
}
