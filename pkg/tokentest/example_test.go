package tokentest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/fastsafe/fastsafe/pkg/bearer"
	"github.com/fastsafe/fastsafe/pkg/tokentest"
)

// A handler protected by package bearer, called with tokens of an issuer
// that exists only for the test.
func Example() {
	iss := tokentest.NewIssuer()
	defer iss.Close()

	// The service under test trusts the issuer and needs the scope search.
	opts := bearer.Options{Realm: "search-api"}
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := bearer.FromContext(r.Context())
		fmt.Fprintf(w, "hello %s", c.Subject)
	})
	search := bearer.Authenticate(iss.Verifier("search-api", nil), opts)(bearer.RequireScopes(opts, "search")(hello))

	expired := iss.Claims("search-api", "search", time.Now().Add(-time.Hour))
	for _, token := range []string{
		iss.Token("search-api", "search"),
		iss.Token("search-api", "profile"),
		iss.Token("billing-api", "search"),
		iss.Sign(expired),
		tokentest.Sign(tokentest.NewKey(), tokentest.KeyID, iss.Claims("search-api", "search", time.Now())),
	} {
		req := httptest.NewRequest("GET", "/search", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		search.ServeHTTP(rec, req)
		if rec.Code == http.StatusOK {
			fmt.Println(rec.Code, rec.Body)
		} else {
			fmt.Println(rec.Code, rec.Header().Get("WWW-Authenticate"))
		}
	}
	// Output:
	// 200 hello alice
	// 403 Bearer realm="search-api", error="insufficient_scope", error_description="The access token lacks a scope this resource requires", scope="search"
	// 401 Bearer realm="search-api", error="invalid_token", error_description="The access token is not meant for this resource"
	// 401 Bearer realm="search-api", error="invalid_token", error_description="The access token expired"
	// 401 Bearer realm="search-api", error="invalid_token", error_description="The access token signature is invalid"
}
