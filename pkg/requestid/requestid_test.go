package requestid_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fastsafe/fastsafe/pkg/requestid"
	"github.com/fastsafe/fastsafe/pkg/tracing"
	"github.com/fastsafe/fastsafe/pkg/tracing/tracingtest"
)

func TestValid(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"abc-123", true},
		{"0f3c9a4e-1b2d-4c5e-8f90-123456789abc", true},
		{"svc:abc/def+g=@h_i.j", true},
		{strings.Repeat("a", requestid.MaxLen), true},
		{"", false},
		{strings.Repeat("a", requestid.MaxLen+1), false},
		{"a b", false},
		{"a\nlevel=ERROR msg=forged", false},
		{"a\"b", false},
		{"ümlaut", false},
		{"<script>", false},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			if got := requestid.Valid(tt.id); got != tt.want {
				t.Errorf("Valid(%q) = %v, want %v", tt.id, got, tt.want)
			}
		})
	}
}

func TestNew(t *testing.T) {
	a, b := requestid.New(), requestid.New()
	if !requestid.Valid(a) || len(a) != 32 {
		t.Errorf("New() = %q, want 32 valid characters", a)
	}
	if a == b {
		t.Errorf("two ids are equal: %q", a)
	}
}

func TestMiddleware(t *testing.T) {
	tests := []struct {
		name     string
		incoming []string
		wantSame bool
	}{
		{"valid id kept", []string{"req-42"}, true},
		{"absent id generated", nil, false},
		{"invalid id replaced", []string{"bad id\r\nx"}, false},
		{"too long id replaced", []string{strings.Repeat("x", requestid.MaxLen+1)}, false},
		{"repeated header replaced", []string{"a", "b"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			logger := slog.New(requestid.NewLogHandler(slog.NewJSONHandler(&logs, nil)))
			var seen string
			h := requestid.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen, _ = requestid.FromContext(r.Context())
				logger.InfoContext(r.Context(), "handled")
			}))
			req := httptest.NewRequest("GET", "/", nil)
			for _, v := range tt.incoming {
				req.Header.Add(requestid.Header, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			got := rec.Header().Get(requestid.Header)
			if !requestid.Valid(got) {
				t.Fatalf("response id %q is not valid", got)
			}
			if got != seen {
				t.Errorf("response id %q, context id %q", got, seen)
			}
			if tt.wantSame && got != tt.incoming[0] {
				t.Errorf("response id %q, want the incoming %q", got, tt.incoming[0])
			}
			if !tt.wantSame && len(tt.incoming) > 0 && got == tt.incoming[0] {
				t.Errorf("invalid incoming id %q was kept", got)
			}
			var rec2 map[string]any
			if err := json.Unmarshal(logs.Bytes(), &rec2); err != nil {
				t.Fatal(err)
			}
			if rec2[requestid.LogKey] != got {
				t.Errorf("log line %s lacks request_id %q", logs.String(), got)
			}
		})
	}
}

func TestLogHandler(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(requestid.NewLogHandler(slog.NewJSONHandler(&logs, nil)))
	logger = requestid.WithLogger(logger) // not wrapped twice
	logger.With("component", "x").InfoContext(requestid.NewContext(context.Background(), "r-1"), "with id")
	logger.Info("without id")
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines: %s", len(lines), logs.String())
	}
	if strings.Count(lines[0], `"request_id":"r-1"`) != 1 || !strings.Contains(lines[0], `"component":"x"`) {
		t.Errorf("line with id = %s", lines[0])
	}
	if strings.Contains(lines[1], "request_id") {
		t.Errorf("line without id = %s", lines[1])
	}
}

func TestTransport(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get(requestid.Header))
	}))
	defer srv.Close()
	client := &http.Client{Transport: &requestid.Transport{Base: srv.Client().Transport}}
	send := func(ctx context.Context, preset string) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		if preset != "" {
			req.Header.Set(requestid.Header, preset)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if preset == "" && req.Header.Get(requestid.Header) != "" {
			t.Error("Transport modified the caller's request")
		}
	}
	send(requestid.NewContext(context.Background(), "up-1"), "")
	send(context.Background(), "")
	send(requestid.NewContext(context.Background(), "up-2"), "explicit")
	want := []string{"up-1", "", "explicit"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("ids received = %q, want %q", got, want)
	}
}

func TestLogHandlerTrace(t *testing.T) {
	rec := tracingtest.NewRecorder()
	spanCtx, span := rec.Tracer("test").Start(requestid.NewContext(context.Background(), "r-1"), "work")
	defer span.End()
	sc := span.SpanContext()
	in := httptest.NewRequest("GET", "/", nil)
	in.Header.Set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	remoteCtx := tracing.Continue(in).Context()

	tests := []struct {
		name              string
		ctx               context.Context
		wantTrace, wantID string
	}{
		{"own span", spanCtx, sc.TraceID().String(), sc.SpanID().String()},
		{"remote parent only", remoteCtx, "0af7651916cd43dd8448eb211c80319c", ""},
		{"no trace", context.Background(), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			logger := requestid.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil)))
			logger.InfoContext(tt.ctx, "line")
			var got map[string]any
			if err := json.Unmarshal(logs.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			for key, want := range map[string]string{requestid.TraceIDKey: tt.wantTrace, requestid.SpanIDKey: tt.wantID} {
				v, ok := got[key]
				if want == "" && ok {
					t.Errorf("%s = %v, want none", key, v)
				}
				if want != "" && v != want {
					t.Errorf("%s = %v, want %s", key, v, want)
				}
			}
		})
	}
}

func TestLogHandlerOutsideTraceAllocatesNothing(t *testing.T) {
	logger := slog.New(requestid.NewLogHandler(nopHandler{}))
	ctx := context.Background()
	if allocs := testing.AllocsPerRun(100, func() { logger.InfoContext(ctx, "line") }); allocs != 0 {
		t.Errorf("a line with no request id and no trace allocates %v times", allocs)
	}
}

// nopHandler is an enabled handler that keeps nothing.
type nopHandler struct{}

func (nopHandler) Enabled(context.Context, slog.Level) bool  { return true }
func (nopHandler) Handle(context.Context, slog.Record) error { return nil }
func (h nopHandler) WithAttrs([]slog.Attr) slog.Handler      { return h }
func (h nopHandler) WithGroup(string) slog.Handler           { return h }
