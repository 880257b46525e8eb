package config

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/fastsafe/fastsafe/pkg/requestid"
)

func TestLoggerAddsRequestID(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var out bytes.Buffer
			c := Defaults()
			c.LogFormat = format
			log := c.Logger(&out)
			log.InfoContext(requestid.NewContext(context.Background(), "req-7"), "with id")
			log.Info("without id")
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if len(lines) != 2 || !strings.Contains(lines[0], "req-7") || strings.Contains(lines[1], requestid.LogKey) {
				t.Errorf("lines = %q, want the id on the first only", lines)
			}
		})
	}
}
