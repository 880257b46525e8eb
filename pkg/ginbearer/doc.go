// Package ginbearer is the Gin counterpart of package bearer: middleware
// that admits requests carrying a valid "Authorization: Bearer" access
// token, and routes that declare the scopes they need in one line:
//
//	opts := bearer.Options{Realm: "search-api", ResourceMetadata: metadataURL}
//	r.Use(ginbearer.Authenticate(verifier, opts))
//	r.GET("/search", ginbearer.RequireScopes(opts, "search"), search)
//
// Extraction rules, RFC 6750 answers and JSON bodies are those of package
// bearer, byte for byte: both share bearer.Extract and bearer.WriteError.
package ginbearer
