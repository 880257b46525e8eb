package server_test

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/fastsafe/fastsafe/authserver/internal/config"
	"github.com/fastsafe/fastsafe/authserver/internal/server"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlstore"
	"github.com/fastsafe/fastsafe/internal/logbuf"
)

// tracedServer is the server's handler tracing with the OpenTelemetry SDK
// into rec, logging JSON into logs.
func tracedServer(t *testing.T, rec *tracetest.SpanRecorder, logs *logbuf.Buffer) http.Handler {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.OpenSQLite(ctx, t.TempDir()+"/auth.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	now := time.Now().Truncate(time.Second)
	seed(t, st, now)
	cfg := config.Defaults()
	cfg.Issuer = "http://auth.test"
	cfg.BcryptCost = 5
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	s, err := server.New(ctx, cfg, st, slog.New(slog.NewJSONHandler(logs, nil)), time.Now, server.WithTracerProvider(tp))
	if err != nil {
		t.Fatal(err)
	}
	return s.Handler()
}

// TestTraces: a token request continues its caller's trace in a server
// span; its store calls and bcrypt run in spans under it; its log line
// names the trace and the span; no span holds a credential.
func TestTraces(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	logs := &logbuf.Buffer{}
	h := tracedServer(t, rec, logs)
	const (
		callerTrace = "0af7651916cd43dd8448eb211c80319c"
		callerSpan  = "b7ad6b7169203331"
	)
	post := func(form url.Values) {
		r := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("web:"+webSecret)))
		r.Header.Set("traceparent", "00-"+callerTrace+"-"+callerSpan+"-01")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
	post(url.Values{"grant_type": {"client_credentials"}, "scope": {"search"}})
	post(url.Values{"grant_type": {"password"}, "username": {"tester"}, "password": {userPassword}, "scope": {"search"}})

	spans := rec.Ended()
	var servers []sdktrace.ReadOnlySpan
	children := map[trace.SpanID][]string{}
	for _, s := range spans {
		if s.SpanContext().TraceID().String() != callerTrace {
			t.Errorf("span %q is in trace %s, want the caller's", s.Name(), s.SpanContext().TraceID())
		}
		if s.SpanKind() == trace.SpanKindServer {
			servers = append(servers, s)
			continue
		}
		children[s.Parent().SpanID()] = append(children[s.Parent().SpanID()], s.Name())
	}
	if len(servers) != 2 {
		t.Fatalf("%d server spans, want 2", len(servers))
	}
	for i, s := range servers {
		if s.Name() != "POST /token" || s.Parent().SpanID().String() != callerSpan || !s.Parent().IsRemote() {
			t.Errorf("server span %q under %v, want POST /token under the caller's span", s.Name(), s.Parent())
		}
		got := children[s.SpanContext().SpanID()]
		if !slices.Contains(got, "store GetClient") {
			t.Errorf("request %d: spans under the server span %q lack store GetClient", i, got)
		}
		if i == 1 && (!slices.Contains(got, "bcrypt verify") || !slices.Contains(got, "store GetUser")) {
			t.Errorf("password grant: spans under the server span %q lack bcrypt verify and store GetUser", got)
		}
	}
	// The request lines carry the trace.
	records, err := logs.Records()
	if err != nil {
		t.Fatal(err)
	}
	var lines int
	for _, r := range records {
		if r["msg"] != "request" {
			continue
		}
		if r["trace_id"] != callerTrace || r["span_id"] != servers[lines].SpanContext().SpanID().String() {
			t.Errorf("request line %v, want trace_id %s and the server span's span_id", r, callerTrace)
		}
		lines++
	}
	if lines != 2 {
		t.Errorf("%d request lines, want 2", lines)
	}
	// No credential in any span.
	for _, s := range spans {
		values := []string{s.Name(), s.Status().Description}
		for _, a := range s.Attributes() {
			values = append(values, a.Value.String())
		}
		for _, e := range s.Events() {
			values = append(values, e.Name)
		}
		for _, v := range values {
			for _, secret := range []string{webSecret, userPassword, "eyJ", "tester"} {
				if strings.Contains(v, secret) {
					t.Errorf("span %q holds %q", s.Name(), secret)
				}
			}
		}
	}
}
