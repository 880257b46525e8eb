// Package session keeps the browser sessions of people who signed in at
// the authorization server, and protects its forms against cross-site
// request forgery.
//
// A session is a random value in a cookie; the store keeps only its
// SHA-256, with the person, when they authenticated and when the session
// ends. The cookie is HttpOnly and SameSite=Lax, and when the issuer is
// https it is Secure and carries the __Host- prefix, so that no other
// host or path can set or read it.
//
// Forms carry a token that must equal a second cookie (double submit);
// the cookie is SameSite=Lax, so a cross-site POST arrives without it.
// A form post whose Origin, or Sec-Fetch-Site, names another site is
// refused before the token is even compared.
package session
