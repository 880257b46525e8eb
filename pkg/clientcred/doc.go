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
// It is built on golang.org/x/oauth2/clientcredentials.
package clientcred
