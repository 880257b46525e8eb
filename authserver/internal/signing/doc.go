// Package signing owns the authorization server's asymmetric signing keys:
// generating and rotating them, signing access tokens with the active one,
// and publishing the public halves as a JSON Web Key Set.
//
// Keys live in the store as PKCS#8 DER and are never updated. Every key has
// an activation instant, and everything else follows from the set of keys:
//
//   - A key is published (in the JWKS) from the moment it exists. Until its
//     activation instant it is "next": verifiers can fetch it before any
//     token uses it.
//   - The active key, the one that signs, is the newest key (by activation
//     instant, then ID) whose activation instant has passed.
//   - A key is retired when its successor activates. It stays published
//     until every token it may have signed has expired: TokenTTL plus
//     [PublishLeeway] after retirement. After that it is "expired" and may
//     be deleted.
//
// Rotation is therefore a single insert ([Rotate]), and servers sharing a
// database agree on the active key without coordination: each reloads the
// key set periodically ([Keyring.Run]) and picks the active key by the clock
// on every signature, so a key that activates between reloads starts
// signing on time. The activation delay given to Rotate should exceed the
// reload interval plus the time verifiers cache the JWKS.
//
// A [Rotator] rotates on a schedule, by the same rules: when the active key
// is a period old and no newer key waits to activate, it calls for one new
// key. Replicas sharing a store each run one; a one-time claim in the store
// ("key-rotation:<active kid>:…") lets exactly one of them insert the key.
//
// Key IDs ("kid") are 16 random bytes, base64url-encoded without padding.
// They carry no information about the key and never collide in practice.
//
// Supported algorithms are RS256 (2048-bit RSA, the default), ES256 (P-256)
// and EdDSA (Ed25519). Tokens carry the header {"alg":…,"typ":"at+jwt",
// "kid":…} of RFC 9068.
package signing
