package sqlcodec

import (
	"errors"
	"math"
	"time"
)

// The range of times that fit in int64 nanoseconds since the Unix epoch.
var (
	MinTime = time.Unix(0, math.MinInt64)
	MaxTime = time.Unix(0, math.MaxInt64)
)

// ErrTimeRange is returned for a time that cannot be stored.
var ErrTimeRange = errors.New("time outside the storable range (years 1678 to 2262)")

// errTimeRequired is returned for a zero time where one is required.
var errTimeRequired = errors.New("expiry time is required")

// CheckTimes returns ErrTimeRange if any non-zero time cannot be stored.
func CheckTimes(ts ...time.Time) error {
	for _, t := range ts {
		if !t.IsZero() && (t.Before(MinTime) || t.After(MaxTime)) {
			return ErrTimeRange
		}
	}
	return nil
}

// RequireTimes returns an error if any time is zero or cannot be stored.
func RequireTimes(ts ...time.Time) error {
	for _, t := range ts {
		if t.IsZero() {
			return errTimeRequired
		}
	}
	return CheckTimes(ts...)
}

// Nanos encodes t as nanoseconds since the Unix epoch; valid is false for
// the zero time, which is stored as NULL. t must have passed CheckTimes.
func Nanos(t time.Time) (n int64, valid bool) {
	if t.IsZero() {
		return 0, false
	}
	return t.UnixNano(), true
}

// Time is the inverse of Nanos: the zero time if valid is false, otherwise
// the instant n, in UTC.
func Time(n int64, valid bool) time.Time {
	if !valid {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// Bytes returns nil for an empty slice: written, an empty value is stored
// as NULL; read, NULL and empty both come back as nil.
func Bytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// List returns nil for an empty list, as every backend returns it.
func List(l []string) []string {
	if len(l) == 0 {
		return nil
	}
	return l
}
