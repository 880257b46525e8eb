package settings

import "net/url"

// HTTPURLProblem says what is wrong with raw as the absolute http(s) URL of
// a server, or "" if nothing: it must parse, start with https:// or
// http://, name a host and carry no user name or password. Callers check
// an empty value first, to explain what it should be, and after it what
// else their setting forbids (a query, a fragment, a trailing slash).
func HTTPURLProblem(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "is not a URL"
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "must be an absolute URL starting with https:// or http://"
	case u.Host == "" || u.Hostname() == "":
		return "has no host"
	case u.User != nil:
		return "must not contain a user name or password"
	}
	return ""
}
