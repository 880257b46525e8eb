package config

import (
	"io"
	"log/slog"

	"github.com/fastsafe/fastsafe/internal/logconfig"
)

// Logger returns a logger writing to w in c.LogFormat at c.LogLevel, with
// the request id of each record's context (logconfig.New). An invalid
// level means info; Validate reports it.
func (c Config) Logger(w io.Writer) *slog.Logger {
	return logconfig.New(w, c.LogLevel, c.LogFormat)
}
