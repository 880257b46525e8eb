package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/fastsafe/fastsafe/e2e/bench"
)

// The sign-in flow: a person's browser at the authorization server's
// pages, signing in with a password to a first-party public client (no
// consent page), and the client redeeming the code with PKCE. It runs
// when -signin-client names a client registered with
// "authserver clients add NAME --public --grants authorization_code
// --redirect-uris URI --skip-consent" and -signin-redirect that URI.

// signIn is one whole flow with a fresh cookie jar, so that every flow
// signs in with the password (one bcrypt compare): GET /authorize, which
// shows the sign-in form and sets the CSRF cookie; the form POSTed to
// /login with its hidden fields, which redirects to the client with a
// code; the code redeemed at /token with its PKCE verifier.
func (e *env) signIn(ctx context.Context, c *http.Client) error {
	browser, err := bench.WithCookies(c)
	if err != nil {
		return err
	}
	verifier := rand.Text() + rand.Text()
	sum := sha256.Sum256([]byte(verifier))
	state := rand.Text()
	authorize := e.o.auth + "/authorize?" + url.Values{
		"response_type": {"code"}, "client_id": {e.o.signinClient}, "redirect_uri": {e.o.signinRedirect},
		"scope": {"search"}, "state": {state}, "code_challenge_method": {"S256"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])},
	}.Encode()
	page, err := fetch(ctx, browser, http.MethodGet, authorize, nil, http.StatusOK)
	if err != nil {
		return err
	}
	action, form, err := bench.PageForm(string(page))
	if err != nil {
		return err
	}
	form.Set("username", e.o.username)
	form.Set("password", e.o.password)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, action, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.o.auth)
	resp, err := browser.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode/100 != 3 || !strings.HasPrefix(back.String(), e.o.signinRedirect) ||
		back.Query().Get("state") != state || back.Query().Get("code") == "" {
		return fmt.Errorf("sign-in: answered %d, redirected to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	body, err := fetch(ctx, c, http.MethodPost, e.o.auth+"/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {back.Query().Get("code")}, "redirect_uri": {e.o.signinRedirect},
		"client_id": {e.o.signinClient}, "code_verifier": {verifier},
	}, http.StatusOK)
	if err != nil {
		return err
	}
	if _, err := accessToken(bytes.NewReader(body)); err != nil {
		return fmt.Errorf("sign-in: %w", err)
	}
	return nil
}

// fetch sends a GET, or a POST of form, and returns the body of an answer
// with status want.
func fetch(ctx context.Context, c *http.Client, method, u string, form url.Values, want int) ([]byte, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		return nil, fmt.Errorf("%s %s: answered %d, want %d", method, strings.SplitN(u, "?", 2)[0], resp.StatusCode, want)
	}
	return b, nil
}

// signInTarget is the flow as a load target on the authorization server.
func (e *env) signInTarget() bench.Target {
	return bench.Target{Name: "sign-in flow (authorize, login form, code, token with PKCE)", URL: e.o.auth + "/authorize",
		CPU: e.cpuOf(e.o.auth), Do: e.signIn}
}
