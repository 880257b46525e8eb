package logconfig

import (
	"io"
	"log/slog"
	"strings"

	"github.com/fastsafe/fastsafe/pkg/requestid"
)

// New returns a logger writing to w in format (json, else text) at level,
// both read in any case, that adds the request id of the context of each
// record, if any (package requestid). An invalid level means info;
// LevelProblem reports it.
func New(w io.Writer, level, format string) *slog.Logger {
	l, ok := ParseLevel(level)
	if !ok {
		l = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: l}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if strings.EqualFold(format, "json") {
		h = slog.NewJSONHandler(w, opts)
	}
	// Records logged with a request's context carry its id.
	return slog.New(requestid.NewLogHandler(h))
}

// ParseLevel accepts debug, info, warn and error in any case.
func ParseLevel(s string) (slog.Level, bool) {
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

// LevelProblem says what is wrong with a log level, or "" if nothing.
func LevelProblem(level string) string {
	if _, ok := ParseLevel(level); !ok {
		return "is not one of debug, info, warn, error"
	}
	return ""
}

// FormatProblem says what is wrong with a log format, text or json in any
// case, or "" if nothing.
func FormatProblem(format string) string {
	if f := strings.ToLower(format); f != "text" && f != "json" {
		return "is not text or json"
	}
	return ""
}
