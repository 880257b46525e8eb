package storetest

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// testAssertionClient: a client with keys instead of a secret keeps them,
// and is confidential.
func testAssertionClient(t *testing.T, s store.Store) {
	want := store.Client{
		ID:                "svc-a",
		Grants:            []string{"client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange"},
		Scopes:            []string{"search"},
		Audience:          []string{"svc-b"},
		JWKS:              `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"k1","alg":"EdDSA"}]}`,
		ExchangeAudiences: []string{"svc-b", "svc-c"},
		CreatedAt:         at(time.Second),
		UpdatedAt:         at(time.Second),
	}
	must(t, "CreateClient", s.CreateClient(ctx(t), want))
	got := getClient(t, s, want.ID)
	equal(t, "GetClient", got, want, normClient)
	if got.Public() || !got.UsesAssertion() {
		t.Fatalf("client with keys: public %v, uses assertion %v", got.Public(), got.UsesAssertion())
	}

	workload := store.Client{ID: "ci", Grants: []string{"client_credentials"}, JWKSURI: "https://keys.example/jwks",
		AssertionIssuer: "https://token.ci.example", AssertionSubject: "repo:org/app:ref:refs/heads/main"}
	must(t, "CreateClient", s.CreateClient(ctx(t), workload))
	equal(t, "GetClient of a workload client", getClient(t, s, "ci"), workload, normClient)

	must(t, "UpdateClient", s.UpdateClient(ctx(t), "ci", func(c store.Client) (store.Client, error) {
		c.AssertionSubject = "repo:org/app:ref:refs/heads/release"
		c.ExchangeAudiences = []string{"x"}
		return c, nil
	}))
	got = getClient(t, s, "ci")
	if got.AssertionSubject != "repo:org/app:ref:refs/heads/release" || len(got.ExchangeAudiences) != 1 {
		t.Fatalf("update lost: %+v", got)
	}
}

func testTrustedIssuers(t *testing.T, s store.Store) {
	k8s := store.TrustedIssuer{Issuer: "https://kubernetes.default.svc", JWKSURL: "https://10.0.0.1/openid/v1/jwks",
		Audience: "https://auth.example", CreatedAt: at(time.Second)}
	ci := store.TrustedIssuer{Issuer: "https://token.actions.example", CreatedAt: at(2 * time.Second)}
	must(t, "CreateTrustedIssuer", s.CreateTrustedIssuer(ctx(t), ci))
	must(t, "CreateTrustedIssuer", s.CreateTrustedIssuer(ctx(t), k8s))
	wantErr(t, "CreateTrustedIssuer again", s.CreateTrustedIssuer(ctx(t), ci), store.ErrAlreadyExists)

	got, err := s.GetTrustedIssuer(ctx(t), k8s.Issuer)
	must(t, "GetTrustedIssuer", err)
	sameTime(t, "CreatedAt", got.CreatedAt, k8s.CreatedAt)
	if got.JWKSURL != k8s.JWKSURL || got.Audience != k8s.Audience {
		t.Fatalf("GetTrustedIssuer = %+v, want %+v", got, k8s)
	}
	_, err = s.GetTrustedIssuer(ctx(t), "https://unknown.example")
	wantErr(t, "GetTrustedIssuer of an unknown issuer", err, store.ErrNotFound)

	list, err := s.ListTrustedIssuers(ctx(t))
	must(t, "ListTrustedIssuers", err)
	if len(list) != 2 || list[0].Issuer != k8s.Issuer || list[1].Issuer != ci.Issuer {
		t.Fatalf("ListTrustedIssuers = %+v, want k8s then ci", list)
	}
	must(t, "DeleteTrustedIssuer", s.DeleteTrustedIssuer(ctx(t), ci.Issuer))
	wantErr(t, "DeleteTrustedIssuer again", s.DeleteTrustedIssuer(ctx(t), ci.Issuer), store.ErrNotFound)
	_, err = s.GetTrustedIssuer(ctx(t), ci.Issuer)
	wantErr(t, "GetTrustedIssuer after delete", err, store.ErrNotFound)
}

func testUseOnce(t *testing.T, s store.Store) {
	first, err := s.UseOnce(ctx(t), "svc-a:jti-1", at(0), at(time.Minute))
	if err != nil || !first {
		t.Fatalf("first use = %v, %v; want true", first, err)
	}
	again, err := s.UseOnce(ctx(t), "svc-a:jti-1", at(30*time.Second), at(2*time.Minute))
	if err != nil || again {
		t.Fatalf("second use before expiry = %v, %v; want false", again, err)
	}
	other, err := s.UseOnce(ctx(t), "svc-b:jti-1", at(0), at(time.Minute))
	if err != nil || !other {
		t.Fatalf("another key = %v, %v; want true", other, err)
	}
	// Once the record expired, the value can no longer be accepted
	// anyway; a use then takes the record over.
	late, err := s.UseOnce(ctx(t), "svc-a:jti-1", at(2*time.Minute), at(3*time.Minute))
	if err != nil || !late {
		t.Fatalf("use after expiry = %v, %v; want true", late, err)
	}
	again, err = s.UseOnce(ctx(t), "svc-a:jti-1", at(2*time.Minute), at(3*time.Minute))
	if err != nil || again {
		t.Fatalf("use of the taken-over record = %v, %v; want false", again, err)
	}
	_, err = s.UseOnce(ctx(t), "", at(0), at(time.Minute))
	if err == nil {
		t.Fatal("UseOnce of an empty key succeeded")
	}
}

func testUseOnceConcurrent(t *testing.T, s store.Store) {
	var wins atomic.Int32
	race(20, func(int) {
		ok, err := s.UseOnce(ctx(t), "replayed", at(0), at(time.Minute))
		if err != nil {
			t.Errorf("UseOnce: %v", err)
		}
		if ok {
			wins.Add(1)
		}
	})
	if wins.Load() != 1 {
		t.Fatalf("%d callers used the value, want exactly 1", wins.Load())
	}
}

func testDeleteExpiredUsedOnce(t *testing.T, s store.Store) {
	for i, exp := range []time.Duration{time.Minute, time.Hour} {
		if ok, err := s.UseOnce(ctx(t), []string{"short", "long"}[i], at(0), at(exp)); err != nil || !ok {
			t.Fatalf("UseOnce: %v %v", ok, err)
		}
	}
	n, err := s.DeleteExpired(ctx(t), at(2*time.Minute))
	must(t, "DeleteExpired", err)
	if n != 1 {
		t.Fatalf("DeleteExpired removed %d records, want 1", n)
	}
	// The long-lived record is still there.
	if ok, _ := s.UseOnce(ctx(t), "long", at(2*time.Minute), at(time.Hour)); ok {
		t.Fatal("the unexpired record was removed")
	}
}

func testRefreshTokenKeyBinding(t *testing.T, s store.Store) {
	f := sampleFamily("bound", "docs", "alice", at(0))
	tok := sampleToken("bound-t1", f, at(0))
	tok.JKT = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
	must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx(t), f, tok))
	got, _ := getToken(t, s, tok.ID)
	if got.JKT != tok.JKT {
		t.Fatalf("JKT = %q, want %q", got.JKT, tok.JKT)
	}
	next := sampleToken("bound-t2", f, at(time.Minute))
	next.JKT = tok.JKT
	_, err := s.RotateRefreshToken(ctx(t), tok.ID, at(time.Minute), next, 0)
	must(t, "RotateRefreshToken", err)
	got, _ = getToken(t, s, next.ID)
	if got.JKT != tok.JKT {
		t.Fatalf("rotated JKT = %q, want %q", got.JKT, tok.JKT)
	}
}
