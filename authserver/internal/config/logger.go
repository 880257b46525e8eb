package config

import (
	"io"
	"log/slog"
	"strings"

	"github.com/fastsafe/fastsafe/pkg/requestid"
)

// Logger returns a logger writing to w in c.LogFormat (json, else text) at
// c.LogLevel, both read in any case, that adds the request id of the
// context of each record, if any (package requestid). An invalid level means info; Validate
// reports it.
func (c Config) Logger(w io.Writer) *slog.Logger {
	level, ok := parseLevel(c.LogLevel)
	if !ok {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if strings.EqualFold(c.LogFormat, "json") {
		h = slog.NewJSONHandler(w, opts)
	}
	// Records logged with a request's context carry its id.
	return slog.New(requestid.NewLogHandler(h))
}

// parseLevel accepts debug, info, warn and error in any case.
func parseLevel(s string) (slog.Level, bool) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, true
	case "info":
		return slog.LevelInfo, true
	case "warn":
		return slog.LevelWarn, true
	case "error":
		return slog.LevelError, true
	}
	return 0, false
}
