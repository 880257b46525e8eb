package security_test

import (
	"net/http"
	"strings"
	"testing"
)

// traceContext sends hostile W3C Trace Context headers (traceparent,
// tracestate) to the servers that trace, a and ra: a server continues a
// caller's trace only from a well-formed traceparent, and logs and
// records ids it parsed, never the header as sent.
func (s *suite) traceContext(t *testing.T) {
	access := s.mustTokens(t, s.login(t, s.a, "web", s.webSecret, "tester", s.password, s.newAddr())).Access
	// The marker is searched for, like a secret, in every log line, error
	// body and span afterwards.
	const marker = "hostile-trace-context-marker"
	s.secret(marker)
	const forgedTrace = "0af7651916cd43dd8448eb211c80319c"
	valid := "00-" + forgedTrace + "-b7ad6b7169203331-01"
	headers := []struct {
		name   string
		header http.Header
	}{
		{"oversized traceparent", http.Header{"Traceparent": {strings.Repeat("0", 16<<10) + marker}}},
		{"a log line after a valid traceparent", http.Header{"Traceparent": {valid + " level=ERROR msg=" + marker}}},
		{"fields that are not hexadecimal", http.Header{"Traceparent": {"00-" + marker + "-b7ad6b7169203331-01"}}},
		{"upper-case hexadecimal", http.Header{"Traceparent": {strings.ToUpper(valid)}}},
		{"version ff", http.Header{"Traceparent": {"ff" + valid[2:]}}},
		{"an all-zero trace id", http.Header{"Traceparent": {"00-" + strings.Repeat("0", 32) + "-b7ad6b7169203331-01"}}},
		{"two traceparents", http.Header{"Traceparent": {valid, valid}}},
		{"a flood of tracestate", http.Header{"Traceparent": {"00-" + marker}, "Tracestate": {strings.Repeat(marker+"=x,", 1000)}}},
	}
	targets := []struct {
		name string
		req  request
	}{
		{"token", request{url: s.a.URL + "/token", header: formHeader("Authorization", basic("svc", s.svcSecret)), body: form("grant_type", "client_credentials")}},
		{"search", request{method: "GET", url: s.ra.URL + "/search?query=apple", header: http.Header{"Authorization": {"Bearer " + access}}}},
	}
	t.Run("a hostile traceparent or tracestate changes no answer, and no log line or span holds it [W3C Trace Context §3.2, §3.3]", func(t *testing.T) {
		for _, target := range targets {
			for _, h := range headers {
				req := target.req
				req.header = req.header.Clone()
				for k, vs := range h.header {
					req.header[k] = vs
				}
				if a := s.do(t, req); a.status != http.StatusOK {
					t.Errorf("%s with %s: %s, want 200", target.name, h.name, a)
				}
			}
		}
		// None of them was a trace the servers joined: "two traceparents"
		// carried the forged id twice, and is not believed either.
		for name, logs := range map[string]string{"authserver": s.a.Logs.String(), "resourceserver": s.ra.Logs.String()} {
			if strings.Contains(logs, forgedTrace) {
				t.Errorf("%s logged the trace id of a hostile traceparent", name)
			}
		}
	})
}
