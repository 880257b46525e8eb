// Package oautherr is the one place where the authorization server turns
// errors into HTTP answers: the error codes of RFC 6749 §5.2, RFC 7009 §2.2.1
// and RFC 8707, each with its status, and the JSON body they share.
//
// Handlers return *Error values (or plain errors, which become
// server_error or temporarily_unavailable) and call Write; nothing else in
// the server picks a status for an OAuth error.
package oautherr
