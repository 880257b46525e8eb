// Package login checks a person's user name and password, the one way
// every sign-in path does: the password grant at the token endpoint and
// the sign-in page of the authorization endpoint.
//
// The user name is normalised (package username) before anything else, so
// look-alike spellings are one account with one failure count. Every
// failure — unknown user, wrong password, disabled user, locked-out
// account, a name or password too long to be real — is the one error
// ErrFailed, after a bcrypt comparison of the same cost, so that neither
// the answer nor its timing tells whether an account exists (RFC 6749
// §4.3.2 requires protection against guessing). Each failure is counted
// against the account, the client and the source address; while the
// account is locked out, even the right password fails.
package login
