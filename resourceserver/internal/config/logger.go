package config

import (
	"io"
	"log/slog"

	"github.com/fastsafe/fastsafe/internal/logconfig"
)

// Logger returns the resource server's logger: records written to w as
// --log-format says, from --log-level up, each with the id of the request
// it was logged for (logconfig.New). Validate reports an invalid level,
// which logs at info.
func (c Config) Logger(w io.Writer) *slog.Logger {
	return logconfig.New(w, c.LogLevel, c.LogFormat)
}
