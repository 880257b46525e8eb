package config

import "time"

// Config is every setting of the authorization server. Each field is both a
// flag and an environment variable named after it (--db ↔ AUTH_DB).
type Config struct {
	Addr   string // --addr, AUTH_ADDR: listen address (":9096")
	Issuer string // --issuer, AUTH_ISSUER: issuer URL ("http://localhost:9096")
	DB     string // --db, AUTH_DB: SQLite file path ("data/authserver.db") or postgres:// URL
	// CreateDB, --create-db, lets serve create the database when it is
	// missing (a SQLite file that does not exist, a PostgreSQL schema
	// without tables). Without it serve refuses to start on a missing
	// database rather than replace a lost one with an empty one.
	CreateDB bool

	// MetricsAddr, --metrics-addr, is a separate listen address for
	// /metrics; empty (the default) serves /metrics on Addr.
	MetricsAddr string

	AccessTokenTTL          time.Duration // --access-token-ttl (30m)
	RefreshTokenTTL         time.Duration // --refresh-token-ttl: idle expiry (24h)
	RefreshTokenAbsoluteTTL time.Duration // --refresh-token-absolute-ttl: absolute expiry (720h)
	// RefreshTokenGrace, --refresh-token-grace, is how long after a
	// rotation the client may present the rotated refresh token again,
	// as it does when it never received the answer, and get the same
	// successor (30s); 0 makes every second use reuse.
	RefreshTokenGrace time.Duration
	// SessionTTL, --session-ttl, is how long a browser session lasts
	// after a person signs in on the sign-in page (12h): until then they
	// are not asked for their password again.
	SessionTTL time.Duration

	SigningAlg       string        // --signing-alg: RS256 (default), ES256 or EdDSA
	KeyActivateAfter time.Duration // --key-activate-after: how long a new key is published before it signs (10m)
	JWKSMaxAge       time.Duration // --jwks-max-age: Cache-Control max-age of the JWKS (5m)
	// KeyRotation, --key-rotation, is the age at which the active signing
	// key is replaced by a new one, published KeyActivateAfter before it
	// signs; 0 (the default) rotates only by hand.
	KeyRotation time.Duration

	BcryptCost int // --bcrypt-cost (10)
	// BcryptConcurrency, --bcrypt-concurrency, bounds the bcrypt
	// computations (password grants) running at once; more wait their
	// turn. 0 means one per core (GOMAXPROCS): password grants can then
	// use every core, and other requests wait for a processor up to Go's
	// 10ms preemption while they do; cores-1 keeps one free for them.
	BcryptConcurrency int

	LogLevel  string // --log-level: debug, info, warn, error (info)
	LogFormat string // --log-format: text or json (text)

	ShutdownTimeout time.Duration // --shutdown-timeout (15s)
	// ShutdownDrain, --shutdown-drain, is how long the server goes on
	// serving, with /readyz answering 503, after a shutdown begins and
	// before it stops accepting connections, so that load balancers stop
	// sending it requests first (5s).
	ShutdownDrain time.Duration

	// CORSOrigins are the browser origins (such as the resource server's
	// API docs page) allowed to call /token, /introspect and /revoke
	// from JavaScript: --cors-origins, comma-separated, none by default.
	CORSOrigins []string

	// Brute-force defence (package throttle). A count of zero turns that
	// limit off.
	LoginMaxFailures   int           // --login-max-failures: failed logins that lock an account out (5)
	LoginLockout       time.Duration // --login-lockout: the first lockout; each further one doubles, up to 64 times (1m)
	ClientMaxFailures  int           // --client-max-failures: failed authentications and logins that lock a client out (100)
	AddressMaxFailures int           // --address-max-failures: failed authentications and logins that lock a source address out (50)
	// DPoPNonce, --dpop-nonce, makes every DPoP proof at the token
	// endpoint carry a nonce the server issued (RFC 9449 §8), which bounds
	// how long ahead a stolen key's proofs can be made; off by default.
	DPoPNonce bool

	// TrustedProxies, --trusted-proxies, are the addresses or CIDR ranges
	// of the reverse proxies whose X-Forwarded-For is believed; none by
	// default, so the TCP peer is the source address.
	TrustedProxies []string

	// Registration, --registration, lets clients register themselves
	// (RFC 7591): "off" (the default), "open" to anyone, or "token" with an
	// initial access token from 'authserver registration-tokens add'.
	Registration string
	// RegistrationGrants, RegistrationScopes and RegistrationAudiences
	// are what registered clients may have: grant types
	// (authorization_code and refresh_token by default), API scopes beyond
	// OpenID Connect's (none by default), and the audience of their tokens
	// (none by default).
	RegistrationGrants    []string
	RegistrationScopes    []string
	RegistrationAudiences []string
	// RegistrationMaxPerAddress is how many clients one source address
	// may register an hour (20); 0 turns the limit off.
	RegistrationMaxPerAddress int
	// RegistrationUnusedTTL is how long a registered client that has never
	// obtained a token is kept (24h); 0 keeps it.
	RegistrationUnusedTTL time.Duration
	// CleanupInterval is how often expired refresh tokens, revocation
	// records, codes, sessions and unused registered clients are deleted
	// (10m).
	CleanupInterval time.Duration

	// The Bootstrap settings describe the user and clients serve creates
	// the first time it runs on a database, and never again (package
	// bootstrap). Each part is optional; with none of the user and the
	// client IDs set, nothing is created.
	BootstrapUser         string // --bootstrap-user: the initial user's name
	BootstrapPassword     string // --bootstrap-password: its password
	BootstrapClientID     string // --bootstrap-client-id: a confidential client (password, client_credentials, refresh_token)
	BootstrapClientSecret string // --bootstrap-client-secret: its secret, 32 to 512 visible ASCII characters
	BootstrapDocsClientID string // --bootstrap-docs-client-id: a public client (password, refresh_token) for an API docs page
	// BootstrapDocsRedirectURIs, --bootstrap-docs-redirect-uris, give
	// the docs client the authorization_code grant with these redirect
	// URIs, without consent (a first-party page).
	BootstrapDocsRedirectURIs []string
	// The client that signs people in (authorization_code and
	// refresh_token, scopes openid, profile and email besides
	// BootstrapScopes), such as a demo web application.
	BootstrapRPClientID     string   // --bootstrap-rp-client-id
	BootstrapRPClientSecret string   // --bootstrap-rp-client-secret
	BootstrapRPRedirectURIs []string // --bootstrap-rp-redirect-uris
	BootstrapRPClientName   string   // --bootstrap-rp-client-name
	BootstrapAudience       []string // --bootstrap-audience: the clients' audience ("search-api")
	BootstrapScopes         []string // --bootstrap-scopes: the clients' scopes and the user's ("search")
}
