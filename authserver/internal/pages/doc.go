// Package pages renders the HTML the authorization server shows people:
// the sign-in page, the consent page, the sign-out pages and the error page
// shown when a request cannot safely be sent back to the application.
//
// Pages are plain html/template with one embedded style sheet, inlined and
// allowed by its hash in a Content-Security-Policy that allows nothing
// else: no script, no frame ancestor, no asset from another origin. They
// work without JavaScript, at phone width and with a keyboard, and every
// control is labelled for screen readers.
package pages
