// Package registration serves dynamic client registration (RFC 7591) and
// its management protocol (RFC 7592): apps a person installs — desktop and
// command-line tools, agents speaking the Model Context Protocol — register
// themselves at POST /register and read, update or delete their
// registration at /register/{client_id} with the registration access
// token they were given.
//
// Registration is off unless the server allows it, openly or with an
// initial access token made by the operator. A registered client gets
// only the grants, scopes and audiences the server allows registered
// clients, its redirect URIs must be safe for its kind (https, or, for a
// public native app, loopback or a private-use scheme, RFC 8252), its name
// is shown to people as unverified, and it is always asked consent.
// Registrations are throttled per source address, and registered clients
// never used expire.
package registration
