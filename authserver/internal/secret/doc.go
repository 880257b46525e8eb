// Package secret generates, validates and checks OAuth2 client secrets.
//
// Client secrets are long random strings, not passwords people choose, so a
// single SHA-256 is a sufficient one-way hash for them: guessing a secret of
// at least MinLength random characters is infeasible however fast the hash
// is, and a client_credentials request then costs microseconds instead of a
// bcrypt computation. Only the hash is stored; a presented secret is compared
// against it in constant time.
//
// Secrets chosen by an operator must pass [Validate]: between MinLength and
// MaxLength characters, each a visible ASCII character (0x21 to 0x7E). That
// is RFC 6749's VSCHAR without the space, which is excluded because leading
// and trailing spaces are lost when secrets are copied through shells and
// configuration files. Characters with a meaning in HTTP Basic credentials or
// forms, such as ':', '+', '%' and '&', are allowed; clients must
// form-urlencode the secret as RFC 6749 §2.3.1 requires.
package secret
