// Package apidocs owns the resource server's API documentation: the
// OpenAPI 3 document describing every route and the OAuth 2.0 flows that
// get a token for it, and the Swagger UI page that renders it, served from
// files embedded in the binary (no CDN).
package apidocs
