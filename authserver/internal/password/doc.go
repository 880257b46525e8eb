// Package password hashes and verifies users' passwords with bcrypt.
//
// bcrypt is deliberately slow, so a flood of login attempts could otherwise
// occupy every CPU. A [Hasher] therefore runs at most a fixed number of
// bcrypt computations at once; further calls queue, and stop waiting when
// their context is cancelled. Inputs bcrypt cannot hash faithfully are
// rejected before any work is done: bcrypt only reads the first 72 bytes of
// a password, so a longer one is refused with [ErrTooLong] instead of being
// silently truncated.
//
// [Hasher.Verify] takes the same time whether or not the user exists: for an
// unknown user it compares the password against a dummy hash of the
// configured cost, so response times do not reveal which user names exist.
// Inside a recorded trace, each computation runs in a span ("bcrypt hash",
// "bcrypt verify") that shows the wait for a slot and the work, and that
// is the same for a known and an unknown user.
//
// Hashes in the $2a$, $2b$ and $2y$ formats are accepted, so hashes produced
// by passlib or PHP can be imported unchanged; new hashes are $2a$.
package password
