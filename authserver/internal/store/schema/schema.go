package schema

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migration is one numbered migration file.
type Migration struct {
	Version int
	Name    string // file name without any dialect, such as 0001_init.sql
	SQL     string
	// Shared is true for a migration written once for every dialect, which
	// the backend translates; false for one written in the dialect itself.
	Shared bool
}

// Load reads the shared migrations, the files NNNN_name.sql in dir of fsys,
// in version order, and ignores other files. Versions must start at 1 and
// have no gaps.
func Load(fsys fs.FS, dir string) ([]Migration, error) { return LoadDialect(fsys, dir, "") }

// LoadDialect reads the migrations of one dialect: for each version either
// the shared file NNNN_name.sql or the dialect's own NNNN_name.DIALECT.sql
// (a migration that was written for each dialect before they shared one),
// never both. The files of other dialects and files not ending in .sql are
// ignored. Versions must start at 1 and have no gaps.
func LoadDialect(fsys fs.FS, dir, dialect string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, e := range entries {
		file := e.Name()
		if e.IsDir() || !strings.HasSuffix(file, ".sql") {
			continue
		}
		name, fileDialect := file, ""
		if base, d, ok := strings.Cut(strings.TrimSuffix(file, ".sql"), "."); ok {
			name, fileDialect = base+".sql", d
		}
		if fileDialect != "" && fileDialect != dialect {
			continue
		}
		prefix, _, ok := strings.Cut(name, "_")
		if !ok {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql", file)
		}
		v, err := strconv.Atoi(prefix)
		if err != nil || v < 1 {
			return nil, fmt.Errorf("migration %s: name must start with a positive version number", file)
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, file))
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(b), Shared: fileDialect == ""})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d", m.Name, i+1)
		}
	}
	if len(ms) == 0 {
		return nil, errors.New("no migrations")
	}
	return ms, nil
}

// MustLoad is LoadDialect for migrations embedded in the binary: it panics,
// naming the dialect, if they are malformed.
func MustLoad(fsys fs.FS, dir, dialect string) []Migration {
	ms, err := LoadDialect(fsys, dir, dialect)
	if err != nil {
		panic(dialect + ": " + err.Error())
	}
	return ms
}

// Latest is the version of the last of ms, which Load returned.
func Latest(ms []Migration) int { return ms[len(ms)-1].Version }

// Runner applies a backend's migrations.
type Runner struct {
	// Backend prefixes error messages, as in "sqlite: migrate: ...".
	Backend string
	// TooNew is the backend's error for a database newer than the binary.
	TooNew error
	// Log receives a line for each migration applied.
	Log *slog.Logger
}

// Check returns TooNew, with the backend and both versions, if a database
// at version current is newer than latest, the newest version the binary
// knows.
func (r Runner) Check(current, latest int) error {
	if current > latest {
		return fmt.Errorf("%s: %w (database version %d, binary version %d)", r.Backend, r.TooNew, current, latest)
	}
	return nil
}

// Step applies m unless the database has it already, and reports whether
// it did. It runs m in its own transaction and returns an error matching
// TooNew (from Check) if the database turns out to be newer than the
// binary.
type Step func(m Migration) (applied bool, err error)

// Apply runs step for each of ms in order. It stops at the first error:
// one matching TooNew is returned as it is, any other with the backend and
// the migration's name. It logs each migration that step applied.
func (r Runner) Apply(ms []Migration, step Step) error {
	for _, m := range ms {
		applied, err := step(m)
		if errors.Is(err, r.TooNew) {
			return err
		}
		if err != nil {
			return fmt.Errorf("%s: migrate: %s: %w", r.Backend, m.Name, err)
		}
		if applied {
			r.Log.Info("applied database migration", "version", m.Version, "name", m.Name)
		}
	}
	return nil
}
