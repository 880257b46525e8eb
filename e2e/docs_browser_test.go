package e2e_test

import (
	"context"
	"fmt"
	"net"
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
	passwordFlow     = `.auth-container:has(#oauth_username)`
	searchOperation  = `#operations-search-search`
	queryInput       = searchOperation + ` tr[data-param-name="query"] input:enabled`
	liveResponse     = searchOperation + ` .live-responses-table tr.response`
)

// TestDocsPageInBrowser opens the resource server's Swagger UI page in
// headless Chromium, gets a token from the auth server with the page's
// password flow (a cross-origin call that the auth server's CORS allows),
// runs GET /search?query=apple from the page, and reads the answer on it.
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
	auth.AddClient("docs", "--public", "--grants", "password,refresh_token", "--scopes", "search", "--audience", "search-api")
	rs := harness.StartResource(t, auth, harness.ResourceOptions{Env: map[string]string{"RS_PUBLIC_URL": origin}})
	serveThrough(t, front, rs.URL)

	b := startBrowser(t, browser)
	ctx, cancel := context.WithTimeout(b.ctx, browserTimeout)
	defer cancel()

	// Every request of the page is seen here; the first one to /search
	// tells which Authorization header the page sent.
	searchAuthorization := make(chan string, 1)
	requests := chromedp.Events(ctx, network.RequestWillBeSent)
	go func() {
		for ev, err := range requests {
			if err != nil {
				return
			}
			u, err := url.Parse(ev.Request.URL)
			if err != nil || u.Path != "/search" {
				continue
			}
			searchAuthorization <- browserRequestHeader(ev.Request.Headers, "Authorization")
			return
		}
	}()

	b.do(ctx, "open /docs", chromedp.Navigate(origin+"/docs"))
	b.do(ctx, "open the Authorize dialog",
		chromedp.WaitVisible(chromedp.CSS(authorizeButton)),
		chromedp.Click(chromedp.CSS(authorizeButton)),
		chromedp.WaitVisible(chromedp.ID("oauth_username")),
	)
	clientID := b.run(ctx, "read the client_id", chromedp.Value(chromedp.ID("client_id_password")))
	if clientID != "docs" {
		b.fail("the password flow's client_id is %q, want %q from the page's initOAuth", clientID, "docs")
	}
	b.do(ctx, "authorize with the password flow",
		chromedp.SendKeys(chromedp.ID("oauth_username"), user),
		chromedp.SendKeys(chromedp.ID("oauth_password"), userPassword),
		chromedp.Click(chromedp.CSS(passwordFlow+` .auth-btn-wrapper button.authorize`)),
	)
	// Authorized, or the dialog shows why not (a refused token request,
	// a CORS failure): either ends the wait.
	if got := b.poll(ctx, "wait for the token", `document.querySelector('`+authorizedButton+`') ? "authorized" :
		(document.querySelector('`+passwordFlow+` .errors')?.innerText ?? "")`); got != "authorized" {
		b.fail("the password flow failed; the dialog says: %s", got)
	}
	b.do(ctx, "close the Authorize dialog",
		chromedp.Evaluate[chromedp.Void](`document.querySelector(".modal-ux button.close-modal").click()`),
		chromedp.WaitNotPresent(chromedp.CSS(`.modal-ux`)),
	)
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
	case h := <-searchAuthorization:
		scheme, token, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || token == "" {
			b.fail("the page sent GET /search with Authorization %q, want a bearer token", blankJWTs(h))
		}
	case <-ctx.Done():
		b.fail("no GET /search request of the page was seen: %v", ctx.Err())
	}

	// The page as it ends, kept when the test runs with -artifacts.
	b.screenshot("docs-search-result.png")
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
	output *logbuf.Buffer  // the browser's own output
	events *logbuf.Buffer  // the page's console, log entries and exceptions
}

// startBrowser starts headless Chromium with a fresh profile and opens a
// tab. The browser stops, and its profile goes, when the test ends.
func startBrowser(t *testing.T, execPath string) *browserTab {
	t.Helper()
	b := &browserTab{t: t, output: &logbuf.Buffer{}, events: &logbuf.Buffer{}}
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
	return b
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

// fail saves a screenshot of the page, logs the page's text and what the
// page and the browser reported, and fails the test.
func (b *browserTab) fail(format string, args ...any) {
	b.t.Helper()
	b.t.Errorf(format, args...)
	path := b.screenshot("docs-page-failure.png")
	if path != "" {
		b.t.Logf("screenshot of the page: %s (kept with go test -artifacts)", path)
	}
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if err != nil {
		text = "(unreadable: " + err.Error() + ")"
	}
	b.t.Logf("text of the page:\n%s", blankJWTs(text))
	b.t.Logf("console and log of the page:\n%s", blankJWTs(b.events.String()))
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
