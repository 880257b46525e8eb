package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlcodec"
)

// seedParams bounds the parameters of one multi-row INSERT of the Seed
// methods: below SQLite's 32766 and PostgreSQL's 65535.
const seedParams = 30000

// SeedUsers adds n users, user(0) to user(n-1), with their claims on their
// names, in one transaction of multi-row INSERTs: the bulk load of a
// benchmark's database, rows exactly as CreateUser writes them. The
// database must not hold any of the names yet.
func (s *Store) SeedUsers(ctx context.Context, n int, user func(i int) store.User) error {
	err := seedSubjects(ctx, s, users, kindUser, n, user, func(u store.User) (string, error) {
		return u.Username, sqlcodec.CheckUser(u)
	})
	return s.wrap("seed users", err)
}

// SeedClients adds n clients, client(0) to client(n-1), as SeedUsers adds
// users.
func (s *Store) SeedClients(ctx context.Context, n int, client func(i int) store.Client) error {
	err := seedSubjects(ctx, s, clients, kindClient, n, client, func(c store.Client) (string, error) {
		return c.ID, sqlcodec.CheckClient(c)
	})
	return s.wrap("seed clients", err)
}

// seedSubjects adds n records of t, a table of subjects of that kind,
// with their claims on their names, in one transaction; check returns a
// record's name, or why it cannot be stored.
func seedSubjects[T any](ctx context.Context, s *Store, t *table[T], kind string, n int, record func(i int) T, check func(T) (string, error)) error {
	return s.tx(ctx, func(tx tx) error {
		err := seedRows(tx, "subjects", []string{"name", "kind"}, n, func(i int, args []any) ([]any, error) {
			name, err := check(record(i))
			return append(args, name, kind), err
		})
		if err != nil {
			return err
		}
		return seedTable(tx, t, n, func(i int) (T, error) { return record(i), nil })
	})
}

// SeedRefreshTokens adds n refresh families, each with its first token,
// grant(0) to grant(n-1), in one transaction, rows exactly as
// CreateRefreshToken writes them.
func (s *Store) SeedRefreshTokens(ctx context.Context, n int, grant func(i int) (store.RefreshFamily, store.RefreshToken)) error {
	err := s.tx(ctx, func(tx tx) error {
		err := seedTable(tx, families, n, func(i int) (store.RefreshFamily, error) {
			f, _ := grant(i)
			return f, nil
		})
		if err != nil {
			return err
		}
		return seedTable(tx, tokens, n, func(i int) (store.RefreshToken, error) {
			f, t := grant(i)
			return t, sqlcodec.CheckRefreshToken(f, &t)
		})
	})
	return s.wrap("seed refresh tokens", err)
}

// seedTable inserts n records of t, record(0) to record(n-1), with t's
// columns and encodings.
func seedTable[T any](tx tx, t *table[T], n int, record func(i int) (T, error)) error {
	return seedRows(tx, t.name, t.cols, n, func(i int, args []any) ([]any, error) {
		v, err := record(i)
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", i, err)
		}
		return t.appendPtrs(args, tx.s.d, &v), nil
	})
}

// seedRows inserts n rows into the columns cols of table name, as many
// rows per statement as seedParams allows; row appends the values of row
// i to args.
func seedRows(tx tx, name string, cols []string, n int, row func(i int, args []any) ([]any, error)) error {
	per := max(1, seedParams/len(cols))
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	statement := func(rows int) string {
		return tx.s.d.translate(`INSERT INTO ` + name + ` (` + strings.Join(cols, ", ") + `) VALUES ` +
			strings.TrimSuffix(strings.Repeat(tuple+", ", rows), ", "))
	}
	full := statement(per)
	args := make([]any, 0, per*len(cols))
	for start := 0; start < n; start += per {
		rows := min(per, n-start)
		args = args[:0]
		for i := start; i < start+rows; i++ {
			var err error
			if args, err = row(i, args); err != nil {
				return err
			}
		}
		text := full
		if rows < per {
			text = statement(rows)
		}
		if _, err := tx.tx.exec(tx.ctx, text, args...); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := tx.ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}
