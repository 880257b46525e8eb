package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/pgtest"
	"github.com/fastsafe/fastsafe/internal/logbuf"
	"github.com/jackc/pgx/v5"
)

// sentinel reports whether err is one of the store's own errors, which
// callers take as an answer about the data rather than a failure.
func sentinel(err error) bool {
	return errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrAlreadyExists) || errors.Is(err, store.ErrTokenReused)
}

// TestConnectionLoss takes the database away from a store and brings it
// back: while it is away every call fails with an error that is not one of
// the store's answers, and afterwards the same store works again.
func TestConnectionLoss(t *testing.T) {
	dsn := pgtest.DSN(t)
	proxy, viaProxy := pgtest.NewProxy(t, dsn)
	s := openPostgres(t, viaProxy)
	ctx := t.Context()
	f := store.RefreshFamily{ID: "fam", ClientID: "web", Subject: "alice", CreatedAt: clock, ExpiresAt: clock.Add(time.Hour)}
	if err := s.CreateRefreshToken(ctx, f, store.RefreshToken{ID: "t1", ExpiresAt: clock.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(ctx, store.User{Username: "alice"}); err != nil {
		t.Fatal(err)
	}

	proxy.Cut()
	calls := []struct {
		name string
		call func() error
	}{
		{"Ping", func() error { return s.Ping(ctx) }},
		{"GetUser", func() error { _, err := s.GetUser(ctx, "alice"); return err }},
		{"GetUser of a missing user", func() error { _, err := s.GetUser(ctx, "bob"); return err }},
		{"CreateUser", func() error { return s.CreateUser(ctx, store.User{Username: "bob"}) }},
		{"RotateRefreshToken", func() error {
			return rotate(s, ctx, "t1", clock.Add(time.Minute), store.RefreshToken{ID: "t2", ExpiresAt: clock.Add(time.Hour)})
		}},
		{"AccessTokenRevoked", func() error { _, err := s.AccessTokenRevoked(ctx, "jti"); return err }},
		{"ListSigningKeys", func() error { _, err := s.ListSigningKeys(ctx); return err }},
	}
	for _, c := range calls {
		t.Run("down/"+c.name, func(t *testing.T) {
			err := c.call()
			if err == nil || sentinel(err) {
				t.Fatalf("got %v, want a failure that is not one of the store's answers", err)
			}
		})
	}

	proxy.Restore()
	for _, c := range calls {
		t.Run("back/"+c.name, func(t *testing.T) {
			err := c.call()
			if c.name == "GetUser of a missing user" {
				if !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("got %v, want %v", err, store.ErrNotFound)
				}
				return
			}
			if err != nil {
				t.Fatalf("after the database came back: %v", err)
			}
		})
	}
	if _, _, err := s.GetRefreshToken(ctx, "t2"); err != nil {
		t.Fatalf("the rotation after recovery is not stored: %v", err)
	}
}

// tokenState is what a direct look at the database finds of one rotation.
type tokenState struct {
	oldUsed, nextStored, familyRevoked bool
}

func inspect(t *testing.T, s *Store, oldID, nextID, familyID string) tokenState {
	t.Helper()
	var st tokenState
	old, fam, err := s.GetRefreshToken(t.Context(), oldID)
	if err != nil {
		t.Fatalf("GetRefreshToken %s: %v", oldID, err)
	}
	st.oldUsed, st.familyRevoked = !old.UsedAt.IsZero(), fam.Revoked()
	_, _, err = s.GetRefreshToken(t.Context(), nextID)
	switch {
	case err == nil:
		st.nextStored = true
	case !errors.Is(err, store.ErrNotFound):
		t.Fatalf("GetRefreshToken %s: %v", nextID, err)
	}
	if fam.ID != familyID {
		t.Fatalf("token %s is in family %s, want %s", oldID, fam.ID, familyID)
	}
	return st
}

// settle waits until no connection named app is busy on the server: none
// is running a statement or holding a transaction open.
func settle(t *testing.T, conn *pgx.Conn, app string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var busy int
		err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
WHERE application_name = $1 AND state IS DISTINCT FROM 'idle'`, app).Scan(&busy)
		if err != nil {
			t.Fatalf("settle: %v", err)
		}
		if busy == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("settle: %d connections named %s still busy after 30s", busy, app)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRotationAllOrNothing cuts the connection after every few bytes a
// rotation sends, in turn, from before its first statement to after its
// commit: the database then holds either the whole rotation or none of it.
// The same holds for reuse detection, which revokes the family.
func TestRotationAllOrNothing(t *testing.T) {
	// Commits need not reach the disk for this test, which makes many.
	dsn := pgtest.WithParam(t, pgtest.DSN(t), "synchronous_commit", "off")
	direct := openPostgres(t, dsn)
	// The connection under test is named, so that the test can wait for
	// the server to finish what it received before a cut.
	const underTest = "rotation-under-test"
	proxy, viaProxy := pgtest.NewProxy(t, pgtest.WithParam(t, dsn, "application_name", underTest))
	watch, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close(context.Background())
	// One connection, so that every byte the proxy counts belongs to the
	// rotation under test.
	s := openPostgres(t, viaProxy, WithMaxConns(1))
	ctx := t.Context()

	const step = 7
	cut, whole := 0, false
	for i := 0; !whole; i++ {
		fam := fmt.Sprintf("fam-%03d", i)
		f := store.RefreshFamily{ID: fam, ClientID: "web", Subject: "alice", CreatedAt: clock, ExpiresAt: clock.Add(time.Hour)}
		if err := direct.CreateRefreshToken(ctx, f, store.RefreshToken{ID: fam + "-t1", ExpiresAt: clock.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		// Reuse detection needs a used token.
		if err := rotate(direct, ctx, fam+"-t1", clock, store.RefreshToken{ID: fam + "-t2", ExpiresAt: clock.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		// Spend the budget on the rotation alone, not on the pool's
		// liveness ping of an idle connection.
		if err := s.Ping(ctx); err != nil {
			t.Fatalf("Ping before budget %d: %v", i*step, err)
		}
		proxy.CutAfter(int64(i * step))
		rotErr := rotate(s, ctx, fam+"-t2", clock.Add(time.Minute), store.RefreshToken{ID: fam + "-t3", ExpiresAt: clock.Add(time.Hour)})
		proxy.CutAfter(int64(i * step))
		reuseErr := rotate(s, ctx, fam+"-t1", clock.Add(time.Minute), store.RefreshToken{ID: fam + "-x", ExpiresAt: clock.Add(time.Hour)})
		proxy.Restore()
		// A cut loses the answer, not always the request: a COMMIT that
		// reached the server before the cut may still be running.
		settle(t, watch, underTest)

		rot := inspect(t, direct, fam+"-t2", fam+"-t3", fam)
		switch {
		case rot.oldUsed && rot.nextStored:
			// Committed. An error here means the commit's answer was lost.
		case !rot.oldUsed && !rot.nextStored:
			if rotErr == nil {
				t.Fatalf("budget %d: rotation reported success but stored nothing", i*step)
			}
			if sentinel(rotErr) {
				t.Fatalf("budget %d: rotation that stored nothing failed with %v", i*step, rotErr)
			}
		default:
			t.Fatalf("budget %d: half a rotation stored: %+v (error %v)", i*step, rot, rotErr)
		}

		reuse := inspect(t, direct, fam+"-t1", fam+"-x", fam)
		if reuse.nextStored {
			t.Fatalf("budget %d: reuse stored its next token", i*step)
		}
		if reuseErr == nil || (errors.Is(reuseErr, store.ErrTokenReused) && !reuse.familyRevoked) {
			t.Fatalf("budget %d: reuse returned %v with the family revoked: %v", i*step, reuseErr, reuse.familyRevoked)
		}

		if rotErr != nil || !errors.Is(reuseErr, store.ErrTokenReused) {
			cut++
		} else {
			whole = true
		}
		if i > 2000 {
			t.Fatal("the rotations never ran whole")
		}
	}
	t.Logf("%d budgets, %d cut", cut+1, cut)
	if cut < 10 {
		t.Fatalf("only %d rotations were cut; the test did not cut where it meant to", cut)
	}
}

// TestSecretsStayOutOfErrors opens stores with a password in the URL in
// ways that fail, and checks that neither the error nor the log shows it.
func TestSecretsStayOutOfErrors(t *testing.T) {
	base := pgtest.BaseDSN(t)
	const password = "Sup3r-Secret-Pa55word"
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()
	withPassword := func(host string) string {
		i := strings.Index(base, "://")
		rest := base[i+3:]
		if at := strings.LastIndex(rest[:strings.IndexAny(rest+"/", "/")], "@"); at >= 0 {
			rest = rest[at+1:]
		}
		if host != "" {
			rest = host + rest[strings.IndexAny(rest+"/", "/"):]
		}
		return base[:i+3] + "fastsafe_test:" + password + "@" + rest
	}
	tests := []struct {
		name string
		dsn  string
	}{
		{"wrong password", withPassword("")},
		{"nothing listening", withPassword(closedAddr)},
		{"unparsable port", "postgres://fastsafe_test:" + password + "@127.0.0.1:notaport/db"},
		{"unparsable option", "postgres://fastsafe_test:" + password + "@127.0.0.1/db?connect_timeout=soon"},
		{"key=value form", "host=127.0.0.1 port=" + strings.Split(closedAddr, ":")[1] + " user=fastsafe_test password=" + password + " dbname=x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs logbuf.Buffer
			s, err := OpenPostgres(t.Context(), tc.dsn, WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if strings.Contains(err.Error(), password) {
				t.Fatalf("error shows the password: %v", err)
			}
			if strings.Contains(logs.String(), password) {
				t.Fatalf("log shows the password: %s", logs.String())
			}
		})
	}
}
