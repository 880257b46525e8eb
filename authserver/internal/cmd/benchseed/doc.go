// Command benchseed fills an authorization server's database with many
// users, clients and live refresh tokens, quickly, for the data-growth
// benchmark of make bench (e2e/bench/data.sh). It is a benchmarking tool,
// not part of the server: it is never built into bin/authserver.
//
// It migrates the database (a SQLite file or a postgres:// URL, as
// --db of authserver) and inserts, through the store's bulk Seed methods
// (multi-row INSERTs in one transaction per table, rows exactly as the
// store writes them):
//
//   - -users users named by -user-format, all with the one password in
//     BENCHSEED_PASSWORD, hashed once with bcrypt at -bcrypt-cost, scope
//     search;
//   - -clients confidential clients named by -client-format, all with the
//     one secret in BENCHSEED_CLIENT_SECRET, the password,
//     client_credentials and refresh_token grants, scope search and
//     audience search-api;
//   - -tokens refresh-token families, each with one unused token whose
//     value is -token-format of its number i, issued to client i mod
//     -clients for user i mod -users; the token is valid for a day and its
//     family for 30 days, so each can be refreshed, introspected or
//     revoked once by whoever knows the formats and the secret.
//
// Usage:
//
//	BENCHSEED_PASSWORD=… BENCHSEED_CLIENT_SECRET=… benchseed -db PATH|URL \
//	    -users 1000000 -clients 100000 -tokens 1000000
package main
