package ginbearer

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/pkg/bearer"
	"github.com/fastsafe/fastsafe/pkg/claims"
	"github.com/fastsafe/fastsafe/pkg/jwks"
	"github.com/fastsafe/fastsafe/pkg/verify"
)

// TestDPoPRoutes: a Gin API that accepts DPoP everywhere and requires it
// on one route.
func TestDPoPRoutes(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	jwk, _ := jwks.FromPublicKey("", "", &key.PublicKey)
	jwk.Kid, jwk.Use = "", ""
	jkt, _ := jwk.Thumbprint()
	v := fakeVerifier{
		"bound":  {Subject: "alice", ClientID: "svc", Scope: "search", Confirmation: &claims.Confirmation{JKT: jkt}},
		"bearer": {Subject: "bob", ClientID: "web", Scope: "search"},
	}
	dp, err := verify.NewDPoP(verify.DPoPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	opts := bearer.Options{Realm: "api", DPoP: dp, PublicURL: "http://api.example"}
	r := gin.New()
	api := r.Group("/", Authenticate(v, opts))
	api.GET("/search", RequireScopes(opts, "search"), func(c *gin.Context) { c.String(200, "ok") })
	api.GET("/payments", RequireDPoP(opts), func(c *gin.Context) { c.String(200, "ok") })

	proof := func(path, token string) string {
		sum := sha256.Sum256([]byte(token))
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"jti": rand.Text(), "htm": "GET",
			"htu": "http://api.example" + path, "iat": time.Now().Unix(), "ath": base64.RawURLEncoding.EncodeToString(sum[:])})
		tok.Header["typ"], tok.Header["jwk"] = "dpop+jwt", jwk
		s, _ := tok.SignedString(key)
		return s
	}
	get := func(path, auth, proof string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", auth)
		if proof != "" {
			req.Header.Set("DPoP", proof)
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		return w
	}
	for _, tt := range []struct {
		name, path, auth, proof string
		status                  int
	}{
		{"bearer on an open route", "/search", "Bearer bearer", "", 200},
		{"DPoP on an open route", "/search", "DPoP bound", proof("/search", "bound"), 200},
		{"bound token as Bearer", "/search", "Bearer bound", "", 401},
		{"proof for another route", "/search", "DPoP bound", proof("/payments", "bound"), 401},
		{"bearer where DPoP is required", "/payments", "Bearer bearer", "", 401},
		{"DPoP where it is required", "/payments", "DPoP bound", proof("/payments", "bound"), 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := get(tt.path, tt.auth, tt.proof)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if tt.status == 401 && !strings.Contains(strings.Join(w.Header().Values("WWW-Authenticate"), " "), `DPoP realm="api"`) {
				t.Fatalf("no DPoP challenge: %q", w.Header().Values("WWW-Authenticate"))
			}
		})
	}
}
