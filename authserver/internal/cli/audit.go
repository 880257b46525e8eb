package cli

import (
	"context"
	"log/slog"
	"os"
	"os/user"
	"strconv"
)

// audit logs a change an administrator made to users, clients, keys or the
// database: who (the operating-system user running the command), what
// (msg and attrs) and when (the log line's time). Every audit line has
// audit=true, so that it can be filtered out of the other logs. Callers
// pass names and IDs only, never a password, secret or key.
func (a *app) audit(ctx context.Context, msg string, attrs ...any) {
	a.log.With(slog.Bool("audit", true), slog.String("actor", a.whoami())).InfoContext(ctx, msg, attrs...)
}

// osUser names the operating-system user running the process: the login
// name, or "uid N" when the user database does not know the user (as in a
// container running under an arbitrary user ID).
func osUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "uid " + strconv.Itoa(os.Getuid())
}
