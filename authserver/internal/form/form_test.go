package form

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fastsafe/fastsafe/authserver/internal/oautherr"
)

const formType = "application/x-www-form-urlencoded"

func TestParse(t *testing.T) {
	tests := []struct {
		name        string
		method      string
		target      string
		contentType []string
		body        string
		multi       []string
		wantStatus  int // 0: success
		want        map[string][]string
	}{
		{name: "ok", body: "grant_type=password&username=a%2Bb&password=p+q", want: map[string][]string{"grant_type": {"password"}, "username": {"a+b"}, "password": {"p q"}}},
		{name: "charset utf-8 allowed", contentType: []string{formType + "; charset=UTF-8"}, body: "a=1", want: map[string][]string{"a": {"1"}}},
		{name: "empty value is omitted", body: "a=&b=2", want: map[string][]string{"b": {"2"}}},
		{name: "repeat of multi param allowed", body: "resource=x&resource=y", multi: []string{"resource"}, want: map[string][]string{"resource": {"x", "y"}}},
		{name: "GET refused", method: http.MethodGet, body: "", wantStatus: 405},
		{name: "query string refused", target: "/token?client_secret=s", body: "a=1", wantStatus: 400},
		{name: "missing content type", contentType: []string{}, body: "a=1", wantStatus: 400},
		{name: "json content type", contentType: []string{"application/json"}, body: `{"a":1}`, wantStatus: 400},
		{name: "multipart content type", contentType: []string{"multipart/form-data; boundary=x"}, body: "--x--", wantStatus: 400},
		{name: "two content types", contentType: []string{formType, formType}, body: "a=1", wantStatus: 400},
		{name: "latin1 charset", contentType: []string{formType + "; charset=iso-8859-1"}, body: "a=1", wantStatus: 400},
		{name: "repeated parameter", body: "a=1&a=2", wantStatus: 400},
		{name: "repeated with one empty", body: "a=1&a=", wantStatus: 400},
		{name: "bad escape", body: "a=%zz", wantStatus: 400},
		{name: "invalid utf-8 value", body: "a=%ff", wantStatus: 400},
		{name: "semicolon separator", body: "a=1;b=2", wantStatus: 400},
		{name: "too large", body: "a=" + strings.Repeat("x", MaxBodyBytes), wantStatus: 413},
		{name: "exactly the limit", body: "a=" + strings.Repeat("x", MaxBodyBytes-2), want: map[string][]string{"a": {strings.Repeat("x", MaxBodyBytes-2)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method, target := tt.method, tt.target
			if method == "" {
				method = http.MethodPost
			}
			if target == "" {
				target = "/token"
			}
			r := httptest.NewRequest(method, target, strings.NewReader(tt.body))
			ct := tt.contentType
			if ct == nil {
				ct = []string{formType}
			}
			for _, v := range ct {
				r.Header.Add("Content-Type", v)
			}
			got, err := Parse(httptest.NewRecorder(), r, tt.multi...)
			if tt.wantStatus != 0 {
				var e *oautherr.Error
				if !errors.As(err, &e) {
					t.Fatalf("err = %v, want an OAuth error", err)
				}
				if e.HTTPStatus() != tt.wantStatus {
					t.Fatalf("status = %d, want %d (%v)", e.HTTPStatus(), tt.wantStatus, e)
				}
				if strings.Contains(e.Description, "client_secret=s") {
					t.Errorf("description echoes input: %q", e.Description)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for k, vs := range tt.want {
				if strings.Join(got[k], "\x00") != strings.Join(vs, "\x00") {
					t.Errorf("%s = %q, want %q", k, got[k], vs)
				}
			}
		})
	}
}

func TestQuoteNameBoundsHostileNames(t *testing.T) {
	q := quoteName(strings.Repeat("é", 100) + "\"\x00")
	if len(q) > 50 || strings.ContainsAny(q[1:len(q)-1], "\"\x00") {
		t.Errorf("quoteName = %q", q)
	}
}

// FuzzParseBody: any body either parses into values that are valid UTF-8
// and non-empty, or yields an OAuth invalid_request; it never panics.
func FuzzParseBody(f *testing.F) {
	for _, s := range []string{
		"grant_type=password&username=tester&password=secret",
		"client_id=a%3Ab&client_secret=%2B%25%26",
		"a=1&a=2", "a=%zz", "resource=x&resource=y", "=", "&&&", "a=%ff", "a;b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		vals, err := ParseBody(body, "resource")
		if err != nil {
			var e *oautherr.Error
			if !errors.As(err, &e) || e.Code != oautherr.CodeInvalidRequest {
				t.Fatalf("err = %v, want invalid_request", err)
			}
			return
		}
		for k, vs := range vals {
			if len(vs) == 0 || (len(vs) > 1 && k != "resource") {
				t.Fatalf("%q has %d values", k, len(vs))
			}
			for _, v := range vs {
				if v == "" {
					t.Fatalf("%q kept an empty value", k)
				}
			}
		}
	})
}
