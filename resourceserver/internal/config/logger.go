package config

import (
	"io"
	"log/slog"
	"strings"
)

// Logger returns a logger writing to w in c.LogFormat (json, else text) at
// c.LogLevel, both read in any case. An invalid level means info; Validate
// reports it.
func (c Config) Logger(w io.Writer) *slog.Logger {
	level, ok := parseLevel(c.LogLevel)
	if !ok {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if strings.EqualFold(c.LogFormat, "json") {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
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
