package tracesdk_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/fastsafe/fastsafe/internal/logbuf"
	"github.com/fastsafe/fastsafe/internal/otlptest"
	"github.com/fastsafe/fastsafe/internal/tracesdk"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

var discard = slog.New(slog.DiscardHandler)

func TestOff(t *testing.T) {
	for name, vars := range map[string]map[string]string{
		"no endpoint":   {"OTEL_SERVICE_NAME": "x", "OTEL_TRACES_SAMPLER": "always_on"},
		"sdk disabled":  {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_SDK_DISABLED": "TRUE"},
		"exporter none": {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_TRACES_EXPORTER": "none"},
	} {
		t.Run(name, func(t *testing.T) {
			tr, err := tracesdk.Start(context.Background(), "svc", env(vars), discard)
			if err != nil {
				t.Fatal(err)
			}
			if tp := tr.TracerProvider(); tp != nil {
				t.Errorf("TracerProvider() = %v, want nil", tp)
			}
			if err := tr.Shutdown(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestRead(t *testing.T) {
	tests := []struct {
		name         string
		vars         map[string]string
		wantEndpoint string
		wantJSON     bool
		wantErr      []string // parts of the error; none for no error
	}{
		{"base endpoint", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, "http://collector:4318/v1/traces", false, nil},
		{"base endpoint with slash", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector:4318/"}, "https://collector:4318/v1/traces", false, nil},
		{"traces endpoint as is", map[string]string{
			"OTEL_EXPORTER_OTLP_ENDPOINT":        "http://other:4318",
			"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/custom",
		}, "http://collector:4318/custom", false, nil},
		{"json", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, "http://c:4318/v1/traces", true, nil},
		{"traces protocol wins", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
			"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf"}, "http://c:4318/v1/traces", false, nil},
		{"ratio sampler", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
			"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.25"}, "http://c:4318/v1/traces", false, nil},
		{"grpc", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "", false,
			[]string{"OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported", "http/protobuf"}},
		{"unknown protocol", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "thrift"}, "", false,
			[]string{`OTEL_EXPORTER_OTLP_TRACES_PROTOCOL="thrift"`}},
		{"no scheme", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"}, "", false, []string{"OTEL_EXPORTER_OTLP_ENDPOINT must be an absolute URL"}},
		{"credentials", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://u:p@c:4318/v1/traces"}, "", false, []string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must not contain a user name"}},
		{"exporter zipkin", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "zipkin"}, "", false, []string{`OTEL_TRACES_EXPORTER="zipkin"`}},
		{"disabled maybe", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "yes"}, "", false, []string{`OTEL_SDK_DISABLED="yes"`}},
		{"unknown sampler", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_SAMPLER": "jaeger_remote"}, "", false, []string{`OTEL_TRACES_SAMPLER="jaeger_remote"`}},
		{"ratio above one", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "2"}, "", false,
			[]string{`OTEL_TRACES_SAMPLER_ARG="2"`}},
		{"every problem", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "ftp://c", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_TRACES_SAMPLER": "x"}, "", false,
			[]string{"OTEL_EXPORTER_OTLP_ENDPOINT", "grpc", "OTEL_TRACES_SAMPLER"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := tracesdk.Read(env(tt.vars))
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("Read = %+v, want an error", cfg)
				}
				for _, want := range tt.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not say %q", err, want)
					}
				}
				if _, err := tracesdk.Start(context.Background(), "svc", env(tt.vars), discard); err == nil {
					t.Error("Start succeeded")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Endpoint != tt.wantEndpoint || cfg.JSON != tt.wantJSON || cfg.Sampler == nil {
				t.Errorf("Read = %+v, want endpoint %q, json %v", cfg, tt.wantEndpoint, tt.wantJSON)
			}
		})
	}
}

// TestExportsToAReceiver: with an endpoint, spans reach a real OTLP/HTTP
// receiver, in protobuf or JSON, with the service's name, and the last
// ones are sent by Shutdown.
func TestExportsToAReceiver(t *testing.T) {
	for _, protocol := range []string{"http/protobuf", "http/json"} {
		t.Run(protocol, func(t *testing.T) {
			rcv := otlptest.NewReceiver(t)
			tr, err := tracesdk.Start(context.Background(), "fastsafe-test", env(map[string]string{
				"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL,
				"OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
			}), discard)
			if err != nil {
				t.Fatal(err)
			}
			tracer := tr.TracerProvider().Tracer("test")
			ctx, parent := tracer.Start(context.Background(), "parent", trace.WithSpanKind(trace.SpanKindServer))
			_, child := tracer.Start(ctx, "child")
			child.End()
			parent.End()
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := tr.Shutdown(sctx); err != nil {
				t.Fatal(err)
			}
			spans := rcv.Spans()
			if len(spans) != 2 {
				t.Fatalf("received:\n%s want child and parent", otlptest.Format(spans))
			}
			c, p := spans[0], spans[1]
			if c.Name != "child" || p.Name != "parent" || c.Service != "fastsafe-test" || p.Service != "fastsafe-test" {
				t.Errorf("received:\n%s", otlptest.Format(spans))
			}
			if c.TraceID != p.TraceID || c.ParentID != p.SpanID || p.ParentID != "" {
				t.Errorf("the child is not under the parent:\n%s", otlptest.Format(spans))
			}
		})
	}
}

// TestExportFailureIsLogged: spans that cannot be sent are reported in
// the server's log, not on standard error.
func TestExportFailureIsLogged(t *testing.T) {
	rcv := otlptest.NewReceiver(t)
	var logs logbuf.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	tr, err := tracesdk.Start(context.Background(), "svc", env(map[string]string{
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": rcv.URL + "/nowhere",
	}), logger)
	if err != nil {
		t.Fatal(err)
	}
	_, span := tr.TracerProvider().Tracer("test").Start(context.Background(), "lost")
	span.End()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tr.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), `level=WARN msg="tracing: the OpenTelemetry SDK failed"`) || !strings.Contains(logs.String(), "404") {
		t.Errorf("the failed export is not in the log:\n%s", logs.String())
	}
}
