package sqlstore

import (
	"reflect"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/schema"
)

// TestUpgradeFromVersion2 makes a database at schema version 2 with the
// migrations as they were written then, writes rows into it as the stores
// of that version did, and opens it with this binary: it is migrated to the
// latest version in place, and every row reads back unchanged.
func TestUpgradeFromVersion2(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testBackend) {
		ctx := t.Context()
		db := b.newDatabase(t)
		old, err := b.connect(ctx, db, WithClock(fixedClock))
		if err != nil {
			t.Fatal(err)
		}
		v2 := migrations[b.d][:2]
		for _, m := range v2 {
			if m.Shared {
				t.Fatalf("%s is shared: version 2 was written for each dialect", m.Name)
			}
		}
		if err := old.migrate(ctx, v2); err != nil {
			t.Fatal(err)
		}

		at := time.Date(2030, 5, 6, 7, 8, 9, 123456789, time.UTC)
		user := store.User{Username: "alice", Email: "alice@example.com", FullName: "Alice", PasswordHash: []byte("$2a$10$hash"),
			Scopes: []string{"me", "items:read"}, Disabled: true, CreatedAt: at, UpdatedAt: at.Add(time.Second)}
		client := store.Client{ID: "web", SecretHash: []byte("0123456789abcdef0123456789abcdef"), Grants: []string{"password", "refresh_token"},
			Scopes: []string{"me"}, Audience: []string{"https://api.example.com"}, CreatedAt: at}
		fam := store.RefreshFamily{ID: "fam", ClientID: "web", Subject: "alice", CreatedAt: at, ExpiresAt: at.Add(time.Hour), RevokedAt: at.Add(time.Minute)}
		tok := store.RefreshToken{ID: "t1", FamilyID: "fam", ClientID: "web", Subject: "alice", Scopes: []string{"me"},
			CreatedAt: at, ExpiresAt: at.Add(time.Hour), UsedAt: at.Add(time.Second)}
		key := store.SigningKey{ID: "k1", Algorithm: "EdDSA", PrivateKey: []byte("pkcs8"), CreatedAt: at, ActivatesAt: at.Add(time.Minute)}
		n := func(t time.Time) int64 { return t.UnixNano() }
		// The rows as the version 2 stores wrote them: times as
		// nanoseconds, NULL for the zero time, lists in the dialect's form.
		for _, row := range []struct {
			query string
			args  []any
		}{
			{`INSERT INTO subjects (name, kind) VALUES (?, 'user'), (?, 'client')`, []any{"alice", "web"}},
			{`INSERT INTO users (username, email, full_name, password_hash, scopes, disabled, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, []any{user.Username, user.Email, user.FullName, user.PasswordHash, b.d.list(&user.Scopes),
				user.Disabled, n(user.CreatedAt), n(user.UpdatedAt)}},
			{`INSERT INTO clients (id, secret_hash, grants, scopes, audience, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, NULL)`,
				[]any{client.ID, client.SecretHash, b.d.list(&client.Grants), b.d.list(&client.Scopes), b.d.list(&client.Audience), n(client.CreatedAt)}},
			{`INSERT INTO refresh_families (id, client_id, subject, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)`,
				[]any{fam.ID, fam.ClientID, fam.Subject, n(fam.CreatedAt), n(fam.ExpiresAt), n(fam.RevokedAt)}},
			{`INSERT INTO refresh_tokens (id, family_id, client_id, subject, scopes, audience, created_at, expires_at, used_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, []any{tok.ID, tok.FamilyID, tok.ClientID, tok.Subject, b.d.list(&tok.Scopes), b.d.list(&tok.Audience),
				n(tok.CreatedAt), n(tok.ExpiresAt), n(tok.UsedAt)}},
			{`INSERT INTO revoked_access_tokens (jti, expires_at) VALUES (?, ?)`, []any{"jti-1", n(at.Add(time.Hour))}},
			{`INSERT INTO signing_keys (id, algorithm, private_key, created_at, activates_at) VALUES (?, ?, ?, ?, ?)`,
				[]any{key.ID, key.Algorithm, key.PrivateKey, n(key.CreatedAt), n(key.ActivatesAt)}},
			{`INSERT INTO once_steps (name, ran_at) VALUES (?, ?)`, []any{"demo-data", n(at)}},
		} {
			if _, err := old.write.exec(ctx, b.d.translate(row.query), row.args...); err != nil {
				t.Fatalf("%s: %v", row.query, err)
			}
		}
		if err := old.Close(); err != nil {
			t.Fatal(err)
		}

		s := b.open(t, db)
		if v, err := s.SchemaVersion(ctx); err != nil || v != schema.Latest(migrations[b.d]) || v <= 2 {
			t.Fatalf("SchemaVersion after the upgrade: %d, %v; want %d", v, err, schema.Latest(migrations[b.d]))
		}
		if got, err := s.GetUser(ctx, "alice"); err != nil || !reflect.DeepEqual(got, user) {
			t.Errorf("user: got %+v, %v; want %+v", got, err, user)
		}
		if got, err := s.GetClient(ctx, "web"); err != nil || !reflect.DeepEqual(got, client) {
			t.Errorf("client: got %+v, %v; want %+v", got, err, client)
		}
		gotTok, gotFam, err := s.GetRefreshToken(ctx, "t1")
		if err != nil || !reflect.DeepEqual(gotTok, tok) || !reflect.DeepEqual(gotFam, fam) {
			t.Errorf("refresh token: got %+v in %+v, %v; want %+v in %+v", gotTok, gotFam, err, tok, fam)
		}
		if r, err := s.AccessTokenRevoked(ctx, "jti-1"); err != nil || !r {
			t.Errorf("revocation: %v, %v", r, err)
		}
		if ks, err := s.ListSigningKeys(ctx); err != nil || !reflect.DeepEqual(ks, []store.SigningKey{key}) {
			t.Errorf("signing keys: got %+v, %v; want [%+v]", ks, err, key)
		}
		if first, err := s.ClaimOnce(ctx, "demo-data", clock); err != nil || first {
			t.Errorf("ClaimOnce of a step claimed at version 2: %v, %v; want false", first, err)
		}
		// The upgraded database takes writes as a new one does.
		if err := rotate(s, ctx, "t1", clock, store.RefreshToken{ID: "t2", ExpiresAt: clock.Add(time.Hour)}); err == nil {
			t.Error("rotating a used token in a revoked family succeeded")
		}
		if err := s.CreateUser(ctx, store.User{Username: "bob"}); err != nil {
			t.Errorf("CreateUser after the upgrade: %v", err)
		}
	})
}
