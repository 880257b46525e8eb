package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The Grafana dashboard and the Prometheus alert rules of deploy/, and the
// runbook that explains them.
var (
	dashboardFile = filepath.Join("..", "deploy", "grafana", "fastsafe-dashboard.json")
	alertsFile    = filepath.Join("..", "deploy", "prometheus", "fastsafe-alerts.yml")
	runbookFile   = filepath.Join("..", "docs", "operations.md")
)

// metricNames are the metrics both services export, by the names agreed
// for them (docs/operations.md lists them with their meaning).
var metricNames = []string{
	"fastsafe_auth_http_requests_total",
	"fastsafe_auth_http_request_duration_seconds",
	"fastsafe_auth_tokens_issued_total",
	"fastsafe_auth_token_errors_total",
	"fastsafe_auth_bcrypt_duration_seconds",
	"fastsafe_auth_throttled_total",
	"fastsafe_auth_refresh_reuse_detected_total",
	"fastsafe_auth_refresh_retries_total",
	"fastsafe_auth_store_writable",
	"fastsafe_auth_signing_key_revocations_total",
	"fastsafe_auth_store_duration_seconds",
	"fastsafe_auth_signing_keys",
	"fastsafe_auth_signing_key_active_age_seconds",
	"fastsafe_auth_signing_key_next_activation_timestamp_seconds",
	"fastsafe_auth_key_rotations_total",
	"fastsafe_auth_backups_total",
	"fastsafe_rs_http_requests_total",
	"fastsafe_rs_http_request_duration_seconds",
	"fastsafe_rs_token_verifications_total",
	"fastsafe_rs_token_cache_hits_total",
	"fastsafe_rs_token_cache_misses_total",
	"fastsafe_rs_token_cache_entries",
	"fastsafe_rs_jwks_fetches_total",
	"fastsafe_rs_jwks_keys",
	"fastsafe_rs_jwks_last_success_timestamp_seconds",
}

var metricRE = regexp.MustCompile(`\bfastsafe_[a-z_]+`)

// metricsIn returns the fastsafe metrics an expression reads, with the
// series suffixes of histograms removed.
func metricsIn(expr string) []string {
	var out []string
	for _, m := range metricRE.FindAllString(expr, -1) {
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if base, ok := strings.CutSuffix(m, suffix); ok && slices.Contains(metricNames, base) {
				m = base
			}
		}
		out = append(out, m)
	}
	return out
}

type dashPanel struct {
	Title      string `json:"title"`
	Type       string `json:"type"`
	Datasource struct {
		Type string `json:"type"`
	} `json:"datasource"`
	Targets []struct {
		Expr      string `json:"expr"`
		QueryType string `json:"queryType"`
		Query     string `json:"query"`
	} `json:"targets"`
	FieldConfig struct {
		Defaults struct {
			Links []struct {
				Title string `json:"title"`
				URL   string `json:"url"`
			} `json:"links"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
	Panels []dashPanel `json:"panels"`
}

// tracesDatasource is the data source type of the trace panels.
const tracesDatasource = "tempo"

func TestDashboard(t *testing.T) {
	data, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		UID    string      `json:"uid"`
		Title  string      `json:"title"`
		Inputs []any       `json:"__inputs"`
		Panels []dashPanel `json:"panels"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("%s is not JSON: %v", dashboardFile, err)
	}
	if dash.UID == "" || dash.Title == "" || len(dash.Inputs) == 0 {
		t.Errorf("the dashboard lacks a uid, a title or the data source input that import asks for")
	}
	used := map[string]bool{}
	var walk func([]dashPanel)
	walk = func(ps []dashPanel) {
		for _, p := range ps {
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			if len(p.Targets) == 0 {
				t.Errorf("panel %q has no query", p.Title)
			}
			if p.Datasource.Type == tracesDatasource {
				continue // TestDashboardTraces
			}
			for _, tg := range p.Targets {
				if strings.TrimSpace(tg.Expr) == "" {
					t.Errorf("panel %q has an empty query", p.Title)
				}
				for _, m := range metricsIn(tg.Expr) {
					if !slices.Contains(metricNames, m) {
						t.Errorf("panel %q reads %s, which no service exports", p.Title, m)
					}
					used[m] = true
				}
			}
		}
	}
	walk(dash.Panels)
	for _, m := range metricNames {
		// Backups run in the command-line process, which is never
		// scraped.
		if !used[m] && m != "fastsafe_auth_backups_total" {
			t.Errorf("no panel shows %s", m)
		}
	}
}

// TestDashboardTraces: the dashboard reads traces from a Tempo data source
// chosen by a variable: panels of each server's slowest requests, by the
// services' names, and links from each latency panel to the traces of the
// route under the pointer.
func TestDashboardTraces(t *testing.T) {
	data, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Templating struct {
			List []struct {
				Name, Type string
				Query      any
			}
		}
		Panels []dashPanel `json:"panels"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatal(err)
	}
	vars := map[string]any{}
	for _, v := range dash.Templating.List {
		vars[v.Name] = v.Query
		if v.Name == "traces" && (v.Type != "datasource" || v.Query != tracesDatasource) {
			t.Errorf("variable traces is a %s of %v, want a data source variable of type %s", v.Type, v.Query, tracesDatasource)
		}
	}
	for name, want := range map[string]string{"auth_service": "fastsafe-authserver", "rs_service": "fastsafe-resourceserver"} {
		if vars[name] != want {
			t.Errorf("variable %s = %v, want the service name %s", name, vars[name], want)
		}
	}
	if _, ok := vars["traces"]; !ok {
		t.Error("no traces variable")
	}
	traced := map[string]bool{}
	links := 0
	for _, p := range dash.Panels {
		if p.Datasource.Type == tracesDatasource {
			for _, tg := range p.Targets {
				if tg.QueryType != "traceql" || !strings.Contains(tg.Query, "resource.service.name") {
					t.Errorf("trace panel %q: query %q is not a TraceQL search by service", p.Title, tg.Query)
				}
				for _, svc := range []string{"$auth_service", "$rs_service"} {
					if strings.Contains(tg.Query, svc) {
						traced[svc] = true
					}
				}
			}
		}
		if strings.HasPrefix(p.Title, "Latency") {
			for _, l := range p.FieldConfig.Defaults.Links {
				if strings.HasPrefix(l.URL, "/explore?") && strings.Contains(l.URL, "${traces}") && strings.Contains(l.URL, "${__field.labels.route}") {
					links++
				}
			}
		}
	}
	if !traced["$auth_service"] || !traced["$rs_service"] {
		t.Errorf("trace panels cover %v, want both servers", traced)
	}
	if links != 2 {
		t.Errorf("%d latency panels link to their route's traces, want 2", links)
	}
}

func TestAlertRules(t *testing.T) {
	data, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil {
		t.Fatalf("%s: %v", alertsFile, err)
	}
	runbook, err := os.ReadFile(runbookFile)
	if err != nil {
		t.Fatal(err)
	}
	alerts := map[string]string{} // name → expression
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			switch {
			case !regexp.MustCompile(`^Fastsafe[A-Za-z0-9]+$`).MatchString(r.Alert):
				t.Errorf("group %s: alert %q is not named Fastsafe…", g.Name, r.Alert)
			case alerts[r.Alert] != "":
				t.Errorf("alert %s is defined twice", r.Alert)
			}
			alerts[r.Alert] = r.Expr
			if strings.TrimSpace(r.Expr) == "" || r.For == "" {
				t.Errorf("alert %s has no expression or no 'for'", r.Alert)
			}
			if s := r.Labels["severity"]; s != "critical" && s != "warning" && s != "info" {
				t.Errorf("alert %s: severity %q, want critical, warning or info", r.Alert, s)
			}
			if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("alert %s has no summary or description", r.Alert)
			}
			for _, m := range metricsIn(r.Expr) {
				if !slices.Contains(metricNames, m) {
					t.Errorf("alert %s reads %s, which no service exports", r.Alert, m)
				}
			}
			if !strings.Contains(string(runbook), "`"+r.Alert+"`") {
				t.Errorf("alert %s is not explained in %s", r.Alert, runbookFile)
			}
		}
	}
	for _, name := range regexp.MustCompile("`(Fastsafe[A-Za-z0-9]+)`").FindAllStringSubmatch(string(runbook), -1) {
		if _, ok := alerts[name[1]]; !ok {
			t.Errorf("%s explains alert %s, which %s does not define", runbookFile, name[1], alertsFile)
		}
	}

	// The failures that matter each have an alert.
	for _, want := range []struct{ what, pattern string }{
		{"token endpoint 5xx", `fastsafe_auth_http_requests_total\{route="/token",code=~"5\.\."\}`},
		{"JWKS fetch failures", `fastsafe_rs_jwks_fetches_total\{result="error"\}`},
		{"brute-force spikes", `fastsafe_auth_throttled_total`},
		{"key nearing retirement", `fastsafe_auth_signing_key_next_activation_timestamp_seconds`},
		{"no active key", `fastsafe_auth_signing_keys\{state="active"\}`},
		{"a store that cannot write", `fastsafe_auth_store_writable`},
		{"a revoked key", `fastsafe_auth_signing_key_revocations_total`},
		{"tokens that cannot be verified for want of keys", `fastsafe_rs_token_verifications_total\{outcome="keys_unavailable"\}`},
	} {
		re := regexp.MustCompile(want.pattern)
		found := false
		for _, expr := range alerts {
			found = found || re.MatchString(expr)
		}
		if !found {
			t.Errorf("no alert for %s", want.what)
		}
	}
}
