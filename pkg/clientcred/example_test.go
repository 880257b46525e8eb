package clientcred_test

import (
	"context"
	"crypto"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/fastsafe/fastsafe/pkg/clientcred"
)

// A service with no secret: it authenticates with assertions signed by
// its own key (private_key_jwt, its public key registered with
// "authserver clients add reports --jwks FILE"), and its tokens are bound
// to a DPoP key, so that a stolen token is useless. The client retries by
// itself when a server asks for a DPoP nonce.
func ExampleClient_privateKeyJWTWithDPoP() {
	key := serviceKey() // in a real service: loaded from a file or a KMS
	auth := newFakeAuth(map[string]crypto.PublicKey{"reports": key.Public()})
	defer auth.Close()

	dpop, err := clientcred.GenerateDPoPKey()
	if err != nil {
		panic(err)
	}
	api := clientcred.Client(context.Background(), clientcred.Config{
		TokenURL:  auth.URL + "/token",
		ClientID:  "reports",
		Assertion: clientcred.KeyAssertion{Key: key},
		DPoP:      dpop,
	})
	resp, err := api.Get(auth.URL + "/api")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	// Output: 200 reports for reports
}

// A workload on a platform that mounts an identity token in a file (a
// Kubernetes projected service-account token): the authorization server
// trusts the platform's issuer ("authserver issuers add"), and the file
// is read again whenever the platform rotates it.
func ExampleWorkloadToken() {
	dir, _ := os.MkdirTemp("", "workload")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "token")
	_ = os.WriteFile(path, []byte("eyJhbGciOiJSUzI1NiJ9.first.token\n"), 0o600)

	cfg := clientcred.Config{
		TokenURL:  "https://auth.example/token",
		ClientID:  "checkout",
		Assertion: &clientcred.WorkloadToken{Path: path},
	}
	a, _ := cfg.Assertion.Assertion(context.Background(), cfg.ClientID, cfg.TokenURL)
	fmt.Println(a)
	_ = os.WriteFile(path, []byte("eyJhbGciOiJSUzI1NiJ9.rotated.token.of.another.size\n"), 0o600)
	a, _ = cfg.Assertion.Assertion(context.Background(), cfg.ClientID, cfg.TokenURL)
	fmt.Println(a)
	// Output:
	// eyJhbGciOiJSUzI1NiJ9.first.token
	// eyJhbGciOiJSUzI1NiJ9.rotated.token.of.another.size
}

// Service B calls service C on behalf of the user whose token B received:
// it exchanges that token for one to C's audience (RFC 8693). The new
// token's subject is still the user; it names B as the actor.
func ExampleExchanger() {
	keyB := serviceKey()
	auth := newFakeAuth(map[string]crypto.PublicKey{"svc-b": keyB.Public(), "svc-a": serviceKey().Public()})
	defer auth.Close()
	ctx := context.Background()
	dpop, _ := clientcred.GenerateDPoPKey()
	cfg := clientcred.Config{TokenURL: auth.URL + "/token", ClientID: "svc-b", Assertion: clientcred.KeyAssertion{Key: keyB}, DPoP: dpop}

	userToken := auth.userToken("alice") // the token of the request B is serving
	exchanger := clientcred.NewExchanger(ctx, cfg)
	resp, err := exchanger.Client(userToken, "svc-c").Get(auth.URL + "/api")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(string(body))
	// Output: svc-b for alice (acting: svc-b)
}

// A route that must see a revocation at once asks the authorization
// server (RFC 7662), a few seconds' cache aside.
func ExampleIntrospector() {
	key := serviceKey()
	auth := newFakeAuth(map[string]crypto.PublicKey{"search-api": key.Public()})
	defer auth.Close()
	ctx := context.Background()
	in, err := clientcred.NewIntrospector(ctx, clientcred.Config{
		TokenURL: auth.URL + "/token", ClientID: "search-api", Assertion: clientcred.KeyAssertion{Key: key},
	}, clientcred.IntrospectorOptions{URL: auth.URL + "/introspect", CacheFor: -1})
	if err != nil {
		panic(err)
	}
	tok := auth.userToken("alice")
	a, _ := in.Introspect(ctx, tok)
	fmt.Println(a.Active, a.Sub)
	auth.revoke(tok)
	a, _ = in.Introspect(ctx, tok)
	fmt.Println(a.Active)
	// Output:
	// true alice
	// false
}
