package e2e_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/fastsafe/fastsafe/e2e/harness"
	"github.com/fastsafe/fastsafe/internal/logbuf"
)

// requireBrowserEnv, set to 1, turns a missing browser from a skip into a
// failure; CI sets it, so the docs page is always tested there.
const requireBrowserEnv = "FASTSAFE_REQUIRE_BROWSER"

// browserNames are the executables tried, in order, for headless Chromium.
var browserNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// browserTimeout bounds the whole walk through the page, so a page that
// never shows the result fails the test instead of hanging it.
const browserTimeout = 2 * time.Minute

// The elements of the Swagger UI page the test uses.
const (
	authorizeButton  = `.auth-wrapper > button.authorize`
	authorizedButton = `.auth-wrapper > button.authorize.locked`
	codeFlow         = `.auth-container:has(#client_id_authorizationCode)`
	passwordFlow     = `.auth-container:has(#oauth_username)`
	searchOperation  = `#operations-search-search`
	queryInput       = searchOperation + ` tr[data-param-name="query"] input:enabled`
	liveResponse     = searchOperation + ` .live-responses-table tr.response`
)

// TestDocsPageInBrowser opens the resource server's Swagger UI page in
// headless Chromium and gets a token with each of the page's flows for
// people, then runs GET /search?query=apple from the page and reads the
// answer on it:
//
//   - the authorization code flow, the first of the Authorize dialog:
//     the page opens the auth server's sign-in page in a window, the test
//     signs in there, the consent page is skipped (the docs client is
//     first-party), the auth server sends the window back to
//     /docs/oauth2-redirect.html, which hands the code to the page, and
//     the page exchanges it at /token with its PKCE verifier;
//   - the password flow, on the page loaded again (it keeps no token).
//
// Both token requests are cross-origin calls that the auth server's CORS
// allows.
func TestDocsPageInBrowser(t *testing.T) {
	browser := findBrowser(t)

	// The auth server must know the page's origin when it starts, and
	// the harness picks the resource server's port only when it starts
	// it. So the page is served through a front on loopback that listens
	// already: a plain reverse proxy, as a deployment may put in front of
	// the resource server, whose URL is the resource server's public URL.
	front, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = front.Close() }) // if the test ends before it serves
	origin := "http://" + front.Addr().String()

	auth := harness.StartAuth(t, harness.AuthOptions{Env: map[string]string{"AUTH_CORS_ORIGINS": origin}})
	const user, userPassword = "tester", "docs page password 1"
	auth.AddUser(user, userPassword, "search")
	// The client the demo data registers (--bootstrap-docs-redirect-uris).
	auth.AddClient("docs", "--public", "--grants", "authorization_code,password,refresh_token", "--scopes", "search",
		"--audience", "search-api", "--redirect-uris", origin+"/docs/oauth2-redirect.html", "--skip-consent",
		"--name", "API documentation")
	rs := harness.StartResource(t, auth, harness.ResourceOptions{Env: map[string]string{"RS_PUBLIC_URL": origin}})
	serveThrough(t, front, rs.URL)

	b := startBrowser(t, browser)
	ctx, cancel := context.WithTimeout(b.ctx, browserTimeout)
	defer cancel()

	// The authorization code flow.
	tokenRequest := watchRequest(ctx, auth.URL+"/token", http.MethodPost)
	b.do(ctx, "open /docs", chromedp.Navigate(origin+"/docs"))
	b.openAuthorizeDialog(ctx, "client_id_authorizationCode")
	signIn := chromedp.WaitNewTarget(ctx, func(info *target.Info) bool {
		return strings.HasPrefix(info.URL, auth.URL+"/authorize?")
	})
	b.do(ctx, "authorize with the authorization code flow",
		chromedp.Click(chromedp.CSS(codeFlow+` .auth-btn-wrapper button.authorize`)))
	var window target.ID
	select {
	case window = <-signIn:
	case <-ctx.Done():
		b.fail("the page opened no window at the auth server's /authorize: %v", ctx.Err())
	}
	signInTab := b.tab(window)
	signInCtx, cancelSignIn := signInTab.within(ctx)
	defer cancelSignIn()
	signInTab.do(signInCtx, "sign in on the auth server's page",
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), user),
		chromedp.SendKeys(chromedp.ID("password"), userPassword),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
	)
	// Authorized, or the dialog shows why not (an error from the auth
	// server, a refused token request, a CORS failure).
	if got := b.poll(ctx, "wait for the token", `document.querySelector('`+authorizedButton+`') ? "authorized" :
		(document.querySelector('`+codeFlow+` .errors')?.innerText ?? "")`); got != "authorized" {
		b.fail("the authorization code flow failed; the dialog says: %s", got)
	}
	form := b.received(ctx, tokenRequest, "the token request")
	if got := form.Get("grant_type"); got != "authorization_code" || form.Get("client_id") != "docs" ||
		form.Get("code_verifier") == "" || form.Get("redirect_uri") != origin+"/docs/oauth2-redirect.html" {
		b.fail("the page's token request has grant_type %q, client_id %q, redirect_uri %q and a code_verifier of %d characters; "+
			"want authorization_code, docs, the page's redirect URI and PKCE", got, form.Get("client_id"), form.Get("redirect_uri"), len(form.Get("code_verifier")))
	}
	b.closeAuthorizeDialog(ctx)
	b.searchApple(ctx)

	// The password flow, on the page loaded again: it forgot the token.
	b.do(ctx, "open /docs again", chromedp.Navigate(origin+"/docs"))
	b.openAuthorizeDialog(ctx, "client_id_password")
	b.do(ctx, "authorize with the password flow",
		chromedp.SendKeys(chromedp.ID("oauth_username"), user),
		chromedp.SendKeys(chromedp.ID("oauth_password"), userPassword),
		chromedp.Click(chromedp.CSS(passwordFlow+` .auth-btn-wrapper button.authorize`)),
	)
	if got := b.poll(ctx, "wait for the token", `document.querySelector('`+authorizedButton+`') ? "authorized" :
		(document.querySelector('`+passwordFlow+` .errors')?.innerText ?? "")`); got != "authorized" {
		b.fail("the password flow failed; the dialog says: %s", got)
	}
	b.closeAuthorizeDialog(ctx)
	b.searchApple(ctx)

	// The page as it ends, kept when the test runs with -artifacts.
	b.screenshot("docs-search-result.png")
}

// openAuthorizeDialog opens Swagger UI's Authorize dialog and checks that
// the flow whose client_id input has the id clientIDInput is there with
// the docs client, which the page's initOAuth names.
func (b *browserTab) openAuthorizeDialog(ctx context.Context, clientIDInput string) {
	b.t.Helper()
	b.do(ctx, "open the Authorize dialog",
		chromedp.WaitVisible(chromedp.CSS(authorizeButton)),
		chromedp.Click(chromedp.CSS(authorizeButton)),
		chromedp.WaitVisible(chromedp.ID(clientIDInput)),
	)
	if clientID := b.run(ctx, "read the client_id", chromedp.Value(chromedp.ID(clientIDInput))); clientID != "docs" {
		b.fail("the flow's client_id (#%s) is %q, want %q from the page's initOAuth", clientIDInput, clientID, "docs")
	}
}

func (b *browserTab) closeAuthorizeDialog(ctx context.Context) {
	b.t.Helper()
	b.do(ctx, "close the Authorize dialog",
		chromedp.Evaluate[chromedp.Void](`document.querySelector(".modal-ux button.close-modal").click()`),
		chromedp.WaitNotPresent(chromedp.CSS(`.modal-ux`)),
	)
}

// searchApple runs GET /search?query=apple from the page, authorized
// already, and expects the answer, and a bearer token on the request.
func (b *browserTab) searchApple(ctx context.Context) {
	b.t.Helper()
	search := watchRequest(ctx, "/search", http.MethodGet)
	b.do(ctx, "try GET /search",
		chromedp.Click(chromedp.CSS(searchOperation+` .opblock-summary`)),
		chromedp.WaitVisible(chromedp.CSS(searchOperation+` .try-out__btn`)),
		chromedp.Click(chromedp.CSS(searchOperation+` .try-out__btn`)),
		// The input is disabled until "Try it out" takes effect.
		chromedp.WaitVisible(chromedp.CSS(queryInput)),
		chromedp.SendKeys(chromedp.CSS(queryInput), "apple"),
		// Leaving the input hands its value to the page before Execute runs.
		chromedp.Click(chromedp.CSS(searchOperation+` .execute`)),
	)
	// The response, or the page's reason not to send the request.
	if got := b.poll(ctx, "wait for the response", `document.querySelector('`+liveResponse+`') ? "response" :
		(document.querySelector('`+searchOperation+` .validation-errors')?.innerText ?? "")`); got != "response" {
		b.fail("the page sent no request: %s", got)
	}
	status := strings.TrimSpace(b.run(ctx, "read the status", chromedp.Text(chromedp.CSS(liveResponse+` .response-col_status`))))
	body := b.run(ctx, "read the response", chromedp.Text(chromedp.CSS(liveResponse+` .response-col_description`)))
	if status != "200" || !strings.Contains(body, "found apple in search") {
		b.fail("the page shows status %s, want 200 and found apple in search:\n%s", status, blankJWTs(body))
	}
	select {
	case req := <-search:
		h := browserRequestHeader(req.Headers, "Authorization")
		scheme, token, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || token == "" {
			b.fail("the page sent GET /search with Authorization %q, want a bearer token", blankJWTs(h))
		}
	case <-ctx.Done():
		b.fail("no GET /search request of the page was seen: %v", ctx.Err())
	}
}

// watchRequest reports the first request of the tab with method to a URL
// that starts with prefix, or whose path is prefix when prefix is a path.
// It subscribes before it returns.
func watchRequest(ctx context.Context, prefix, method string) <-chan *network.Request {
	seen := make(chan *network.Request, 1)
	requests := chromedp.Events(ctx, network.RequestWillBeSent)
	go func() {
		for ev, err := range requests {
			if err != nil {
				return
			}
			u, err := url.Parse(ev.Request.URL)
			if err != nil || ev.Request.Method != method {
				continue
			}
			if strings.HasPrefix(ev.Request.URL, prefix) || u.Path == prefix {
				seen <- ev.Request
				return
			}
		}
	}()
	return seen
}

// received waits for the request and returns its form body.
func (b *browserTab) received(ctx context.Context, request <-chan *network.Request, what string) url.Values {
	b.t.Helper()
	select {
	case req := <-request:
		var body []byte
		for _, e := range req.PostDataEntries {
			body = append(body, e.Bytes...)
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			b.fail("%s has a body that is no form: %v", what, err)
		}
		return form
	case <-ctx.Done():
		b.fail("%s was not seen: %v", what, ctx.Err())
	}
	return nil
}

// findBrowser returns the path of a Chromium executable. Without one the
// test is skipped, unless the environment requires a browser.
func findBrowser(t *testing.T) string {
	t.Helper()
	for _, name := range browserNames {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("no browser found (tried %s); install Debian's chromium package", strings.Join(browserNames, ", "))
	if os.Getenv(requireBrowserEnv) == "1" {
		t.Fatalf("%s, or unset %s", msg, requireBrowserEnv)
	}
	t.Skip(msg)
	return ""
}

// serveThrough serves on ln everything that backend serves, unchanged.
func serveThrough(t *testing.T, ln net.Listener, backend string) {
	t.Helper()
	target, err := url.Parse(backend)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(&httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(target) },
	})
	_ = srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
}

// browserTab is one tab of a headless Chromium that the test drives. On
// a failed step it leaves a full-page screenshot and the page's text for
// whoever reads the failure.
type browserTab struct {
	t      *testing.T
	ctx    context.Context // the tab; lives until the test ends
	name   string          // of the tab, in the names of its screenshots
	output *logbuf.Buffer  // the browser's own output
	events *logbuf.Buffer  // the pages' console, log entries and exceptions
	tabs   *[]*browserTab  // every tab the test drives, this one among them
}

// startBrowser starts headless Chromium with a fresh profile and opens a
// tab. The browser stops, and its profile goes, when the test ends.
func startBrowser(t *testing.T, execPath string) *browserTab {
	t.Helper()
	b := &browserTab{t: t, name: "page", output: &logbuf.Buffer{}, events: &logbuf.Buffer{}, tabs: new([]*browserTab)}
	*b.tabs = append(*b.tabs, b)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.Headless,
		chromedp.NoSandbox, // CI runs as root, where the sandbox cannot start
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1024),
		chromedp.CombinedOutput(b.output),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc) // waits for the browser to exit
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	b.ctx = ctx
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v\n%s", execPath, err, b.output)
	}
	b.collectEvents()
	return b
}

// within returns a context of b's tab that ends when ctx does.
func (b *browserTab) within(ctx context.Context) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok {
		return context.WithDeadline(b.ctx, d)
	}
	return context.WithCancel(b.ctx)
}

// collectEvents writes the tab's console, log entries and exceptions to
// b.events, from now on.
func (b *browserTab) collectEvents() {
	ctx := b.ctx
	collectPageEvents(ctx, b.events, log.EntryAdded, func(ev log.EventEntryAdded) string {
		return fmt.Sprintf("log %s %s: %s %s", ev.Entry.Source, ev.Entry.Level, ev.Entry.Text, ev.Entry.URL)
	})
	collectPageEvents(ctx, b.events, runtime.ConsoleAPICalled, func(ev runtime.EventConsoleAPICalled) string {
		var args []string
		for _, a := range ev.Args {
			if a.Description != "" {
				args = append(args, a.Description)
			} else {
				args = append(args, string(a.Value))
			}
		}
		return fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " "))
	})
	collectPageEvents(ctx, b.events, runtime.ExceptionThrown, func(ev runtime.EventExceptionThrown) string {
		d := ev.ExceptionDetails
		if d.Exception != nil && d.Exception.Description != "" {
			return "exception: " + d.Exception.Description
		}
		return "exception: " + d.Text
	})
}

// tab returns the tab of the browser's target id, such as a window the
// page opened. It shares the browser's output and the pages' events.
func (b *browserTab) tab(id target.ID) *browserTab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithTargetID(id))
	b.t.Cleanup(cancel)
	tab := &browserTab{t: b.t, ctx: ctx, name: fmt.Sprintf("window-%d", len(*b.tabs)), output: b.output, events: b.events, tabs: b.tabs}
	*b.tabs = append(*b.tabs, tab)
	if err := chromedp.Do(ctx); err != nil {
		b.fail("attach to the new window: %v", err)
	}
	tab.collectEvents()
	return tab
}

// collectPageEvents writes a line for each event of the tab until the tab
// closes. It subscribes before it returns, so no event of a later step is
// missed.
func collectPageEvents[E any](ctx context.Context, w *logbuf.Buffer, ev cdp.Event[E], line func(E) string) {
	events := chromedp.Events(ctx, ev)
	go func() {
		for e, err := range events {
			if err != nil {
				return
			}
			fmt.Fprintln(w, line(e))
		}
	}()
}

// do runs the step's actions, failing the test if one fails.
func (b *browserTab) do(ctx context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fail("%s: %v", step, err)
	}
}

// run runs an action that reads a string, failing the test if it fails.
func (b *browserTab) run(ctx context.Context, step string, action chromedp.Action[string]) string {
	b.t.Helper()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		b.fail("%s: %v", step, err)
	}
	return v
}

// poll waits, as long as ctx lets it, until the JavaScript expression is
// truthy, and returns its value as text.
func (b *browserTab) poll(ctx context.Context, step, expression string) string {
	b.t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Poll[any](expression, chromedp.WithPollingTimeout(0)))
	if err != nil {
		b.fail("%s: %v", step, err)
	}
	return fmt.Sprint(v)
}

// fail saves a screenshot of every tab, logs their text and what the
// pages and the browser reported, and fails the test.
func (b *browserTab) fail(format string, args ...any) {
	b.t.Helper()
	b.t.Errorf(format, args...)
	for _, tab := range *b.tabs {
		if path := tab.screenshot(tab.name + "-failure.png"); path != "" {
			b.t.Logf("screenshot of the %s: %s (kept with go test -artifacts)", tab.name, path)
		}
		ctx, cancel := context.WithTimeout(tab.ctx, 10*time.Second)
		text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + (document.body ? document.body.innerText : "")`))
		cancel()
		if err != nil {
			text = "(unreadable: " + err.Error() + ")"
		}
		b.t.Logf("address and text of the %s:\n%s", tab.name, blankJWTs(text))
	}
	b.t.Logf("console and log of the pages:\n%s", blankJWTs(b.events.String()))
	b.t.Logf("output of the browser, without its D-Bus complaints:\n%s", withoutDBus(b.output.String()))
	b.t.FailNow()
}

// screenshot writes a full-page PNG, with the tokens on the page blanked,
// into the test's artifact directory and returns its path, or "" if it
// could not.
func (b *browserTab) screenshot(name string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	const blankTokens = `(() => {
		const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
		for (let n = w.nextNode(); n; n = w.nextNode()) {
			n.nodeValue = n.nodeValue.replace(/` + jwtPattern + `/g, "[token]");
		}
	})()`
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](blankTokens)); err != nil {
		b.t.Logf("no screenshot: %v", err)
		return ""
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("no screenshot: %v", err)
		return ""
	}
	path := filepath.Join(b.t.ArtifactDir(), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Logf("no screenshot: %v", err)
		return ""
	}
	return path
}

// jwtPattern matches a compact JWS, as access tokens are.
const jwtPattern = `eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`

var jwtInPage = regexp.MustCompile(jwtPattern)

// blankJWTs blanks the tokens in s, so that no log holds one.
func blankJWTs(s string) string {
	return jwtInPage.ReplaceAllString(s, "[token]")
}

// browserRequestHeader returns the value of the header name, in any case,
// from the headers of a request the browser reported.
func browserRequestHeader(h network.Headers, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			if s, ok := v.(string); ok {
				return s
			}
		}
	}
	return ""
}

// withoutDBus drops the browser's complaints about a missing D-Bus, which
// every headless run on a server prints and which bury the useful lines.
func withoutDBus(output string) string {
	var kept []string
	for line := range strings.Lines(output) {
		if !strings.Contains(line, "dbus") {
			kept = append(kept, line)
		}
	}
	return strings.Join(kept, "")
}
