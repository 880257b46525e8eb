package e2e_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/fastsafe/fastsafe/e2e/harness"
	"github.com/fastsafe/fastsafe/internal/otlptest"
	"github.com/fastsafe/fastsafe/internal/tracesdk"
	"github.com/fastsafe/fastsafe/pkg/clientcred"
)

// Service names the spans come from.
const (
	clientService = "e2e-reports"
	authService   = "fastsafe-authserver"
	rsService     = "fastsafe-resourceserver"
)

// TestOneTraceAcrossServices: a service calls /search through
// pkg/clientcred (a client_credentials token from the real authorization
// server, then the call to the real resource server), both servers
// sending their spans over OTLP/HTTP to a receiver on loopback. The call
// is one trace: the client's span, its two HTTP client spans, the auth
// server's request span with its store spans, and the resource server's
// request span with the token's verification, each under the right
// parent. The servers' request log lines name the trace and their span;
// no span holds a credential; a call its caller did not sample is not
// recorded.
func TestOneTraceAcrossServices(t *testing.T) {
	rcv := otlptest.NewReceiver(t)
	otel := map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL,
		"OTEL_BSP_SCHEDULE_DELAY":     "50", // milliseconds: spans arrive at once
	}
	auth := harness.StartAuth(t, harness.AuthOptions{Env: otel})
	secret := auth.AddClient("reports", "--grants", "client_credentials", "--scopes", "search", "--audience", "search-api")
	rs := harness.StartResource(t, auth, harness.ResourceOptions{Env: otel})

	// The calling service traces with the same SDK set-up as the servers.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tr, err := tracesdk.Start(ctx, clientService, func(k string) string { return otel[k] }, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	jobCtx, job := tr.TracerProvider().Tracer("e2e").Start(ctx, "nightly report")
	api := clientcred.Client(jobCtx, clientcred.Config{
		TokenURL: auth.URL + "/token", ClientID: "reports", ClientSecret: secret, Scopes: []string{"search"},
	})
	req, err := http.NewRequestWithContext(jobCtx, "GET", rs.URL+"/search?query="+url.QueryEscape("apple pie"), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := api.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("search: %d %s", resp.StatusCode, body)
	}
	job.End()
	if err := tr.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	traceID := job.SpanContext().TraceID().String()

	spans := inTrace(rcv.Wait(t, 20*time.Second, func(s []otlptest.Span) bool {
		got := inTrace(s, traceID)
		return find(got, authService, "POST /token") != nil && find(got, rsService, "GET /search") != nil &&
			find(got, rsService, "verify token") != nil && find(got, clientService, "nightly report") != nil
	}), traceID)

	// Who is under whom.
	root := find(spans, clientService, "nightly report")
	tokenCall := find(spans, clientService, "POST")
	searchCall := find(spans, clientService, "GET")
	authReq := find(spans, authService, "POST /token")
	rsReq := find(spans, rsService, "GET /search")
	verify := find(spans, rsService, "verify token")
	getClient := find(spans, authService, "store GetClient")
	for _, link := range []struct {
		name          string
		child, parent *otlptest.Span
		kind          tracepb.Span_SpanKind
	}{
		{"client token request", tokenCall, root, tracepb.Span_SPAN_KIND_CLIENT},
		{"client search call", searchCall, root, tracepb.Span_SPAN_KIND_CLIENT},
		{"auth server request", authReq, tokenCall, tracepb.Span_SPAN_KIND_SERVER},
		{"auth server store call", getClient, authReq, tracepb.Span_SPAN_KIND_INTERNAL},
		{"resource server request", rsReq, searchCall, tracepb.Span_SPAN_KIND_SERVER},
		{"token verification", verify, rsReq, tracepb.Span_SPAN_KIND_INTERNAL},
	} {
		switch {
		case link.child == nil || link.parent == nil:
			t.Errorf("%s: span missing in the trace:\n%s", link.name, otlptest.Format(spans))
		case link.child.ParentID != link.parent.SpanID:
			t.Errorf("%s: %q is under %s, want %q (%s)", link.name, link.child.Name, link.child.ParentID, link.parent.Name, link.parent.SpanID)
		case link.child.Kind != link.kind:
			t.Errorf("%s: kind %v, want %v", link.name, link.child.Kind, link.kind)
		}
	}
	if root != nil && root.ParentID != "" {
		t.Errorf("the job's span has parent %s, want none", root.ParentID)
	}
	// One tree: every parent is in the trace.
	ids := map[string]bool{}
	for _, s := range spans {
		ids[s.SpanID] = true
	}
	for _, s := range spans {
		if s.ParentID != "" && !ids[s.ParentID] {
			t.Errorf("%s %q has parent %s, which is not in the trace", s.Service, s.Name, s.ParentID)
		}
	}
	if rsReq != nil && (rsReq.Attributes["http.route"] != "/search" || rsReq.Attributes["http.response.status_code"] != "200") {
		t.Errorf("resource server span attributes %v", rsReq.Attributes)
	}
	if verify != nil && verify.Attributes["oauth.client_id"] != "reports" {
		t.Errorf("verification span attributes %v, want the client", verify.Attributes)
	}
	// No credential and no query string in any span, of any trace.
	for _, s := range rcv.Spans() {
		values := []string{s.Name, s.Message}
		for _, v := range s.Attributes {
			values = append(values, v)
		}
		for _, v := range values {
			for _, bad := range []string{secret, "eyJ", "apple"} {
				if strings.Contains(v, bad) {
					t.Errorf("%s span %q holds %q: %q", s.Service, s.Name, bad, v)
				}
			}
		}
	}
	// The request lines name the trace and the server span.
	for _, p := range []struct {
		logs  *harness.Process
		path  string
		span  *otlptest.Span
		where string
	}{{auth.Process, "/token", authReq, authService}, {rs.Process, "/search", rsReq, rsService}} {
		if p.span == nil {
			continue
		}
		if !logged(t, p.logs, p.path, traceID, p.span.SpanID) {
			t.Errorf("%s logged no request line of %s with trace_id %s and span_id %s:\n%s", p.where, p.path, traceID, p.span.SpanID, p.logs.Logs.String())
		}
	}

	// A call whose caller did not sample its trace records nothing here
	// (the default sampler follows the caller), but still logs the trace.
	const unsampled = "4bf92f3577b34da6a3ce929d0e0e4736"
	token, err := clientcred.TokenSource(ctx, clientcred.Config{TokenURL: auth.URL + "/token", ClientID: "reports", ClientSecret: secret}).Token()
	if err != nil {
		t.Fatal(err)
	}
	for _, parent := range []string{"00-" + unsampled + "-00f067aa0ba902b7-00", ""} {
		r, _ := http.NewRequestWithContext(ctx, "GET", rs.URL+"/search?query=x", nil)
		r.Header.Set("Authorization", "Bearer "+token.AccessToken)
		if parent != "" {
			r.Header.Set("traceparent", parent)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	// The second call, a new trace of the resource server's own, comes
	// after the first in its export queue: once it arrives, the first
	// would have too.
	before := len(rcv.Spans())
	rcv.Wait(t, 20*time.Second, func(s []otlptest.Span) bool {
		for _, x := range s[before:] {
			if x.Service == rsService && x.Name == "GET /search" && x.ParentID == "" {
				return true
			}
		}
		return false
	})
	if got := inTrace(rcv.Spans(), unsampled); len(got) > 0 {
		t.Errorf("spans of an unsampled trace were recorded:\n%s", otlptest.Format(got))
	}
	if !logged(t, rs.Process, "/search", unsampled, "") {
		t.Errorf("the unsampled call's request line lacks its trace_id")
	}
}

// inTrace returns the spans of trace id.
func inTrace(spans []otlptest.Span, id string) []otlptest.Span {
	var out []otlptest.Span
	for _, s := range spans {
		if s.TraceID == id {
			out = append(out, s)
		}
	}
	return out
}

// find returns the first span of service named name, or nil.
func find(spans []otlptest.Span, service, name string) *otlptest.Span {
	for i := range spans {
		if spans[i].Service == service && spans[i].Name == name {
			return &spans[i]
		}
	}
	return nil
}

// logged reports whether p logged a request line of path with trace_id
// traceID and, unless spanID is "", span_id spanID.
func logged(t *testing.T, p *harness.Process, path, traceID, spanID string) bool {
	t.Helper()
	records, err := p.Logs.Records()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range records {
		if r["msg"] == "request" && r["path"] == path && r["trace_id"] == traceID && (spanID == "" || r["span_id"] == spanID) {
			return true
		}
	}
	return false
}
