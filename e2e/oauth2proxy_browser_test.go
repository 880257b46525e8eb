package e2e_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fastsafe/fastsafe/e2e/harness"
	"github.com/fastsafe/fastsafe/internal/logbuf"
)

// updateScreenshotsEnv, set to 1, makes TestOAuth2ProxyInBrowser write its
// screenshots of the sign-in and consent pages into docs/, for the README.
const updateScreenshotsEnv = "UPDATE_SCREENSHOTS"

// The sizes of the screenshots: a desktop window and a phone.
var screenSizes = []struct {
	suffix        string // of the file name
	width, height int64  // CSS pixels
	scale         float64
	mobile        bool
}{
	{"", 1024, 600, 1, false},
	{"-phone", 390, 844, 2, true},
}

// TestOAuth2ProxyInBrowser signs a person in to a relying party nobody on
// the project wrote: oauth2-proxy, configured as the compose demo's
// (deploy/oauth2-proxy/), in front of the resource server, with the demo
// data's client (--bootstrap-rp-*). Headless Chromium opens the protected
// API through oauth2-proxy and goes through the real sign-in and consent
// pages to the API's answer; then oauth2-proxy refreshes the access token
// with the refresh_token grant, and, signed out of oauth2-proxy but not of
// fastsafe, the person comes back without a page (single sign-on, consent
// remembered).
//
// With UPDATE_SCREENSHOTS=1 it writes the sign-in and consent pages, as
// shown here, at desktop and phone width, to docs/signin.png,
// docs/signin-phone.png, docs/consent.png and docs/consent-phone.png.
func TestOAuth2ProxyInBrowser(t *testing.T) {
	browser := findBrowser(t)
	proxyBin := buildOAuth2Proxy(t)
	root, err := harness.Root()
	if err != nil {
		t.Fatal(err)
	}

	// oauth2-proxy at localhost, as in the compose demo; the consent page
	// names it as where it sends people back to.
	rpAddr := harness.FreeAddr(t)
	if os.Getenv(updateScreenshotsEnv) == "1" {
		// The demo's very address, for the screenshots in the README.
		rpAddr = demoRPAddr(t)
	}
	_, rpPort, _ := net.SplitHostPort(rpAddr)
	rpURL := "http://localhost:" + rpPort
	const user, userPassword = "demo", "relying party demo password"
	const clientID, clientName = "search-demo", "Search demo (oauth2-proxy)"
	clientSecret := randomHex(t, 24)
	auth := harness.StartAuth(t, harness.AuthOptions{Env: map[string]string{
		"AUTH_BOOTSTRAP_USER":             user,
		"AUTH_BOOTSTRAP_PASSWORD":         userPassword,
		"AUTH_BOOTSTRAP_RP_CLIENT_ID":     clientID,
		"AUTH_BOOTSTRAP_RP_CLIENT_SECRET": clientSecret,
		"AUTH_BOOTSTRAP_RP_REDIRECT_URIS": rpURL + "/oauth2/callback",
		"AUTH_BOOTSTRAP_RP_CLIENT_NAME":   clientName,
	}})
	rs := harness.StartResource(t, auth, harness.ResourceOptions{})
	config := filepath.Join(root, "deploy", "oauth2-proxy")
	rp := harness.StartProcess(t, harness.ProcessOptions{
		Name: "oauth2-proxy",
		Bin:  proxyBin,
		Args: []string{"--config=" + filepath.Join(config, "oauth2-proxy.cfg"), "--alpha-config=" + filepath.Join(config, "alpha-config.yaml")},
		Env: map[string]string{
			"RP_BIND_ADDRESS":            rpAddr,
			"RP_ISSUER":                  auth.URL,
			"RP_TOKEN_URL":               auth.URL + "/token",
			"RP_JWKS_URL":                auth.URL + "/.well-known/jwks.json",
			"RP_CLIENT_ID":               clientID,
			"RP_CLIENT_SECRET":           clientSecret,
			"RP_UPSTREAM":                rs.URL,
			"OAUTH2_PROXY_REDIRECT_URL":  rpURL + "/oauth2/callback",
			"OAUTH2_PROXY_COOKIE_SECRET": randomHex(t, 16),
			"OAUTH2_PROXY_COOKIE_SECURE": "false",
			// Refresh the access token at the first request two seconds
			// after signing in, rather than after 15 minutes.
			"OAUTH2_PROXY_COOKIE_REFRESH": "1s",
		},
		Ready: rpURL + "/ping",
	})

	b := startBrowser(t, browser)
	ctx, cancel := context.WithTimeout(b.ctx, browserTimeout)
	defer cancel()

	b.do(ctx, "open the API through oauth2-proxy",
		chromedp.Navigate(rpURL+"/search?query=apple"),
		chromedp.WaitVisible(chromedp.ID("username")),
	)
	signIn, err := url.Parse(b.run(ctx, "read the address of the sign-in page", chromedp.Location()))
	if err != nil {
		b.fail("the sign-in page's address: %v", err)
	}
	q := signIn.Query()
	if got := signIn.Scheme + "://" + signIn.Host + signIn.Path; got != auth.URL+"/authorize" ||
		q.Get("client_id") != clientID || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" {
		b.fail("oauth2-proxy sent the browser to %s, want %s/authorize with client_id %s, PKCE S256 and a nonce", signIn.Redacted(), auth.URL, clientID)
	}
	b.expectText(ctx, "the sign-in page", "Sign in", clientName)
	b.shoot(ctx, "signin")

	b.do(ctx, "sign in",
		chromedp.SendKeys(chromedp.ID("username"), user),
		chromedp.SendKeys(chromedp.ID("password"), userPassword),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`button[value="allow"]`)),
	)
	b.expectText(ctx, "the consent page", clientName+" wants to", "Know who you are", "Search on your behalf", "Signed in as "+user)
	b.shoot(ctx, "consent")

	b.do(ctx, "allow", chromedp.Click(chromedp.CSS(`button[value="allow"]`)))
	b.expectAnswer(ctx, rpURL+"/search?query=apple", "found apple in search")
	// oauth2-proxy called the API with the person's access token, issued
	// to its client.
	if !searched(t, rs.Logs, clientID, user) {
		b.fail("the resource server logged no search with %s's access token for %s:\n%s", clientID, user, rs.Logs)
	}

	// Two seconds later the session is due for a refresh: oauth2-proxy
	// counts its age in whole seconds, and refreshes it once that exceeds
	// OAUTH2_PROXY_COOKIE_REFRESH. It gets a new access token with the
	// refresh_token grant before it calls the API.
	time.Sleep(2100 * time.Millisecond)
	b.do(ctx, "search again", chromedp.Navigate(rpURL+"/search?query=pear"))
	b.expectAnswer(ctx, rpURL+"/search?query=pear", "pear not found in search")
	if logs := rp.Logs.String(); !strings.Contains(logs, "Refreshing session") || strings.Contains(logs, "Unable to refresh session") {
		b.fail("oauth2-proxy did not refresh the session:\n%s", logs)
	}

	// Signed out of oauth2-proxy, still signed in at fastsafe: back
	// without the sign-in page (single sign-on) and without the consent
	// page (remembered).
	b.do(ctx, "sign out of oauth2-proxy and come back",
		chromedp.Navigate(rpURL+"/oauth2/sign_out?rd="+url.QueryEscape("/search?query=kiwi")))
	b.expectAnswer(ctx, rpURL+"/search?query=kiwi", "kiwi not found in search")
	// Two authorization requests, one form of each kind.
	for _, r := range []struct {
		method, path string
		want         int
	}{{"GET", "/authorize", 2}, {"POST", "/login", 1}, {"POST", "/consent", 1}} {
		if got := countRequests(t, auth.Logs, r.method, r.path); got != r.want {
			b.fail("the auth server got %d %s %s, want %d: the second sign-in shows no page", got, r.method, r.path, r.want)
		}
	}
}

// demoRPAddr returns the address oauth2-proxy has in the compose demo,
// 127.0.0.1:4180, failing the test if it is in use.
func demoRPAddr(t *testing.T) string {
	t.Helper()
	const addr = "127.0.0.1:4180"
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("%s=1 runs oauth2-proxy on %s, which is in use (the compose demo? make down): %v", updateScreenshotsEnv, addr, err)
	}
	_ = ln.Close()
	return addr
}

// buildOAuth2Proxy builds oauth2-proxy with the script the images use,
// into a directory of the user's cache that later runs reuse, and returns
// its path. Without the Go module proxy or a module cache that holds it,
// the test is skipped, unless the environment requires browser tests.
func buildOAuth2Proxy(t *testing.T) string {
	t.Helper()
	root, err := harness.Root()
	if err != nil {
		t.Fatal(err)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "fastsafe-e2e", "oauth2-proxy")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "deploy", "scripts", "build-oauth2-proxy.sh"), dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		msg := "building oauth2-proxy: " + err.Error() + "\n" + string(out)
		if os.Getenv(requireBrowserEnv) == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return filepath.Join(dir, "oauth2-proxy")
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// searched reports whether the resource server answered a search with a
// token of clientID for sub.
func searched(t *testing.T, logs *logbuf.Buffer, clientID, sub string) bool {
	t.Helper()
	recs, err := logs.Records()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r["msg"] == "request" && r["path"] == "/search" && r["status"] == float64(200) && r["client_id"] == clientID && r["sub"] == sub {
			return true
		}
	}
	return false
}

// countRequests counts the requests with method to path that a server
// logged.
func countRequests(t *testing.T, logs *logbuf.Buffer, method, path string) int {
	t.Helper()
	recs, err := logs.Records()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range recs {
		if r["msg"] == "request" && r["method"] == method && r["path"] == path {
			n++
		}
	}
	return n
}

// expectText fails unless the page's text has each of want.
func (b *browserTab) expectText(ctx context.Context, what string, want ...string) {
	b.t.Helper()
	text := b.run(ctx, "read "+what, chromedp.Evaluate[string](`document.body.innerText`))
	for _, w := range want {
		if !strings.Contains(text, w) {
			b.fail("%s does not say %q:\n%s", what, w, text)
		}
	}
}

// expectAnswer waits until the tab shows address with the API's answer
// message. It asks again and again, as the tab may be going through
// redirects, during which a page cannot be asked anything.
func (b *browserTab) expectAnswer(ctx context.Context, address, message string) {
	b.t.Helper()
	want := `{"message":"` + message + `"}`
	shows := `location.href === ` + jsString(address) + ` && document.body.innerText.trim() === ` + jsString(want)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](shows))
		if err == nil && ok {
			return
		}
		select {
		case <-ctx.Done():
			b.fail("the tab does not show %s at %s: %v (last error: %v)", want, address, ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// jsString writes s as a JavaScript string literal.
func jsString(s string) string {
	j, _ := json.Marshal(s) // a string always encodes
	return string(j)
}

// shoot takes a screenshot of the page at each of screenSizes, and leaves
// the tab at the first. With UPDATE_SCREENSHOTS=1 the files go to docs/,
// else to the test's artifact directory.
func (b *browserTab) shoot(ctx context.Context, name string) {
	b.t.Helper()
	dir := b.t.ArtifactDir()
	if os.Getenv(updateScreenshotsEnv) == "1" {
		root, err := harness.Root()
		if err != nil {
			b.t.Fatal(err)
		}
		dir = filepath.Join(root, "docs")
	}
	for _, size := range screenSizes {
		opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(size.scale), chromedp.EmulatePortrait}
		if size.mobile {
			opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
		}
		b.do(ctx, "resize the page for "+name+size.suffix,
			chromedp.EmulateViewport(size.width, size.height, opts...),
			// Two frames, so that the page is laid out at the new size.
			chromedp.Evaluate[chromedp.Void](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))`, chromedp.EvalAwaitPromise),
		)
		png := b.runBytes(ctx, "screenshot "+name+size.suffix, chromedp.CaptureScreenshot())
		path := filepath.Join(dir, name+size.suffix+".png")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			b.t.Fatal(err)
		}
		b.t.Logf("screenshot: %s", path)
	}
	first := screenSizes[0]
	b.do(ctx, "resize the page back", chromedp.EmulateViewport(first.width, first.height, chromedp.EmulatePortrait))
}

// runBytes runs an action that reads bytes, failing the test if it fails.
func (b *browserTab) runBytes(ctx context.Context, step string, action chromedp.Action[[]byte]) []byte {
	b.t.Helper()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		b.fail("%s: %v", step, err)
	}
	return v
}
