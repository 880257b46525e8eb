// Package clientcred is the client side of service-to-service calls: a
// service gets access tokens from the authorization server with its own
// credentials (the OAuth 2.0 client_credentials grant, RFC 6749 §4.4) and
// sends them to other services.
//
// TokenSource caches the token and renews it EarlyExpiry before it
// expires, one request at a time however many goroutines ask, all of them
// sharing its outcome, error included; Client is an *http.Client that
// attaches the current token to every request:
//
//	api := clientcred.Client(ctx, clientcred.Config{
//		TokenURL:       "http://localhost:9096/token",
//		ClientID:       "reports",
//		ClientSecret:   secret,
//		Scopes:         []string{"search"},
//		EndpointParams: url.Values{"resource": {"http://localhost:8000"}},
//	})
//	resp, err := api.Get("http://localhost:8000/search?query=apple")
//
// A service need hold no secret at all. Config.Assertion authenticates it
// with a signed assertion instead (RFC 7523): KeyAssertion signs one per
// request with the service's private key (private_key_jwt), and
// WorkloadToken presents the identity token its platform mounts in a file
// (a Kubernetes service-account token, a CI system's OIDC token), read
// again whenever the platform rotates it.
//
// Config.DPoP binds the tokens to a key the service keeps (RFC 9449): the
// token requests carry proofs of it, and Client sends every request with
// "Authorization: DPoP" and a fresh proof, retrying once with the
// server's nonce when a server asks for one. A token stolen from a log or
// a proxy is then useless without the key.
//
// Exchanger calls the next service on behalf of the user whose request a
// service is serving: it exchanges the user's token for one to the next
// service's audience (RFC 8693), whose subject is still the user and whose
// "act" claim names the service. Introspector asks the authorization
// server whether a token is still active (RFC 7662), for the routes that
// must see a revocation at once.
//
// Every request these clients send carries the X-Request-ID and the W3C
// trace context of its context, and runs in a client span when that
// context is in a recorded trace (packages requestid and tracing): a chain
// of services is one trace.
//
// The secret flow is built on golang.org/x/oauth2/clientcredentials; the
// assertion and DPoP flows send their own token requests.
package clientcred
