package schema

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name     string
		fs       fstest.MapFS
		versions []int
		wantErr  bool
	}{
		{"in order", fstest.MapFS{
			"m/0002_b.sql": file("B"), "m/0001_a.sql": file("A"), "m/README": file("x"),
		}, []int{1, 2}, false},
		{"gap", fstest.MapFS{"m/0001_a.sql": file("A"), "m/0003_c.sql": file("C")}, nil, true},
		{"duplicate", fstest.MapFS{"m/0001_a.sql": file("A"), "m/0001_b.sql": file("B")}, nil, true},
		{"no number", fstest.MapFS{"m/init.sql": file("A")}, nil, true},
		{"zero", fstest.MapFS{"m/0000_a.sql": file("A")}, nil, true},
		{"empty", fstest.MapFS{"m/README": file("x")}, nil, true},
		{"no directory", fstest.MapFS{"other/0001_a.sql": file("A")}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ms, err := Load(tc.fs, "m")
			if tc.wantErr {
				if err == nil {
					t.Fatalf("got %d migrations, want an error", len(ms))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, m := range ms {
				got = append(got, m.Version)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.versions) {
				t.Fatalf("versions %v, want %v", got, tc.versions)
			}
			if Latest(ms) != tc.versions[len(tc.versions)-1] {
				t.Fatalf("Latest: %d, want %d", Latest(ms), tc.versions[len(tc.versions)-1])
			}
		})
	}
	t.Run("contents", func(t *testing.T) {
		ms, err := Load(fstest.MapFS{"m/0001_init.sql": file("CREATE TABLE t (id TEXT);")}, "m")
		if err != nil {
			t.Fatal(err)
		}
		if want := (Migration{Version: 1, Name: "0001_init.sql", SQL: "CREATE TABLE t (id TEXT);", Shared: true}); len(ms) != 1 || ms[0] != want {
			t.Fatalf("got %+v, want [%+v]", ms, want)
		}
	})
}

func TestMustLoadPanicsNamingBackend(t *testing.T) {
	defer func() {
		r := recover()
		if s, ok := r.(string); !ok || !strings.HasPrefix(s, "db: ") {
			t.Fatalf("recovered %v, want a panic naming the backend", r)
		}
	}()
	MustLoad(fstest.MapFS{}, "m", "db")
}

var errTooNew = errors.New("db: schema too new")

func TestCheck(t *testing.T) {
	r := Runner{Backend: "db", TooNew: errTooNew}
	for _, tc := range []struct {
		current, latest int
		tooNew          bool
	}{
		{0, 2, false}, {1, 2, false}, {2, 2, false}, {3, 2, true},
	} {
		t.Run(fmt.Sprintf("%d of %d", tc.current, tc.latest), func(t *testing.T) {
			err := r.Check(tc.current, tc.latest)
			if !tc.tooNew {
				if err != nil {
					t.Fatalf("got %v", err)
				}
				return
			}
			if !errors.Is(err, errTooNew) || !strings.Contains(err.Error(), "database version 3, binary version 2") {
				t.Fatalf("got %v, want %v naming both versions", err, errTooNew)
			}
		})
	}
}

func TestApply(t *testing.T) {
	ms := []Migration{{Version: 1, Name: "0001_a.sql"}, {Version: 2, Name: "0002_b.sql"}, {Version: 3, Name: "0003_c.sql"}}
	errStep := errors.New("syntax error")
	tests := []struct {
		name    string
		applied map[int]bool  // which versions step reports applied
		fail    map[int]error // what step fails with, by version
		ran     []int         // the versions step ran for
		wantErr string        // "" for none
		wantIs  error
		logged  []string // names logged as applied
	}{
		{"all applied", map[int]bool{1: true, 2: true, 3: true}, nil, []int{1, 2, 3}, "", nil,
			[]string{"0001_a.sql", "0002_b.sql", "0003_c.sql"}},
		{"some present", map[int]bool{3: true}, nil, []int{1, 2, 3}, "", nil, []string{"0003_c.sql"}},
		{"none needed", nil, nil, []int{1, 2, 3}, "", nil, nil},
		{"failure names the migration", map[int]bool{1: true}, map[int]error{2: errStep}, []int{1, 2},
			"db: migrate: 0002_b.sql: syntax error", errStep, []string{"0001_a.sql"}},
		{"too new returned as it is", nil, map[int]error{1: fmt.Errorf("%w (database version 9, binary version 3)", errTooNew)}, []int{1},
			"db: schema too new (database version 9, binary version 3)", errTooNew, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			r := Runner{Backend: "db", TooNew: errTooNew, Log: slog.New(slog.NewTextHandler(&logs, nil))}
			var ran []int
			err := r.Apply(ms, func(m Migration) (bool, error) {
				ran = append(ran, m.Version)
				if err := tc.fail[m.Version]; err != nil {
					return false, err
				}
				return tc.applied[m.Version], nil
			})
			if tc.wantErr == "" && err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr || !errors.Is(err, tc.wantIs)) {
				t.Fatalf("Apply: got %v, want %q wrapping %v", err, tc.wantErr, tc.wantIs)
			}
			if fmt.Sprint(ran) != fmt.Sprint(tc.ran) {
				t.Fatalf("ran %v, want %v", ran, tc.ran)
			}
			lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
			if logs.Len() == 0 {
				lines = nil
			}
			if len(lines) != len(tc.logged) {
				t.Fatalf("logged %q, want %d lines", logs.String(), len(tc.logged))
			}
			for i, name := range tc.logged {
				if !strings.Contains(lines[i], "applied database migration") || !strings.Contains(lines[i], "name="+name) {
					t.Fatalf("log line %d: %q, want %s applied", i, lines[i], name)
				}
			}
		})
	}
}

func TestLoadDialect(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	fsys := fstest.MapFS{
		"m/0001_init.a.sql": file("A1"), "m/0001_init.b.sql": file("B1"),
		"m/0002_index.sql": file("shared"),
	}
	for _, dialect := range []string{"a", "b"} {
		ms, err := LoadDialect(fsys, "m", dialect)
		if err != nil {
			t.Fatal(err)
		}
		want := []Migration{
			{Version: 1, Name: "0001_init.sql", SQL: strings.ToUpper(dialect) + "1"},
			{Version: 2, Name: "0002_index.sql", SQL: "shared", Shared: true},
		}
		if fmt.Sprint(ms) != fmt.Sprint(want) {
			t.Fatalf("dialect %s: got %+v, want %+v", dialect, ms, want)
		}
	}
	// A dialect without its own file of a version has a gap.
	if ms, err := LoadDialect(fsys, "m", "c"); err == nil {
		t.Fatalf("dialect c: got %+v, want an error for the missing version 1", ms)
	}
	// A version may not be both shared and a dialect's own.
	fsys["m/0002_index.a.sql"] = file("A2")
	if ms, err := LoadDialect(fsys, "m", "a"); err == nil {
		t.Fatalf("got %+v, want an error for version 2 given twice", ms)
	}
}
