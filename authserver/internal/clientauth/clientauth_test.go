package clientauth

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/oautherr"
	"github.com/fastsafe/fastsafe/authserver/internal/secret"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

type fakeClients map[string]store.Client

func (f fakeClients) GetClient(_ context.Context, id string) (store.Client, error) {
	if id == "broken" {
		return store.Client{}, errors.New("disk on fire")
	}
	c, ok := f[id]
	if !ok {
		return store.Client{}, store.ErrNotFound
	}
	return c, nil
}

var _ ClientGetter = fakeClients(nil)

// A secret with every character RFC 6749 §2.3.1 makes clients encode.
const hardSecret = "s3cr:t+with%special&chars/=and more-than-32-characters"

func basic(id, sec string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(sec)))
}

func TestAuthenticate(t *testing.T) {
	clients := fakeClients{
		"svc":  {ID: "svc", SecretHash: secret.Hash(hardSecret)},
		"docs": {ID: "docs"},
		"a:b":  {ID: "a:b", SecretHash: secret.Hash(hardSecret)},
	}
	auth := New(clients, nil, nil)
	tests := []struct {
		name             string
		headers          []string
		form             url.Values
		confidentialOnly bool
		wantID           string
		wantCode         string
		wantStatus       int
	}{
		{name: "basic", headers: []string{basic("svc", hardSecret)}, wantID: "svc"},
		{name: "basic scheme any case", headers: []string{strings.Replace(basic("svc", hardSecret), "Basic", "bAsIc", 1)}, wantID: "svc"},
		{name: "basic id with colon", headers: []string{basic("a:b", hardSecret)}, wantID: "a:b"},
		{name: "basic with matching form client_id", headers: []string{basic("svc", hardSecret)}, form: url.Values{"client_id": {"svc"}}, wantID: "svc"},
		{name: "post", form: url.Values{"client_id": {"svc"}, "client_secret": {hardSecret}}, wantID: "svc"},
		{name: "public by id", form: url.Values{"client_id": {"docs"}}, wantID: "docs"},
		{name: "public with empty basic secret", headers: []string{basic("docs", "")}, wantID: "docs"},
		{name: "public refused when confidential required", form: url.Values{"client_id": {"docs"}}, confidentialOnly: true, wantCode: oautherr.CodeInvalidClient},
		{name: "public presenting a secret", form: url.Values{"client_id": {"docs"}, "client_secret": {"x"}}, wantCode: oautherr.CodeInvalidClient},
		{name: "wrong secret", headers: []string{basic("svc", hardSecret+"x")}, wantCode: oautherr.CodeInvalidClient},
		{name: "basic secret not form-encoded", headers: []string{"Basic " + base64.StdEncoding.EncodeToString([]byte("svc:"+hardSecret))}, wantCode: oautherr.CodeInvalidClient},
		{name: "confidential without secret", form: url.Values{"client_id": {"svc"}}, wantCode: oautherr.CodeInvalidClient},
		{name: "unknown client", form: url.Values{"client_id": {"nobody"}, "client_secret": {hardSecret}}, wantCode: oautherr.CodeInvalidClient},
		{name: "huge client id", form: url.Values{"client_id": {strings.Repeat("a", 10000)}}, wantCode: oautherr.CodeInvalidClient},
		{name: "no credentials", wantCode: oautherr.CodeInvalidClient, wantStatus: 401},
		{name: "bearer scheme", headers: []string{"Bearer abc"}, wantCode: oautherr.CodeInvalidClient},
		{name: "bad base64", headers: []string{"Basic !!!"}, wantCode: oautherr.CodeInvalidClient},
		{name: "no colon", headers: []string{"Basic " + base64.StdEncoding.EncodeToString([]byte("svc"))}, wantCode: oautherr.CodeInvalidClient},
		{name: "empty id", headers: []string{basic("", hardSecret)}, wantCode: oautherr.CodeInvalidClient},
		{name: "basic and post secret", headers: []string{basic("svc", hardSecret)}, form: url.Values{"client_secret": {hardSecret}}, wantCode: oautherr.CodeInvalidRequest, wantStatus: 400},
		{name: "basic and other form client_id", headers: []string{basic("svc", hardSecret)}, form: url.Values{"client_id": {"docs"}}, wantCode: oautherr.CodeInvalidRequest},
		{name: "two authorization headers", headers: []string{basic("svc", hardSecret), basic("svc", hardSecret)}, wantCode: oautherr.CodeInvalidRequest},
		{name: "store failure", form: url.Values{"client_id": {"broken"}, "client_secret": {"x"}}, wantCode: oautherr.CodeTemporarilyUnavailable, wantStatus: 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/token", nil)
			for _, h := range tt.headers {
				r.Header.Add("Authorization", h)
			}
			f := tt.form
			if f == nil {
				f = url.Values{}
			}
			c, err := auth.Authenticate(context.Background(), r, f, tt.confidentialOnly)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				if c.ID != tt.wantID {
					t.Fatalf("client = %q, want %q", c.ID, tt.wantID)
				}
				return
			}
			var e *oautherr.Error
			if !errors.As(err, &e) || e.Code != tt.wantCode {
				t.Fatalf("err = %v, want %s", err, tt.wantCode)
			}
			if tt.wantStatus != 0 && e.HTTPStatus() != tt.wantStatus {
				t.Errorf("status = %d, want %d", e.HTTPStatus(), tt.wantStatus)
			}
			if strings.Contains(e.Error(), hardSecret) {
				t.Errorf("error leaks the secret: %v", e)
			}
		})
	}
}

// fakeThrottle locks out the IDs in locked and records failures.
type fakeThrottle struct {
	locked map[string]bool
	failed []string
}

func (f *fakeThrottle) AllowClient(_ *http.Request, id string) error {
	if f.locked[id] {
		return oautherr.TooManyRequests(time.Minute)
	}
	return nil
}

func (f *fakeThrottle) ClientFailed(_ *http.Request, id string) { f.failed = append(f.failed, id) }

var _ Throttle = (*fakeThrottle)(nil)

func TestAuthenticateThrottled(t *testing.T) {
	clients := fakeClients{
		"svc":    {ID: "svc", SecretHash: secret.Hash(hardSecret)},
		"docs":   {ID: "docs"},
		"locked": {ID: "locked", SecretHash: secret.Hash(hardSecret)},
	}
	tests := []struct {
		name             string
		form             url.Values
		header           string
		confidentialOnly bool
		wantStatus       int // 0: success
		wantFailed       []string
	}{
		{name: "success is not counted", form: url.Values{"client_id": {"svc"}, "client_secret": {hardSecret}}},
		{name: "wrong secret is counted", form: url.Values{"client_id": {"svc"}, "client_secret": {"guess"}}, wantStatus: 401, wantFailed: []string{"svc"}},
		{name: "unknown client is counted", form: url.Values{"client_id": {"nobody"}, "client_secret": {"guess"}}, wantStatus: 401, wantFailed: []string{"nobody"}},
		{name: "wrong basic secret is counted", header: basic("svc", "guess"), wantStatus: 401, wantFailed: []string{"svc"}},
		{name: "public client where a confidential one is needed", form: url.Values{"client_id": {"docs"}}, confidentialOnly: true, wantStatus: 401, wantFailed: []string{"docs"}},
		{name: "locked out even with the right secret", form: url.Values{"client_id": {"locked"}, "client_secret": {hardSecret}}, wantStatus: 429},
		{name: "malformed request is not a guess", header: "Basic !!!", wantStatus: 401},
		{name: "store failure is not a guess", form: url.Values{"client_id": {"broken"}, "client_secret": {"x"}}, wantStatus: 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th := &fakeThrottle{locked: map[string]bool{"locked": true}}
			auth := New(clients, th, nil)
			r := httptest.NewRequest("POST", "/token", nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			f := tt.form
			if f == nil {
				f = url.Values{}
			}
			_, err := auth.Authenticate(context.Background(), r, f, tt.confidentialOnly)
			switch {
			case tt.wantStatus == 0 && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tt.wantStatus != 0:
				var e *oautherr.Error
				if !errors.As(err, &e) || e.HTTPStatus() != tt.wantStatus {
					t.Fatalf("err = %v, want status %d", err, tt.wantStatus)
				}
			}
			if !slices.Equal(th.failed, tt.wantFailed) {
				t.Errorf("failures recorded = %q, want %q", th.failed, tt.wantFailed)
			}
		})
	}
}

// FuzzExtract: any Authorization header and form either yield credentials
// with a non-empty ID or an OAuth error; never a panic.
func FuzzExtract(f *testing.F) {
	f.Add(basic("svc", hardSecret), "")
	f.Add("Basic Og==", "client_id=x")
	f.Add("basic "+base64.StdEncoding.EncodeToString([]byte("%zz:%zz")), "")
	f.Add("", "client_id=a&client_secret=b")
	f.Add("Bearer x", "")
	f.Fuzz(func(t *testing.T, header, body string) {
		r := httptest.NewRequest("POST", "/token", nil)
		if header != "" {
			r.Header.Set("Authorization", header)
		}
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		creds, err := Extract(r, form)
		if err != nil {
			var e *oautherr.Error
			if !errors.As(err, &e) {
				t.Fatalf("non-OAuth error %v", err)
			}
			return
		}
		if creds.ID == "" {
			t.Fatal("credentials without a client ID")
		}
	})
}
