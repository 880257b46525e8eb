package sqlcodec

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

func TestNanosRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		t    time.Time
	}{
		{"zero", time.Time{}},
		{"first storable", MinTime},
		{"last storable", MaxTime},
		{"one nanosecond before the epoch", time.Unix(0, -1)},
		{"the epoch in another zone", time.Unix(0, 0).In(time.FixedZone("east", 3600))},
		{"nanoseconds in another zone", time.Date(2262, 1, 1, 0, 0, 0, 999999999, time.FixedZone("west", -7*3600))},
		{"monotonic reading", time.Now()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := CheckTimes(tc.t); err != nil {
				t.Fatalf("CheckTimes: %v", err)
			}
			n, valid := Nanos(tc.t)
			if valid == tc.t.IsZero() {
				t.Fatalf("Nanos: valid %v for %v", valid, tc.t)
			}
			got := Time(n, valid)
			if !got.Equal(tc.t) {
				t.Fatalf("got %v, want %v", got, tc.t)
			}
			if !tc.t.IsZero() && got.Location() != time.UTC {
				t.Fatalf("got location %v, want UTC", got.Location())
			}
			if tc.t.IsZero() && !got.IsZero() {
				t.Fatalf("zero time came back as %v", got)
			}
		})
	}
}

func TestCheckTimes(t *testing.T) {
	tooEarly := MinTime.Add(-time.Nanosecond)
	tooLate := MaxTime.Add(time.Nanosecond)
	ok := time.Date(2031, 1, 2, 3, 4, 5, 6, time.UTC)
	tests := []struct {
		name        string
		ts          []time.Time
		check       error // want from CheckTimes
		requireErr  bool  // whether RequireTimes fails
		requireKind error // what RequireTimes fails with, if not a missing time
	}{
		{"none", nil, nil, false, nil},
		{"in range", []time.Time{ok, MinTime, MaxTime}, nil, false, nil},
		{"zero", []time.Time{ok, {}}, nil, true, errTimeRequired},
		{"too early", []time.Time{ok, tooEarly}, ErrTimeRange, true, ErrTimeRange},
		{"too late", []time.Time{tooLate}, ErrTimeRange, true, ErrTimeRange},
		{"zero and too late", []time.Time{{}, tooLate}, ErrTimeRange, true, errTimeRequired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := CheckTimes(tc.ts...); !errors.Is(err, tc.check) || (err == nil) != (tc.check == nil) {
				t.Fatalf("CheckTimes: got %v, want %v", err, tc.check)
			}
			err := RequireTimes(tc.ts...)
			if (err != nil) != tc.requireErr {
				t.Fatalf("RequireTimes: got %v, want an error: %v", err, tc.requireErr)
			}
			if tc.requireErr && !errors.Is(err, tc.requireKind) {
				t.Fatalf("RequireTimes: got %v, want %v", err, tc.requireKind)
			}
		})
	}
}

func TestEmptyIsNil(t *testing.T) {
	if Bytes([]byte{}) != nil || Bytes(nil) != nil {
		t.Fatal("Bytes: empty slice not nil")
	}
	if got := Bytes([]byte{0}); len(got) != 1 || got[0] != 0 {
		t.Fatalf("Bytes([0]) = %v", got)
	}
	if List([]string{}) != nil || List(nil) != nil {
		t.Fatal("List: empty list not nil")
	}
	if got := List([]string{""}); len(got) != 1 || got[0] != "" {
		t.Fatalf(`List([""]) = %q`, got)
	}
}

func TestFillToken(t *testing.T) {
	exp := time.Date(2031, 1, 2, 3, 4, 5, 6, time.UTC)
	f := store.RefreshFamily{ID: "fam", ClientID: "web", Subject: "alice", ExpiresAt: exp}
	full := store.RefreshToken{ID: "t", FamilyID: "fam", ClientID: "web", Subject: "alice", ExpiresAt: exp}
	tests := []struct {
		name    string
		tok     store.RefreshToken
		want    store.RefreshToken
		wantErr string
	}{
		{"empty fields taken from the family", store.RefreshToken{ID: "t", ExpiresAt: exp}, full, ""},
		{"matching fields kept", full, full, ""},
		{"expiry capped at the family's", store.RefreshToken{ID: "t", ExpiresAt: exp.Add(time.Hour)}, full, ""},
		{"earlier expiry kept", store.RefreshToken{ID: "t", ExpiresAt: exp.Add(-time.Hour)},
			func() store.RefreshToken { w := full; w.ExpiresAt = exp.Add(-time.Hour); return w }(), ""},
		{"another family", store.RefreshToken{ID: "t", FamilyID: "other"}, store.RefreshToken{}, "family"},
		{"another client", store.RefreshToken{ID: "t", ClientID: "cli"}, store.RefreshToken{}, "client"},
		{"another subject", store.RefreshToken{ID: "t", Subject: "bob"}, store.RefreshToken{}, "subject"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok := tc.tok
			err := FillToken(&tok, f)
			if tc.wantErr != "" {
				want := fmt.Sprintf("refresh token %s does not match its family", tc.wantErr)
				if err == nil || err.Error() != want {
					t.Fatalf("got %v, want %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(tok, tc.want) {
				t.Fatalf("got %+v, want %+v", tok, tc.want)
			}
		})
	}
}
