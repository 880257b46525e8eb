// Package throttle defends the authorization server against password
// guessing, credential stuffing and client secret guessing.
//
// A Limiter counts failures per key and locks a key out once it has failed
// Policy.MaxFailures times: for Policy.Lockout the first time, twice as long
// each further time, up to MaxGrowth times Policy.Lockout. Failures made
// while a key is locked out are not counted (they were not evaluated), but
// keep its record fresh. A record is forgotten once its key has had neither a
// failure nor a lockout for MaxGrowth times Policy.Lockout; the
// owner of the key can also Reset it, as a successful login does for an
// account.
//
// Memory is bounded: a Limiter keeps at most Capacity records, in shards
// that each evict their least recently failed record to make room. Keys are
// stored as 128-bit prefixes of their SHA-256, so a record takes the same
// small size (about 180 bytes) whatever the key, and the Limiter holds no
// user name or address. At DefaultCapacity a Limiter takes about 12 MB at
// most. Flooding a Limiter with distinct keys to push a victim's record out
// takes Capacity failures, which the per-address Limiter spreads over many
// lockouts of each source.
//
// A Guard puts three Limiters together the way the endpoints need them:
//
//   - per account (the user name, normalised): failed password logins;
//     while the account is locked out, even the right password fails, with
//     the same invalid_grant as a wrong one, from every address;
//   - per client: failed client authentications (a wrong secret) and failed
//     password logins through the client, from every address;
//   - per source address (as package clientip finds it; IPv6 addresses by
//     their /64, which one subscriber usually holds whole): failed logins and
//     failed client authentications from it, whatever the account or client.
//
// A locked client or address gets 429 with Retry-After; a locked account
// gets the answer a wrong password gets, so that guessing cannot tell a
// lockout (or an account's existence) from a wrong guess.
//
// Replicas on one PostgreSQL database share the counts (Options.Records):
// they live in the store, keyed by the limit and a hash of the key, so that
// N replicas allow what one allows. A failure is one short transaction that
// locks its record, a successful login one delete; records are deleted once
// forgotten, with the other expired records. Checking an account (before a
// password, which costs a bcrypt anyway) is one read. Checking a client
// and an address, which every request does, reads only the keys known to
// have failed: each replica knows at once the failures it counts, and
// lists every second (Guard.Run) those the others count, so the hot path
// of a client that never failed reads nothing. A key that begins to fail
// at other replicas is read here within a second; until the first list,
// after a failed one, or with too many failing keys to keep, every check
// reads. While the store cannot be reached, a replica counts in memory,
// alone. A single server on SQLite keeps the counts in memory.
package throttle
