package sqlstore

import (
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// TestCodecs checks that each column type reads back what it writes, in
// both drivers' interfaces, with the zero time as NULL and empty lists and
// byte slices coming back as nil.
func TestCodecs(t *testing.T) {
	at := time.Date(2031, 1, 2, 3, 4, 5, 6, time.FixedZone("east", 3600))
	for _, want := range []time.Time{{}, at} {
		in := nanos(want)
		v, _ := in.Value()
		var out nanos
		if err := out.Scan(v); err != nil || !time.Time(out).Equal(want) || (v == nil) != want.IsZero() {
			t.Errorf("nanos %v: wrote %v, read %v, %v", want, v, time.Time(out), err)
		}
		n, _ := in.Int64Value()
		var pgOut nanos
		if err := pgOut.ScanInt64(n); err != nil || time.Time(pgOut) != time.Time(out) || n.Valid == want.IsZero() {
			t.Errorf("nanos %v for pgx: wrote %+v, read %v, %v", want, n, time.Time(pgOut), err)
		}
	}
	if err := new(nanos).Scan("yesterday"); err == nil {
		t.Error("nanos accepted a string")
	}

	for _, b := range [][]byte{nil, {}, []byte("hash")} {
		in := blob(b)
		v, _ := in.Value()
		pv, _ := in.BytesValue()
		var out, pgOut blob
		if err := out.Scan(v); err != nil {
			t.Fatal(err)
		}
		if err := pgOut.ScanBytes(pv); err != nil {
			t.Fatal(err)
		}
		if want := map[bool][]byte{true: nil, false: b}[len(b) == 0]; !reflect.DeepEqual([]byte(out), want) || !reflect.DeepEqual([]byte(pgOut), want) {
			t.Errorf("blob %q: read %q and %q", b, out, pgOut)
		}
	}

	for _, l := range [][]string{nil, {}, {"a", `b "c"`, "é,{}"}} {
		in := jsonList(l)
		v, _ := in.Value()
		var out jsonList
		if err := out.Scan(v); err != nil {
			t.Fatal(err)
		}
		want := map[bool][]string{true: nil, false: l}[len(l) == 0]
		if !reflect.DeepEqual([]string(out), want) {
			t.Errorf("JSON list %q: wrote %v, read %q", l, v, out)
		}
		// A PostgreSQL array is written with its dimensions, never NULL,
		// and read by setting them.
		pin := pgList(l)
		dims := pin.Dimensions()
		if dims == nil || (len(l) == 0) != (len(dims) == 0) {
			t.Errorf("array %q: dimensions %v", l, dims)
		}
		var pout pgList
		if err := pout.SetDimensions(dims); err != nil {
			t.Fatal(err)
		}
		for i := range pout {
			*pout.ScanIndex(i).(*string) = pin.Index(i).(string)
		}
		if !reflect.DeepEqual([]string(pout), want) {
			t.Errorf("array %q: read %q", l, pout)
		}
	}
	if err := new(pgList).SetDimensions([]pgtype.ArrayDimension{{Length: 2}, {Length: 2}}); err == nil {
		t.Error("a list accepted a two-dimensional array")
	}
}
