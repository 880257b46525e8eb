package sqlstore

import (
	"strings"
)

// field is one column of a record: its name and the record's field, as a
// pointer that is both written and read into (converted to nanos, blob or
// the dialect's list where the stored form differs).
type field struct {
	col string
	ptr any
}

// table maps a record type to its table. fields is the one place that
// names its columns, key columns first, with the record's fields: inserts,
// updates and reads are all made from it, so a new column is one more line
// there (and a migration).
type table[T any] struct {
	name   string
	keys   int // how many of the first fields are the primary key
	fields func(d *dialect, v *T) []field

	cols   []string
	insert query // INSERT of every column
	update query // UPDATE of every column but the keys, by key
	get    query // SELECT of one row by key
	lock   query // get, locking the row for the transaction
	all    query // SELECT of every row, unordered
}

// tables are every table newTable made, with their fields: the schema
// comparison of the dialects reads their column kinds from it.
var tables []tableFields

type tableFields struct {
	name   string
	fields func(d *dialect) []field
}

func newTable[T any](name string, keys int, fields func(d *dialect, v *T) []field) *table[T] {
	t := &table[T]{name: name, keys: keys, fields: fields}
	tables = append(tables, tableFields{name, func(d *dialect) []field { return fields(d, new(T)) }})
	for _, f := range fields(sqliteDialect, new(T)) {
		t.cols = append(t.cols, f.col)
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(t.cols)), ", ")
	byKey := strings.Join(t.cols[:keys], " = ? AND ") + " = ?"
	t.insert = newQuery(`INSERT INTO ` + name + ` (` + t.columns("") + `) VALUES (` + marks + `)`)
	t.update = newQuery(`UPDATE ` + name + ` SET ` + strings.Join(t.cols[keys:], " = ?, ") + ` = ? WHERE ` + byKey)
	t.get = newReadQuery(`SELECT ` + t.columns("") + ` FROM ` + name + ` WHERE ` + byKey)
	t.lock = newQuery(`SELECT ` + t.columns("") + ` FROM ` + name + ` WHERE ` + byKey + ` {for update}`)
	t.all = newQuery(`SELECT ` + t.columns("") + ` FROM ` + name)
	return t
}

// columns lists the columns, each prefixed with prefix (such as "t.").
func (t *table[T]) columns(prefix string) string {
	return prefix + strings.Join(t.cols, ", "+prefix)
}

// ptrs returns v's fields in column order, to scan into or to write.
func (t *table[T]) ptrs(d *dialect, v *T) []any {
	return t.appendPtrs(make([]any, 0, len(t.cols)), d, v)
}

// appendPtrs appends v's fields to ps in column order.
func (t *table[T]) appendPtrs(ps []any, d *dialect, v *T) []any {
	for _, f := range t.fields(d, v) {
		ps = append(ps, f.ptr)
	}
	return ps
}

// updateArgs returns the arguments of t.update: v's fields other than the
// keys, then the keys.
func (t *table[T]) updateArgs(d *dialect, v *T) []any {
	ps := t.ptrs(d, v)
	return append(ps[t.keys:], ps[:t.keys]...)
}

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner interface {
	Scan(dest ...any) error
}

// scan reads one row of t's columns.
func (t *table[T]) scan(d *dialect, r rowScanner) (T, error) {
	var v T
	if err := r.Scan(t.ptrs(d, &v)...); err != nil {
		var zero T
		return zero, err
	}
	return v, nil
}
