package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Errors every backend returns for the same conditions, so callers can test
// them with errors.Is regardless of the backend.
var (
	// ErrNotFound: no record with that key.
	ErrNotFound = errors.New("store: not found")
	// ErrAlreadyExists: the key (or, for users and clients, the subject it
	// would take) is already in use.
	ErrAlreadyExists = errors.New("store: already exists")
	// ErrTokenReused: a refresh token was presented after it had already
	// been rotated, or its family was revoked. The backend has revoked the
	// whole family by the time it returns this error.
	ErrTokenReused = errors.New("store: refresh token reused")
)

// Why a backend cannot be opened or cannot write, in the words an operator
// needs: the errors of opening a database and of CheckWrite wrap one of
// these when the backend can tell.
var (
	// ErrDiskFull: the file system or the database server has no space
	// left.
	ErrDiskFull = errors.New("disk full")
	// ErrReadOnly: the file system is mounted read-only, or the database
	// takes no writes (a standby).
	ErrReadOnly = errors.New("read-only")
	// ErrLocked: another process holds the database's write lock for
	// longer than the busy timeout.
	ErrLocked = errors.New("database locked")
	// ErrMissing: the database is not there: its file or directory was
	// deleted, moved or replaced, or it holds no schema.
	ErrMissing = errors.New("database missing")
)

// User is an end user who obtains tokens with the password grant.
//
// Username is the normalised login name and the "sub" of the user's access
// tokens. Users and clients share one subject namespace: no user may have a
// client's ID as name and vice versa, so a client_credentials token can never
// be mistaken for a user's.
type User struct {
	Username     string
	Email        string
	FullName     string
	PasswordHash []byte   // bcrypt
	Scopes       []string // scopes the user may be granted; empty means no restriction
	Disabled     bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Client is an OAuth2 client.
type Client struct {
	ID         string
	SecretHash []byte   // SHA-256 of the secret; nil for public clients
	Grants     []string // allowed grant types: authorization_code, password, client_credentials, refresh_token
	Scopes     []string // scopes the client may request
	Audience   []string // default audience of its access tokens
	// Name is shown to people on the sign-in and consent pages; the ID
	// when empty.
	Name string
	// RedirectURIs are where the authorization endpoint may send people
	// back to, compared exactly (package redirecturi).
	RedirectURIs []string
	// PostLogoutRedirectURIs are where the end-session endpoint may send
	// people after signing out.
	PostLogoutRedirectURIs []string
	// SkipConsent marks a first-party client: people are not asked to
	// consent to what it requests.
	SkipConsent bool
	// RegistrationTokenHash is the SHA-256 of the registration access
	// token of a client that registered itself (RFC 7591, RFC 7592); nil
	// for clients an administrator added.
	RegistrationTokenHash []byte
	// FirstUsedAt is when the client first obtained a token; zero while
	// it never has. Registered clients never used expire.
	FirstUsedAt time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// The client authenticates with signed assertions (RFC 7523 §2.2)
	// instead of a secret when one of these is set: JWKS (a JSON Web Key
	// Set) or JWKSURI (where to fetch one) hold its own public keys
	// (private_key_jwt); AssertionIssuer and AssertionSubject name the
	// trusted issuer, and the subject within it, of the workload tokens it
	// presents instead.
	JWKS             string
	JWKSURI          string
	AssertionIssuer  string
	AssertionSubject string
	// ExchangeAudiences are the audiences the client may exchange a
	// subject token for (RFC 8693).
	ExchangeAudiences []string
}

// UsesAssertion reports whether the client authenticates with signed
// assertions rather than a secret.
func (c Client) UsesAssertion() bool {
	return c.JWKS != "" || c.JWKSURI != "" || c.AssertionIssuer != ""
}

// Registered reports whether the client registered itself (RFC 7591):
// its name is its own claim, unverified.
func (c Client) Registered() bool { return len(c.RegistrationTokenHash) > 0 }

// DisplayName is the name people are shown for the client.
func (c Client) DisplayName() string {
	if c.Name != "" {
		return c.Name
	}
	return c.ID
}

// Public reports whether the client has no credentials: neither a secret
// nor keys to sign assertions with.
func (c Client) Public() bool { return len(c.SecretHash) == 0 && !c.UsesAssertion() }

// MaxClientNameLength bounds a client's Name, in bytes.
const MaxClientNameLength = 100

// ValidClientName reports whether name may be a client's Name: at most
// MaxClientNameLength bytes of UTF-8 without control characters.
func ValidClientName(name string) bool {
	return len(name) <= MaxClientNameLength && utf8.ValidString(name) && !strings.ContainsFunc(name, unicode.IsControl)
}

// RefreshFamily is one grant: the chain of refresh tokens that descend, by
// rotation, from one password grant. Revoking the family revokes every
// refresh token in it and deactivates the access tokens issued under it
// (they carry the family ID as "sid").
type RefreshFamily struct {
	ID        string
	ClientID  string
	Subject   string
	CreatedAt time.Time
	ExpiresAt time.Time // absolute expiry of every token in the family
	RevokedAt time.Time // zero while active
}

// Revoked reports whether the family has been revoked.
func (f RefreshFamily) Revoked() bool { return !f.RevokedAt.IsZero() }

// RefreshToken is one refresh token. Only a hash of the token value is kept.
type RefreshToken struct {
	ID        string // hex SHA-256 of the token value
	FamilyID  string
	ClientID  string
	Subject   string
	Scopes    []string
	Audience  []string
	CreatedAt time.Time
	ExpiresAt time.Time // idle expiry of this token; never after the family's
	UsedAt    time.Time // when it was rotated; zero while unused
	// JKT is the RFC 7638 thumbprint of the DPoP key the token is bound
	// to (RFC 9449 §5); empty for a token not bound to a key.
	JKT string
}

// SigningKey is an asymmetric key pair the server signs access tokens with.
//
// Keys are only ever revoked, never otherwise updated: the active key is the
// newest whose ActivatesAt has passed, an older key is retired when its
// successor activates, and it stays published until every token it signed
// has expired. All of that is derived from the set of keys, so rotation is
// a single insert, and revocation a single update.
type SigningKey struct {
	ID          string // "kid"
	Algorithm   string // RS256, ES256 or EdDSA
	PrivateKey  []byte // PKCS#8 DER
	CreatedAt   time.Time
	ActivatesAt time.Time // published from CreatedAt, signs from ActivatesAt
	// RevokedAt is when the key was withdrawn ('authserver keys revoke'),
	// zero while it is not: a revoked key is neither published nor used,
	// and the tokens it signed are inactive.
	RevokedAt time.Time
}

// Revoked reports whether the key was withdrawn.
func (k SigningKey) Revoked() bool { return !k.RevokedAt.IsZero() }

// Store is the contract every backend fulfils. Methods are safe for
// concurrent use by several goroutines and several processes sharing the
// same database.
type Store interface {
	// CreateUser adds u; ErrAlreadyExists if the username is taken by a user
	// or a client.
	CreateUser(ctx context.Context, u User) error
	// GetUser returns the user with that (normalised) name.
	GetUser(ctx context.Context, username string) (User, error)
	// ListUsers returns all users ordered by name.
	ListUsers(ctx context.Context) ([]User, error)
	// UpdateUser applies update to the stored user inside one transaction.
	// Username and CreatedAt cannot change. If update returns an error,
	// UpdateUser returns it and nothing changes. update may run while other
	// writers wait: it must be quick and must not call the store.
	UpdateUser(ctx context.Context, username string, update func(User) (User, error)) error
	// DeleteUser removes the user, its browser sessions and consents, and
	// revokes all its refresh families; ErrNotFound if there is no such
	// user.
	DeleteUser(ctx context.Context, username string) error

	// CreateClient adds c; ErrAlreadyExists if the ID is taken by a client
	// or a user.
	CreateClient(ctx context.Context, c Client) error
	GetClient(ctx context.Context, id string) (Client, error)
	// ListClients returns all clients ordered by ID.
	ListClients(ctx context.Context) ([]Client, error)
	// UpdateClient applies update to the stored client inside one
	// transaction, as UpdateUser does. ID and CreatedAt cannot change.
	UpdateClient(ctx context.Context, id string, update func(Client) (Client, error)) error
	// DeleteClient removes the client, its authorization codes and the
	// consents people gave it, and revokes all its refresh families (those
	// issued to it); ErrNotFound if there is no such client.
	DeleteClient(ctx context.Context, id string) error

	// CreateRefreshToken starts family f with its first token t.
	CreateRefreshToken(ctx context.Context, f RefreshFamily, t RefreshToken) error
	// GetRefreshToken returns the token with that ID and its family.
	GetRefreshToken(ctx context.Context, id string) (RefreshToken, RefreshFamily, error)
	// RotateRefreshToken atomically marks token oldID used at now, records
	// next as its successor and adds next to the same family; of any number
	// of concurrent rotations of one token, at most one does.
	//
	// A retry of a rotation whose answer was lost changes nothing and
	// reports retried: oldID was already rotated into a token with next's
	// ID, less than grace before now, that token is still unused and the
	// family is not revoked. Any other presentation of a used token, or of
	// a token of a revoked family, revokes the family at now (unless it
	// already was) and returns ErrTokenReused. ErrNotFound if there is no
	// token oldID. On any error next is not stored.
	RotateRefreshToken(ctx context.Context, oldID string, now time.Time, next RefreshToken, grace time.Duration) (retried bool, err error)
	// GetRefreshFamily returns a family by ID.
	GetRefreshFamily(ctx context.Context, id string) (RefreshFamily, error)
	// RevokeRefreshFamily revokes a family at now; revoking twice is not an
	// error and keeps the first RevokedAt. ErrNotFound if there is no such
	// family.
	RevokeRefreshFamily(ctx context.Context, id string, now time.Time) error
	// RevokeUserRefreshFamilies revokes every family of a user (whose
	// Subject is username) that is not revoked yet.
	RevokeUserRefreshFamilies(ctx context.Context, username string, now time.Time) error

	// RevokeAccessToken records that the access token with that "jti" is
	// revoked until expiresAt; recording it twice is not an error and keeps
	// the later expiry.
	RevokeAccessToken(ctx context.Context, jti string, expiresAt time.Time) error
	// AccessTokenRevoked reports whether the token with that "jti" was revoked.
	AccessTokenRevoked(ctx context.Context, jti string) (bool, error)

	// CreateSigningKey adds a key; ErrAlreadyExists for a duplicate ID.
	CreateSigningKey(ctx context.Context, k SigningKey) error
	// ListSigningKeys returns every key ordered by ActivatesAt, then ID.
	ListSigningKeys(ctx context.Context) ([]SigningKey, error)
	// DeleteSigningKey removes a key; ErrNotFound if there is no such key.
	DeleteSigningKey(ctx context.Context, id string) error
	// GetSigningKey returns the key with that ID, revoked or not.
	GetSigningKey(ctx context.Context, id string) (SigningKey, error)
	// RevokeSigningKey records that key id was revoked at now; revoking
	// twice is not an error and keeps the first time. ErrNotFound if there
	// is no such key.
	RevokeSigningKey(ctx context.Context, id string, now time.Time) error

	// DeleteExpired removes refresh tokens and families whose absolute
	// expiry is before now, families revoked more than an hour before
	// now, rotated tokens more than an hour past their own expiry (their
	// replay is refused as expired, so it reveals no reuse any more),
	// revocation records past their token's
	// expiry, browser sessions past theirs, authorization codes an
	// hour past theirs (so that a second use is still recognised), and
	// failure records past their ForgetAt. It returns how many records it
	// removed.
	DeleteExpired(ctx context.Context, now time.Time) (int, error)

	// CreateRefreshFamily starts family f without a refresh token: a grant
	// whose access tokens carry its ID and can be revoked with it.
	// ErrAlreadyExists for a duplicate ID.
	CreateRefreshFamily(ctx context.Context, f RefreshFamily) error

	// CreateAuthCode stores an authorization code; ErrAlreadyExists for
	// a duplicate ID.
	CreateAuthCode(ctx context.Context, c AuthCode) error
	// ConsumeAuthCode marks code id used at now and returns it. Of any
	// number of concurrent calls for one code, exactly one succeeds. A
	// code used before is returned with ErrTokenReused, after the family
	// c.FamilyID (if it exists) has been revoked at now. ErrNotFound if
	// there is no such code.
	ConsumeAuthCode(ctx context.Context, id string, now time.Time) (AuthCode, error)

	// CreateSession stores a browser session; ErrAlreadyExists if its ID
	// or cookie hash exists.
	CreateSession(ctx context.Context, s Session) error
	// GetSession returns the session with that ID, expired or not.
	GetSession(ctx context.Context, id string) (Session, error)
	// GetSessionByCookie returns the session whose cookie value has that
	// hash, expired or not.
	GetSessionByCookie(ctx context.Context, cookieHash string) (Session, error)
	// DeleteSession ends a session; ErrNotFound if there is none.
	DeleteSession(ctx context.Context, id string) error

	// GetConsent returns what subject allowed clientID.
	GetConsent(ctx context.Context, subject, clientID string) (Consent, error)
	// SaveConsent stores c, replacing the scopes and UpdatedAt of an
	// earlier consent of the same subject to the same client.
	SaveConsent(ctx context.Context, c Consent) error
	// ListConsents returns the consents of subject, ordered by client ID.
	ListConsents(ctx context.Context, subject string) ([]Consent, error)
	// DeleteConsent withdraws what subject allowed clientID and, in the
	// same transaction, revokes at now every refresh family of that
	// client whose subject it is. ErrNotFound if there was no consent.
	DeleteConsent(ctx context.Context, subject, clientID string, now time.Time) error

	// MarkClientUsed records that client id obtained a token at now,
	// the first time only: a later call changes nothing. ErrNotFound if
	// there is no such client.
	MarkClientUsed(ctx context.Context, id string, now time.Time) error
	// DeleteUnusedClients deletes, as DeleteClient does, the registered
	// clients never used that were created before cutoff, and returns
	// how many it deleted.
	DeleteUnusedClients(ctx context.Context, cutoff time.Time) (int, error)

	// CreateRegistrationToken stores an initial access token for client
	// registration; ErrAlreadyExists for a duplicate ID.
	CreateRegistrationToken(ctx context.Context, t RegistrationToken) error
	// UseRegistrationToken spends one use of the token id at now and
	// returns it as it is after the use. ErrNotFound if there is no such
	// token, or it expired, or it has no use left; of concurrent uses of
	// its last one, exactly one succeeds.
	UseRegistrationToken(ctx context.Context, id string, now time.Time) (RegistrationToken, error)
	// ListRegistrationTokens returns every token, ordered by ID.
	ListRegistrationTokens(ctx context.Context) ([]RegistrationToken, error)
	// DeleteRegistrationToken removes a token; ErrNotFound if there is
	// none.
	DeleteRegistrationToken(ctx context.Context, id string) error

	// ClaimOnce records that the one-time step called name (such as
	// creating the demo data) has run. It returns true to exactly one
	// caller, however many processes call it at once, and false ever
	// after, even if what the step created was later changed or deleted.
	ClaimOnce(ctx context.Context, name string, at time.Time) (bool, error)

	// CreateTrustedIssuer adds an issuer whose tokens clients may present
	// as assertions; ErrAlreadyExists if it is there.
	CreateTrustedIssuer(ctx context.Context, i TrustedIssuer) error
	// GetTrustedIssuer returns the trusted issuer with that URL.
	GetTrustedIssuer(ctx context.Context, issuer string) (TrustedIssuer, error)
	// ListTrustedIssuers returns every trusted issuer ordered by URL.
	ListTrustedIssuers(ctx context.Context) ([]TrustedIssuer, error)
	// DeleteTrustedIssuer removes a trusted issuer; ErrNotFound if there
	// is none.
	DeleteTrustedIssuer(ctx context.Context, issuer string) error

	// UseOnce records that the one-time value key (the "jti" of a client
	// assertion or a DPoP proof, with what scopes it) is used, and keeps
	// the record until expiresAt. It returns true to exactly one caller
	// of any number of processes sharing the store, and false to every
	// later one while the record has not expired by now.
	UseOnce(ctx context.Context, key string, now, expiresAt time.Time) (bool, error)

	// Secret returns the server secret called name, shared by every
	// process on the store: the stored one, or, the first time, value,
	// which it stores.
	Secret(ctx context.Context, name string, value []byte) ([]byte, error)

	// GetFailures returns the failure records of those of keys that have
	// one, in no order.
	GetFailures(ctx context.Context, keys []string) ([]FailureRecord, error)
	// UpdateFailures applies update to the failure record of key (a zero
	// record with that Key if there is none), in one transaction that
	// locks it, and stores and returns what update returns: of concurrent
	// updates of one key, in any number of processes, each sees the
	// outcome of the one before. update may run while other writers wait:
	// it must be quick and must not call the store. now is when a new
	// record is made.
	UpdateFailures(ctx context.Context, key string, now time.Time, update func(FailureRecord) FailureRecord) (FailureRecord, error)
	// DeleteFailures removes the failure record of key, if there is one.
	DeleteFailures(ctx context.Context, key string) error
	// ListFailures returns the failure records whose last failure came at
	// or after since and that are not forgotten at now.
	ListFailures(ctx context.Context, since, now time.Time) ([]FailureRecord, error)

	// Ping reports whether the backend can serve requests.
	Ping(ctx context.Context) error
	// CheckWrite writes a record of its own at now, to tell whether the
	// backend takes writes; its error wraps ErrDiskFull, ErrReadOnly,
	// ErrLocked or ErrMissing when that is why not.
	CheckWrite(ctx context.Context, now time.Time) error
	// Checkpoint does the backend's periodic upkeep: SQLite copies its
	// write-ahead log into the database file and truncates it, giving
	// its space back to the file system.
	Checkpoint(ctx context.Context) error
	// Close releases the backend's resources.
	Close() error
}

// TrustedIssuer is an issuer of workload identity tokens (a Kubernetes
// cluster, a CI system) that clients may present as their assertions.
type TrustedIssuer struct {
	Issuer string // exactly the "iss" of its tokens
	// JWKSURL is where its keys are; empty: from its discovery metadata.
	JWKSURL string
	// Audience is the "aud" its tokens must carry to be accepted here;
	// empty: this server's issuer or token endpoint.
	Audience  string
	CreatedAt time.Time
}

// RefreshTokenID is the stored identifier of a refresh token value: the hex
// SHA-256 of it. The value itself is never stored.
func RefreshTokenID(value string) string {
	sum := sha256.Sum256([]byte(value))
	return hex.EncodeToString(sum[:])
}

// AuthCode is an authorization code (RFC 6749 §4.1.2): single use, valid
// for a minute, bound to its client, redirect URI, PKCE challenge, nonce
// and the browser session that approved it. Only its hash is kept.
type AuthCode struct {
	ID            string // hex SHA-256 of the code value
	ClientID      string
	Subject       string
	RedirectURI   string
	Scopes        []string
	Audience      []string
	CodeChallenge string // RFC 7636 S256 challenge
	Nonce         string
	SessionID     string    // the browser session that approved it
	AuthTime      time.Time // when the person authenticated
	// FamilyID is the grant the code's tokens belong to: a second use of
	// the code revokes it (RFC 6749 §4.1.2).
	FamilyID  string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero while unused
}

// Session is a person's browser session at the authorization server.
type Session struct {
	ID         string // public: the "sid" of ID tokens
	CookieHash string // hex SHA-256 of the cookie value; the value is never stored
	Subject    string
	AuthTime   time.Time // when the person authenticated
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// Consent is what a person allowed a client: the scopes it may have
// without asking again.
type Consent struct {
	Subject   string
	ClientID  string
	Scopes    []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// RegistrationToken is an initial access token (RFC 7591 §3): it allows
// its holder to register clients, until it expires or its uses are spent.
// Only its hash is kept.
type RegistrationToken struct {
	ID        string // hex SHA-256 of the token value
	UsesLeft  int
	CreatedAt time.Time
	ExpiresAt time.Time
}

// FailureRecord is what a brute-force limit (package throttle) keeps of one
// key when replicas share its counts: the failures since the last lockout,
// the lockouts so far, when the last failure came and until when the key
// is locked out. Key is the limit's own (its kind and a hash), never a user
// name or an address.
type FailureRecord struct {
	Key         string
	Failures    int
	Lockouts    int
	LastFailure time.Time
	LockedUntil time.Time
	// ForgetAt is when the record may be deleted: it says nothing any
	// more.
	ForgetAt time.Time
}
