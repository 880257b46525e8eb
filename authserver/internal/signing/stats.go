package signing

import "time"

// Stats summarises the keyring's keys at one instant, for monitoring.
type Stats struct {
	// Next, Active and Retired count the published keys in each state.
	Next, Active, Retired int
	// Revoked counts the revoked keys still in the store (until every
	// token they signed has expired); none of them is published.
	Revoked int
	// ActiveSince is when the key that signs now started signing; zero
	// when no key is active.
	ActiveSince time.Time
	// NextActivation is the earliest instant a next key starts signing;
	// zero when there is no next key.
	NextActivation time.Time
}

// Stats returns the state of the loaded keys at the keyring's clock. It
// does no I/O.
func (k *Keyring) Stats() Stats {
	var s Stats
	st := k.state.Load()
	if st == nil {
		return s
	}
	now := k.now()
	s.Revoked = st.revoked
	for _, e := range st.entries {
		switch e.state(e.activatesAt, now) {
		case StateNext:
			s.Next++
			if s.NextActivation.IsZero() || e.activatesAt.Before(s.NextActivation) {
				s.NextActivation = e.activatesAt
			}
		case StateActive:
			s.Active++
		case StateRetired:
			s.Retired++
		}
	}
	if a := st.active(now); a != nil {
		s.ActiveSince = a.activatesAt
	}
	return s
}
