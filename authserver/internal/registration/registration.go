package registration

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/oautherr"
	"github.com/fastsafe/fastsafe/authserver/internal/secret"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/throttle"
)

// Modes of registration.
const (
	ModeOff   = "off"   // no registration: /register answers 404
	ModeOpen  = "open"  // anyone may register, throttled per source address
	ModeToken = "token" // registering needs an initial access token
)

// Path is where clients register, relative to the issuer; a registered
// client's own URL is Path + "/" + its ID.
const Path = "/register"

// maxBody bounds a registration's JSON body.
const maxBody = 64 << 10

// Store is what registration reads and writes.
type Store interface {
	CreateClient(ctx context.Context, c store.Client) error
	GetClient(ctx context.Context, id string) (store.Client, error)
	UpdateClient(ctx context.Context, id string, update func(store.Client) (store.Client, error)) error
	DeleteClient(ctx context.Context, id string) error
	UseRegistrationToken(ctx context.Context, id string, now time.Time) (store.RegistrationToken, error)
}

// Addresses finds a request's source address; *clientip.Resolver
// implements it.
type Addresses interface {
	Addr(r *http.Request) netip.Addr
}

// Options configure registration.
type Options struct {
	Issuer string
	Mode   string
	Policy Policy
	// MaxPerAddress is how many clients one source address (IPv6: its
	// /64) may register an hour; 0 means no limit.
	MaxPerAddress int
	Now           func() time.Time
	Logger        *slog.Logger
}

// Handler serves /register and /register/{client_id}.
type Handler struct {
	opts    Options
	store   Store
	addrs   Addresses
	limiter *throttle.Limiter
}

// New returns the registration endpoint.
func New(opts Options, st Store, addrs Addresses) *Handler {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{
		opts:  opts,
		store: st,
		addrs: addrs,
		limiter: throttle.NewLimiter(throttle.Policy{MaxFailures: opts.MaxPerAddress, Lockout: time.Hour},
			throttle.DefaultCapacity, opts.Now),
	}
}

// Enabled reports whether clients may register.
func (h *Handler) Enabled() bool { return h.opts.Mode == ModeOpen || h.opts.Mode == ModeToken }

// answer is a registered client as RFC 7591 §3.2.1 answers it.
type answer struct {
	ClientID                string   `json:"client_id"`
	ClientSecret            string   `json:"client_secret,omitempty"`
	ClientIDIssuedAt        int64    `json:"client_id_issued_at"`
	ClientSecretExpiresAt   *int64   `json:"client_secret_expires_at,omitempty"`
	RegistrationAccessToken string   `json:"registration_access_token,omitempty"`
	RegistrationClientURI   string   `json:"registration_client_uri"`
	ClientName              string   `json:"client_name,omitempty"`
	RedirectURIs            []string `json:"redirect_uris,omitempty"`
	PostLogoutRedirectURIs  []string `json:"post_logout_redirect_uris,omitempty"`
	GrantTypes              []string `json:"grant_types"`
	ResponseTypes           []string `json:"response_types"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	Scope                   string   `json:"scope"`
}

// Register serves POST /register (RFC 7591 §3).
func (h *Handler) Register(w http.ResponseWriter, r *http.Request) {
	if !h.Enabled() {
		oautherr.Write(w, nil, oautherr.NotFound())
		return
	}
	if r.Method != http.MethodPost {
		oautherr.Write(w, nil, oautherr.MethodNotAllowed(http.MethodPost))
		return
	}
	ctx := r.Context()
	addr := addressKey(h.addrs.Addr(r))
	if d := h.limiter.Locked(addr); d > 0 {
		oautherr.WriteContext(ctx, w, h.opts.Logger, oautherr.TooManyRequests(d))
		return
	}
	if h.opts.Mode == ModeToken {
		if !h.useInitialToken(w, r) {
			return
		}
	}
	m, ok := h.readMetadata(w, r)
	if !ok {
		return
	}
	reg, err := h.opts.Policy.decide(m)
	if err != nil {
		writeMetadataError(w, err)
		return
	}
	now := h.opts.Now()
	c := store.Client{
		ID:                     "dyn-" + strings.ToLower(rand.Text()),
		Grants:                 reg.grants,
		Scopes:                 reg.scopes,
		Audience:               slices.Clone(h.opts.Policy.Audience),
		Name:                   reg.name,
		RedirectURIs:           reg.redirectURIs,
		PostLogoutRedirectURIs: reg.postLogoutRedirectURIs,
		CreatedAt:              now,
		UpdatedAt:              now,
	}
	var clientSecret string
	if !reg.public {
		clientSecret = rand.Text() + rand.Text()
		c.SecretHash = secret.Hash(clientSecret)
	}
	accessToken := rand.Text() + rand.Text()
	c.RegistrationTokenHash = hashToken(accessToken)
	if err := h.store.CreateClient(ctx, c); err != nil {
		oautherr.WriteContext(ctx, w, h.opts.Logger, oautherr.Unavailable(err))
		return
	}
	h.limiter.Fail(addr)
	h.opts.Logger.InfoContext(ctx, "client registered", "audit", true, "client_id", c.ID, "name", c.Name,
		"public", reg.public, "grants", c.Grants, "scopes", c.Scopes, "redirect_uris", c.RedirectURIs)
	a := h.answer(c, reg.authMethod)
	a.ClientSecret, a.RegistrationAccessToken = clientSecret, accessToken
	if clientSecret != "" {
		never := int64(0)
		a.ClientSecretExpiresAt = &never
	}
	writeJSON(w, http.StatusCreated, a)
}

// useInitialToken checks the request's initial access token and spends one
// of its uses; it answers the request itself and returns false if there
// is none that works.
func (h *Handler) useInitialToken(w http.ResponseWriter, r *http.Request) bool {
	tok, ok := bearer(r)
	if !ok {
		writeInvalidToken(w, "an initial access token is required to register")
		return false
	}
	_, err := h.store.UseRegistrationToken(r.Context(), hex.EncodeToString(sha256Of(tok)), h.opts.Now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeInvalidToken(w, "the initial access token is invalid, expired or spent")
		return false
	case err != nil:
		oautherr.WriteContext(r.Context(), w, h.opts.Logger, oautherr.Unavailable(err))
		return false
	}
	return true
}

// Manage serves GET, PUT and DELETE /register/{client_id} (RFC 7592),
// for the holder of the client's registration access token.
func (h *Handler) Manage(w http.ResponseWriter, r *http.Request) {
	if !h.Enabled() {
		oautherr.Write(w, nil, oautherr.NotFound())
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodPut, http.MethodDelete:
	default:
		oautherr.Write(w, nil, oautherr.MethodNotAllowed("GET, PUT, DELETE"))
		return
	}
	ctx := r.Context()
	id := r.PathValue("client_id")
	c, ok := h.authorize(w, r, id)
	if !ok {
		return
	}
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, h.answer(c, authMethodOf(c)))
	case http.MethodDelete:
		if err := h.store.DeleteClient(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
			oautherr.WriteContext(ctx, w, h.opts.Logger, oautherr.Unavailable(err))
			return
		}
		h.opts.Logger.InfoContext(ctx, "registered client deleted by itself", "audit", true, "client_id", id)
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
	case http.MethodPut:
		h.update(w, r, c)
	}
}

// update replaces the client's metadata with the request's (RFC 7592
// §2.2). Its kind (public or confidential) and secret stay as they are.
func (h *Handler) update(w http.ResponseWriter, r *http.Request, c store.Client) {
	ctx := r.Context()
	m, ok := h.readMetadata(w, r)
	if !ok {
		return
	}
	if m.ClientID != c.ID {
		writeMetadataError(w, invalidMetadata("client_id must be the client's own"))
		return
	}
	method := authMethodOf(c)
	if m.TokenEndpointAuthMethod != "" && (m.TokenEndpointAuthMethod == authNone) != c.Public() {
		writeMetadataError(w, invalidMetadata("token_endpoint_auth_method cannot turn a public client confidential or the other way"))
		return
	}
	if m.TokenEndpointAuthMethod == "" {
		m.TokenEndpointAuthMethod = method
	}
	reg, err := h.opts.Policy.decide(m)
	if err != nil {
		writeMetadataError(w, err)
		return
	}
	now := h.opts.Now()
	var updated store.Client
	err = h.store.UpdateClient(ctx, c.ID, func(old store.Client) (store.Client, error) {
		old.Grants, old.Scopes, old.Name = reg.grants, reg.scopes, reg.name
		old.RedirectURIs, old.PostLogoutRedirectURIs = reg.redirectURIs, reg.postLogoutRedirectURIs
		old.UpdatedAt = now
		updated = old
		return old, nil
	})
	if err != nil {
		oautherr.WriteContext(ctx, w, h.opts.Logger, oautherr.Unavailable(err))
		return
	}
	h.opts.Logger.InfoContext(ctx, "registered client updated by itself", "audit", true, "client_id", c.ID,
		"grants", reg.grants, "scopes", reg.scopes, "redirect_uris", reg.redirectURIs)
	writeJSON(w, http.StatusOK, h.answer(updated, reg.authMethod))
}

// authorize finds the registered client id whose registration access
// token the request presents. Every failure — no token, a wrong one, a
// client that does not exist or was not registered — is the same 401
// (RFC 7592 §2), so that client IDs cannot be probed.
func (h *Handler) authorize(w http.ResponseWriter, r *http.Request, id string) (store.Client, bool) {
	tok, ok := bearer(r)
	if !ok {
		writeInvalidToken(w, "the registration access token is required")
		return store.Client{}, false
	}
	c, err := h.store.GetClient(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		c = store.Client{}
	case err != nil:
		oautherr.WriteContext(r.Context(), w, h.opts.Logger, oautherr.Unavailable(err))
		return store.Client{}, false
	}
	want := c.RegistrationTokenHash
	if len(want) == 0 {
		want = make([]byte, sha256.Size) // compare anyway, in the same time
	}
	if subtle.ConstantTimeCompare(hashToken(tok), want) != 1 || !c.Registered() {
		writeInvalidToken(w, "the registration access token is invalid")
		return store.Client{}, false
	}
	return c, true
}

// readMetadata reads a JSON body of client metadata; it answers the
// request itself and returns false when that fails.
func (h *Handler) readMetadata(w http.ResponseWriter, r *http.Request) (metadata, bool) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		writeMetadataError(w, invalidMetadata("the body must be application/json"))
		return metadata{}, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		e := invalidMetadata("the body could not be read, or is larger than 64 KiB")
		writeMetadataError(w, e)
		return metadata{}, false
	}
	m, err := parseMetadata(body)
	if err != nil {
		writeMetadataError(w, err)
		return metadata{}, false
	}
	return m, true
}

func (h *Handler) answer(c store.Client, method string) answer {
	a := answer{
		ClientID:                c.ID,
		ClientIDIssuedAt:        c.CreatedAt.Unix(),
		RegistrationClientURI:   h.opts.Issuer + Path + "/" + c.ID,
		ClientName:              c.Name,
		RedirectURIs:            c.RedirectURIs,
		PostLogoutRedirectURIs:  c.PostLogoutRedirectURIs,
		GrantTypes:              c.Grants,
		ResponseTypes:           []string{},
		TokenEndpointAuthMethod: method,
		Scope:                   scopeString(c.Scopes),
	}
	if slices.Contains(c.Grants, "authorization_code") {
		a.ResponseTypes = []string{"code"}
	}
	return a
}

// authMethodOf is how a stored client authenticates.
func authMethodOf(c store.Client) string {
	if c.Public() {
		return authNone
	}
	return authBasic
}

func bearer(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" || len(tok) > 512 {
		return "", false
	}
	return tok, true
}

func sha256Of(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

// hashToken is the stored form of a registration access token.
func hashToken(tok string) []byte { return sha256Of(tok) }

// addressKey groups IPv6 addresses by /64, as the login limits do.
func addressKey(a netip.Addr) string {
	if a.Is6() && !a.Is4In6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.Unmap().String()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeMetadataError(w http.ResponseWriter, err error) {
	var me *metadataError
	if !errors.As(err, &me) {
		me = invalidMetadata("the client metadata are invalid")
	}
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": me.code, "error_description": me.description})
}

func writeInvalidToken(w http.ResponseWriter, desc string) {
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description=`+strconv.Quote(desc))
	writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": desc})
}
