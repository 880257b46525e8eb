package form

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/fastsafe/fastsafe/authserver/internal/oautherr"
)

// MaxBodyBytes bounds the size of a request body.
const MaxBodyBytes = 64 << 10

// Parse reads r's body as an OAuth form. Parameters named in multi may be
// repeated (RFC 8707 "resource"); any other repeated parameter is an
// error. Every failure is an *oautherr.Error with a description that names
// the problem but never echoes a value.
func Parse(w http.ResponseWriter, r *http.Request, multi ...string) (url.Values, error) {
	if r.Method != http.MethodPost {
		return nil, oautherr.MethodNotAllowed(http.MethodPost)
	}
	if r.URL.RawQuery != "" {
		return nil, oautherr.InvalidRequest("parameters must be sent in the request body, not in the URL")
	}
	if err := checkContentType(r.Header.Values("Content-Type")); err != nil {
		return nil, err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			e := oautherr.InvalidRequest("request body is larger than 64 KiB")
			e.Status = http.StatusRequestEntityTooLarge
			return nil, e
		}
		return nil, oautherr.InvalidRequest("request body could not be read")
	}
	return ParseBody(string(body), multi...)
}

// ParseBody parses an already-read form body with the rules of Parse.
func ParseBody(body string, multi ...string) (url.Values, error) {
	if !utf8.ValidString(body) {
		return nil, oautherr.InvalidRequest("request body is not valid UTF-8")
	}
	vals, err := url.ParseQuery(body)
	if err != nil {
		return nil, oautherr.InvalidRequest("request body is not a valid form")
	}
	for name, vs := range vals {
		if !utf8.ValidString(name) {
			return nil, oautherr.InvalidRequest("request body is not valid UTF-8")
		}
		kept := vs[:0]
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return nil, oautherr.InvalidRequest("parameter " + quoteName(name) + " is not valid UTF-8")
			}
			if v != "" {
				kept = append(kept, v)
			}
		}
		if len(vs) > 1 && !slices.Contains(multi, name) {
			return nil, oautherr.InvalidRequest("parameter " + quoteName(name) + " is repeated")
		}
		if len(kept) == 0 {
			delete(vals, name)
			continue
		}
		vals[name] = kept
	}
	return vals, nil
}

func checkContentType(values []string) error {
	if len(values) != 1 {
		return oautherr.InvalidRequest("Content-Type must be application/x-www-form-urlencoded")
	}
	mt, params, err := mime.ParseMediaType(values[0])
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return oautherr.InvalidRequest("Content-Type must be application/x-www-form-urlencoded")
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return oautherr.InvalidRequest("the form must be encoded in UTF-8")
	}
	return nil
}

// quoteName quotes a parameter name for an error description, cutting it
// short so a hostile name cannot bloat the answer.
func quoteName(name string) string {
	const max = 40
	if len(name) > max {
		name = strings.ToValidUTF8(name[:max], "") + "…"
	}
	return `"` + strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' || r == '\\' {
			return '?'
		}
		return r
	}, name) + `"`
}
