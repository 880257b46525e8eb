package config

import "time"

// Config is every setting of the authorization server. Each field is both a
// flag and an environment variable named after it (--db ↔ AUTH_DB).
type Config struct {
	Addr   string // --addr, AUTH_ADDR: listen address (":9096")
	Issuer string // --issuer, AUTH_ISSUER: issuer URL ("http://localhost:9096")
	DB     string // --db, AUTH_DB: SQLite file path ("data/authserver.db")

	AccessTokenTTL          time.Duration // --access-token-ttl (30m)
	RefreshTokenTTL         time.Duration // --refresh-token-ttl: idle expiry (24h)
	RefreshTokenAbsoluteTTL time.Duration // --refresh-token-absolute-ttl: absolute expiry (720h)

	SigningAlg       string        // --signing-alg: RS256 (default), ES256 or EdDSA
	KeyActivateAfter time.Duration // --key-activate-after: how long a new key is published before it signs (10m)
	JWKSMaxAge       time.Duration // --jwks-max-age: Cache-Control max-age of the JWKS (5m)

	BcryptCost int // --bcrypt-cost (10)

	LogLevel  string // --log-level: debug, info, warn, error (info)
	LogFormat string // --log-format: text or json (text)

	ShutdownTimeout time.Duration // --shutdown-timeout (15s)

	// CORSOrigins are the browser origins (such as the resource server's
	// API docs page) allowed to call /token, /introspect and /revoke
	// from JavaScript: --cors-origins, comma-separated, none by default.
	CORSOrigins []string
}
