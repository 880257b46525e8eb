package sqlstore

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestSchemasAgree migrates a new SQLite file and a new PostgreSQL schema,
// reads both catalogs and compares them in logical terms: tables, columns
// (name, nullability, type), primary keys, indexes, foreign keys and CHECK
// constraints. Column types are compared through an explicit mapping:
// INTEGER and BIGINT are "int", BLOB and BYTEA "bytes", a list is TEXT
// (JSON) on SQLite and TEXT[] on PostgreSQL, a boolean is INTEGER with CHECK
// (col IN (0, 1)) on SQLite and BOOLEAN on PostgreSQL; which TEXT and
// INTEGER columns of SQLite are lists and booleans the store's own column
// lists say.
func TestSchemasAgree(t *testing.T) {
	ctx := t.Context()
	pg := openPostgres(t, postgresBackend.newDatabase(t)) // skips without PostgreSQL
	lite := openSQLite(t, sqliteBackend.newDatabase(t))
	want, err := sqliteCatalog(ctx, lite)
	if err != nil {
		t.Fatalf("SQLite catalog: %v", err)
	}
	got, err := postgresCatalog(ctx, pg)
	if err != nil {
		t.Fatalf("PostgreSQL catalog: %v", err)
	}
	if len(want) == 0 {
		t.Fatal("the SQLite catalog is empty")
	}
	if testing.Verbose() {
		for name, ts := range want {
			t.Logf("%s: %+v", name, *ts)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(mergeKeys(want, got))) {
		w, g := want[name], got[name]
		switch {
		case w == nil:
			t.Errorf("table %s: only on PostgreSQL", name)
		case g == nil:
			t.Errorf("table %s: only on SQLite", name)
		default:
			for _, d := range w.diff(g) {
				t.Errorf("table %s: %s", name, d)
			}
		}
	}
}

// tableSchema is one table of a catalog.
type tableSchema struct {
	Columns map[string]string // name: logical type, with " NOT NULL"
	Key     []string          // primary key columns
	Indexes map[string]string // name: columns, with "UNIQUE "
	Foreign []string          // "cols -> table(cols) ON DELETE action"
	Checks  []string          // normalised expressions, sorted
}

func (w *tableSchema) diff(g *tableSchema) []string {
	var ds []string
	for _, c := range slices.Sorted(maps.Keys(mergeKeys(w.Columns, g.Columns))) {
		if w.Columns[c] != g.Columns[c] {
			ds = append(ds, fmt.Sprintf("column %s: SQLite %q, PostgreSQL %q", c, w.Columns[c], g.Columns[c]))
		}
	}
	for _, i := range slices.Sorted(maps.Keys(mergeKeys(w.Indexes, g.Indexes))) {
		if w.Indexes[i] != g.Indexes[i] {
			ds = append(ds, fmt.Sprintf("index %s: SQLite %q, PostgreSQL %q", i, w.Indexes[i], g.Indexes[i]))
		}
	}
	for _, p := range []struct {
		what string
		w, g []string
	}{{"primary key", w.Key, g.Key}, {"foreign keys", w.Foreign, g.Foreign}, {"checks", w.Checks, g.Checks}} {
		if !slices.Equal(p.w, p.g) {
			ds = append(ds, fmt.Sprintf("%s: SQLite %q, PostgreSQL %q", p.what, p.w, p.g))
		}
	}
	return ds
}

func mergeKeys[V any](a, b map[string]V) map[string]bool {
	m := map[string]bool{}
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return m
}

// columnKinds returns "list" or "bool" for the columns of the store's
// tables that hold one, by "table.column".
func columnKinds() map[string]string {
	kinds := map[string]string{}
	add := func(table string, fs []field) {
		for _, f := range fs {
			switch f.ptr.(type) {
			case *jsonList:
				kinds[table+"."+f.col] = "list"
			case *bool:
				kinds[table+"."+f.col] = "bool"
			}
		}
	}
	for _, t := range tables {
		add(t.name, t.fields(sqliteDialect))
	}
	return kinds
}

// rowsOf runs a query and calls each for every row.
func rowsOf(ctx context.Context, q querier, each func(r rowScanner) error, query string, args ...any) error {
	rs, err := q.query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		if err := each(rs); err != nil {
			return err
		}
	}
	return rs.Err()
}

var (
	checkPattern = regexp.MustCompile(`(?i)\bCHECK\s*\(`)
	castPattern  = regexp.MustCompile(`::[a-z ]+`)
	nonSyntax    = regexp.MustCompile(`[\s()\[\]]+`)
)

// normCheck reduces a CHECK expression of either database to a common
// form: kind IN ('user', 'client') and
// ((kind = ANY (ARRAY['user'::text, 'client'::text]))) both become
// kindin'user','client'.
func normCheck(expr string) string {
	expr = strings.ToLower(expr)
	expr = castPattern.ReplaceAllString(expr, "")
	expr = strings.ReplaceAll(expr, "= any (array[", " in (")
	expr = strings.TrimPrefix(strings.TrimSpace(expr), "check")
	return nonSyntax.ReplaceAllString(expr, "")
}

// sqliteChecks returns the CHECK expressions of a CREATE TABLE statement.
func sqliteChecks(create string) []string {
	var checks []string
	for _, loc := range checkPattern.FindAllStringIndex(create, -1) {
		depth, start := 1, loc[1]
		for i := start; i < len(create); i++ {
			switch create[i] {
			case '(':
				depth++
			case ')':
				depth--
			}
			if depth == 0 {
				checks = append(checks, normCheck(create[start:i]))
				break
			}
		}
	}
	return checks
}

func sqliteCatalog(ctx context.Context, s *Store) (map[string]*tableSchema, error) {
	kinds := columnKinds()
	creates := map[string]string{}
	err := rowsOf(ctx, s.read, func(r rowScanner) error {
		var name, create string
		err := r.Scan(&name, &create)
		creates[name] = create
		return err
	}, `SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		return nil, err
	}
	cat := map[string]*tableSchema{}
	for table, create := range creates {
		ts := &tableSchema{Columns: map[string]string{}, Indexes: map[string]string{}, Checks: sqliteChecks(create)}
		cat[table] = ts
		keys := map[int]string{}
		err := rowsOf(ctx, s.read, func(r rowScanner) error {
			var (
				name, typ string
				notNull   bool
				pk        int
			)
			if err := r.Scan(&name, &typ, &notNull, &pk); err != nil {
				return err
			}
			logical := map[string]string{"INTEGER": "int", "TEXT": "text", "BLOB": "bytes"}[strings.ToUpper(typ)]
			if logical == "" {
				return fmt.Errorf("%s.%s: unmapped type %s", table, name, typ)
			}
			switch kinds[table+"."+name] {
			case "list":
				if logical == "text" {
					logical = "list"
				}
			case "bool":
				// A boolean is an INTEGER restricted to 0 and 1.
				if check := normCheck(name + " IN (0, 1)"); logical == "int" && slices.Contains(ts.Checks, check) {
					logical = "bool"
					ts.Checks = slices.DeleteFunc(ts.Checks, func(c string) bool { return c == check })
				}
			}
			if notNull {
				logical += " NOT NULL"
			}
			ts.Columns[name] = logical
			if pk > 0 {
				keys[pk] = name
			}
			return nil
		}, `SELECT name, type, "notnull", pk FROM pragma_table_info(?)`, table)
		if err != nil {
			return nil, err
		}
		for i := 1; i <= len(keys); i++ {
			ts.Key = append(ts.Key, keys[i])
		}
		var indexes []string
		err = rowsOf(ctx, s.read, func(r rowScanner) error {
			var (
				name   string
				unique bool
			)
			if err := r.Scan(&name, &unique); err != nil {
				return err
			}
			indexes = append(indexes, name)
			ts.Indexes[name] = map[bool]string{true: "UNIQUE "}[unique]
			return nil
		}, `SELECT name, "unique" FROM pragma_index_list(?) WHERE origin <> 'pk'`, table)
		if err != nil {
			return nil, err
		}
		for _, index := range indexes {
			var cols []string
			err = rowsOf(ctx, s.read, func(r rowScanner) error {
				var col string
				err := r.Scan(&col)
				cols = append(cols, col)
				return err
			}, `SELECT name FROM pragma_index_info(?) ORDER BY seqno`, index)
			if err != nil {
				return nil, err
			}
			ts.Indexes[index] += strings.Join(cols, ", ")
		}
		err = rowsOf(ctx, s.read, func(r rowScanner) error {
			var from, ref, to, onDelete string
			err := r.Scan(&from, &ref, &to, &onDelete)
			ts.Foreign = append(ts.Foreign, fmt.Sprintf("%s -> %s(%s) ON DELETE %s", from, ref, to, onDelete))
			return err
		}, `SELECT "from", "table", "to", on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq`, table)
		if err != nil {
			return nil, err
		}
		slices.Sort(ts.Foreign)
		slices.Sort(ts.Checks)
	}
	return cat, nil
}

func postgresCatalog(ctx context.Context, s *Store) (map[string]*tableSchema, error) {
	cat := map[string]*tableSchema{}
	err := rowsOf(ctx, s.read, func(r rowScanner) error {
		var name string
		err := r.Scan(&name)
		cat[name] = &tableSchema{Columns: map[string]string{}, Indexes: map[string]string{}}
		return err
	}, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	if err != nil {
		return nil, err
	}
	// Columns of a constraint or index, in order: keys is an int2 array.
	const columnsOf = `(SELECT string_agg(a.attname, ', ' ORDER BY k.n)
	FROM unnest(%s) WITH ORDINALITY AS k(attnum, n)
	JOIN pg_attribute a ON a.attrelid = %s AND a.attnum = k.attnum)`
	onDelete := map[string]string{"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
	for table, ts := range cat {
		err := rowsOf(ctx, s.read, func(r rowScanner) error {
			var name, typ, udt, nullable string
			if err := r.Scan(&name, &typ, &udt, &nullable); err != nil {
				return err
			}
			logical := map[string]string{"bigint": "int", "text": "text", "bytea": "bytes", "boolean": "bool", "ARRAY _text": "list"}[strings.TrimSpace(typ+" "+map[bool]string{true: udt}[typ == "ARRAY"])]
			if logical == "" {
				return fmt.Errorf("%s.%s: unmapped type %s (%s)", table, name, typ, udt)
			}
			if nullable == "NO" {
				logical += " NOT NULL"
			}
			ts.Columns[name] = logical
			return nil
		}, `SELECT column_name, data_type, udt_name, is_nullable FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name = $1`, table)
		if err != nil {
			return nil, err
		}
		var key string
		err = rowsOf(ctx, s.read, func(r rowScanner) error {
			return r.Scan(&key)
		}, `SELECT `+fmt.Sprintf(columnsOf, "c.conkey", "c.conrelid")+` FROM pg_constraint c
WHERE c.conrelid = to_regclass(quote_ident($1)) AND c.contype = 'p'`, table)
		if err != nil {
			return nil, err
		}
		if key != "" {
			ts.Key = strings.Split(key, ", ")
		}
		err = rowsOf(ctx, s.read, func(r rowScanner) error {
			var (
				name, cols string
				unique     bool
			)
			err := r.Scan(&name, &unique, &cols)
			ts.Indexes[name] = map[bool]string{true: "UNIQUE "}[unique] + cols
			return err
		}, `SELECT i.relname, x.indisunique, `+fmt.Sprintf(columnsOf, "x.indkey::int2[]", "x.indrelid")+`
FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
WHERE x.indrelid = to_regclass(quote_ident($1)) AND NOT x.indisprimary`, table)
		if err != nil {
			return nil, err
		}
		err = rowsOf(ctx, s.read, func(r rowScanner) error {
			var typ, cols, ref, refCols, del, def string
			if err := r.Scan(&typ, &cols, &ref, &refCols, &del, &def); err != nil {
				return err
			}
			if typ == "c" {
				ts.Checks = append(ts.Checks, normCheck(def))
				return nil
			}
			ts.Foreign = append(ts.Foreign, fmt.Sprintf("%s -> %s(%s) ON DELETE %s", cols, ref, refCols, onDelete[del]))
			return nil
		}, `SELECT c.contype::text, COALESCE(`+fmt.Sprintf(columnsOf, "c.conkey", "c.conrelid")+`, ''),
	COALESCE(c.confrelid::regclass::text, ''), COALESCE(`+fmt.Sprintf(columnsOf, "c.confkey", "c.confrelid")+`, ''),
	c.confdeltype::text, pg_get_constraintdef(c.oid)
FROM pg_constraint c WHERE c.conrelid = to_regclass(quote_ident($1)) AND c.contype IN ('c', 'f')`, table)
		if err != nil {
			return nil, err
		}
		slices.Sort(ts.Foreign)
		slices.Sort(ts.Checks)
	}
	return cat, nil
}
