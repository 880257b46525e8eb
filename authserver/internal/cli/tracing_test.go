package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fastsafe/fastsafe/internal/logbuf"
)

// TestServeRefusesWrongTracingSettings: a tracing variable serve cannot
// honour stops it with a usage error that names it, rather than a server
// that silently traces nothing.
func TestServeRefusesWrongTracingSettings(t *testing.T) {
	env := map[string]string{
		"AUTH_DB":                     filepath.Join(t.TempDir(), "auth.db"),
		"AUTH_CREATE_DB":              "true",
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317",
		"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
	}
	var stdout, stderr logbuf.Buffer
	code := Main(context.Background(), []string{"serve", "--addr", "127.0.0.1:0"}, strings.NewReader(""), &stdout, &stderr,
		func(k string) string { return env[k] })
	if code != ExitUsage || !strings.Contains(stderr.String(), "OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr.String())
	}
}
