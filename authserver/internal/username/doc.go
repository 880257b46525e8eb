// Package username owns the one canonical form of a user name. Every path
// that takes a user name from outside (the token endpoint's password grant,
// the command line's users commands) passes it through Normalize before it
// reaches the store, so that names that look alike are one account.
//
// The canonical form is that of RFC 8265 §3.3, the UsernameCaseMapped
// profile of the PRECIS IdentifierClass: full-width characters are mapped
// to their narrow forms, upper and title case to lower case, and the result
// is put in Unicode Normalization Form C; characters the profile disallows
// (spaces and other separators, controls, symbols outside ASCII, invisible
// formatting characters) are refused. The Kelvin sign "K" (U+212A), "K" and
// "k" are therefore one name, "k", and "ｂｏｂ" is "bob".
//
// As RFC 8265 §3.5 lets an application do, a name may be several userparts
// separated by single spaces ("Ada Lovelace" is "ada lovelace"); each part
// is normalised on its own.
package username
