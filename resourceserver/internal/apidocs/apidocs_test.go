package apidocs

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

var testScopes = map[string]string{"search": "Search the API"}

func TestOpenAPIIsConsistent(t *testing.T) {
	raw, err := OpenAPI(validOpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
		Paths   map[string]map[string]struct {
			OperationID string                `json:"operationId"`
			Security    []map[string][]string `json:"security"`
			Responses   map[string]any        `json:"responses"`
		} `json:"paths"`
		Components struct {
			Schemas         map[string]any `json:"schemas"`
			SecuritySchemes map[string]struct {
				Type  string `json:"type"`
				Flows map[string]struct {
					AuthorizationURL string            `json:"authorizationUrl"`
					TokenURL         string            `json:"tokenUrl"`
					Scopes           map[string]string `json:"scopes"`
				} `json:"flows"`
			} `json:"securitySchemes"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.0.") {
		t.Errorf("openapi %q", doc.OpenAPI)
	}

	scheme, ok := doc.Components.SecuritySchemes[SecurityScheme]
	if !ok || scheme.Type != "oauth2" {
		t.Fatalf("no oauth2 scheme %q: %+v", SecurityScheme, doc.Components.SecuritySchemes)
	}
	flows := []string{"authorizationCode", "password", "clientCredentials"}
	for _, flow := range flows {
		f, ok := scheme.Flows[flow]
		if !ok || f.TokenURL != "https://auth.example.com/token" || f.Scopes["search"] == "" {
			t.Errorf("flow %s: %+v", flow, f)
		}
		wantAuthorization := ""
		if flow == "authorizationCode" {
			wantAuthorization = "https://auth.example.com/authorize"
		}
		if f.AuthorizationURL != wantAuthorization {
			t.Errorf("flow %s: authorizationUrl %q, want %q", flow, f.AuthorizationURL, wantAuthorization)
		}
	}
	// Swagger UI shows the flows in the order of the document: signing in
	// on the authorization server's page first, the password flow second.
	at := func(flow string) int { return strings.Index(string(raw), `"`+flow+`": {`) }
	if !(at(flows[0]) < at(flows[1]) && at(flows[1]) < at(flows[2])) {
		t.Errorf("flows at offsets %d, %d, %d; want the order %v", at(flows[0]), at(flows[1]), at(flows[2]), flows)
	}

	ids := map[string]bool{}
	secured := 0
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if op.OperationID == "" || ids[op.OperationID] {
				t.Errorf("%s %s: missing or repeated operationId %q", method, path, op.OperationID)
			}
			ids[op.OperationID] = true
			if len(op.Responses) == 0 {
				t.Errorf("%s %s has no responses", method, path)
			}
			for _, req := range op.Security {
				for name, scopes := range req {
					secured++
					s, ok := doc.Components.SecuritySchemes[name]
					if !ok {
						t.Errorf("%s %s: undefined security scheme %q", method, path, name)
					}
					for _, sc := range scopes {
						for fname, f := range s.Flows {
							if _, ok := f.Scopes[sc]; !ok {
								t.Errorf("%s %s: scope %q not in flow %s", method, path, sc, fname)
							}
						}
					}
				}
			}
		}
	}
	if secured != 1 || doc.Paths["/search"]["get"].Security == nil {
		t.Errorf("want exactly GET /search secured, found %d security requirements", secured)
	}

	// Every $ref points at a schema that exists.
	for _, ref := range strings.Split(string(raw), `"$ref": "#/components/schemas/`)[1:] {
		name := ref[:strings.IndexByte(ref, '"')]
		if _, ok := doc.Components.Schemas[name]; !ok {
			t.Errorf("dangling $ref to %q", name)
		}
	}
}

func validOpenAPI() OpenAPIOptions {
	return OpenAPIOptions{AuthorizationURL: "https://auth.example.com/authorize", TokenURL: "https://auth.example.com/token",
		Scopes: testScopes, SearchScope: "search"}
}

func TestOpenAPIRefusesIncompleteOptions(t *testing.T) {
	tests := []struct {
		name   string
		change func(*OpenAPIOptions)
	}{
		{"no token URL", func(o *OpenAPIOptions) { o.TokenURL = "" }},
		{"no authorization URL", func(o *OpenAPIOptions) { o.AuthorizationURL = "" }},
		{"unknown search scope", func(o *OpenAPIOptions) { o.SearchScope = "find" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := validOpenAPI()
			tt.change(&o)
			if _, err := OpenAPI(o); err == nil {
				t.Error("no error")
			}
		})
	}
}

func validUI() UIOptions {
	return UIOptions{SpecURL: "openapi.json", AssetBase: "docs/", ClientID: "docs",
		RedirectURL: "https://api.example.com/docs/" + RedirectPageName,
		Scopes:      []string{"search"}, TokenURL: "https://auth.example.com:8443/oauth/token"}
}

func TestSwaggerUIRefusesBadOptions(t *testing.T) {
	tests := []struct {
		name   string
		change func(*UIOptions)
	}{
		{"no spec", func(o *UIOptions) { o.SpecURL = "" }},
		{"no client", func(o *UIOptions) { o.ClientID = "" }},
		{"asset base without slash", func(o *UIOptions) { o.AssetBase = "docs" }},
		{"relative token URL", func(o *UIOptions) { o.TokenURL = "/token" }},
		{"relative redirect URL", func(o *UIOptions) { o.RedirectURL = "docs/" + RedirectPageName }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := validUI()
			tt.change(&o)
			if _, err := NewSwaggerUI(o); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestSwaggerUISettingsCannotBreakOutOfTheScript(t *testing.T) {
	o := validUI()
	o.ClientID = `x"});alert(1);</script><script>//`
	ui, err := NewSwaggerUI(o)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	ui.Initializer(rec, httptest.NewRequest("GET", "/docs/"+InitializerName, nil))
	js := rec.Body.String()
	if strings.Contains(js, `x"});`) || strings.Contains(js, "</script>") {
		t.Errorf("the client id escaped its string:\n%s", js)
	}
	if !strings.Contains(js, `"clientId":"x\"});alert(1);\u003c/script\u003e\u003cscript\u003e//"`) {
		t.Errorf("the client id is not JSON-encoded:\n%s", js)
	}
}

func TestSwaggerUIPage(t *testing.T) {
	ui, err := NewSwaggerUI(validUI())
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	ui.Page(rec, httptest.NewRequest("GET", "/docs", nil))
	page := rec.Body.String()
	for _, want := range []string{`src="docs/` + AssetBundle + `"`, `src="docs/` + InitializerName + `"`, `href="docs/` + AssetCSS + `"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s:\n%s", want, page)
		}
	}
	csp := rec.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "connect-src 'self' https://auth.example.com:8443;") {
		t.Errorf("CSP %q does not allow exactly the token endpoint's origin", csp)
	}
}

func TestAssets(t *testing.T) {
	ui, err := NewSwaggerUI(validUI())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{AssetBundle, AssetCSS, AssetFavicon} {
		t.Run(name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			ui.Asset(name)(rec, httptest.NewRequest("GET", "/docs/"+name, nil))
			if rec.Code != 200 || rec.Body.Len() < 100 {
				t.Errorf("status %d, %d bytes", rec.Code, rec.Body.Len())
			}
		})
	}
	t.Run("unknown", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Error("no panic for a file that is not embedded")
			}
		}()
		ui.Asset("missing.js")
	})
}

func TestInlineScript(t *testing.T) {
	tests := []struct {
		page, want string
		ok         bool
	}{
		{"<html><script>\n  run();\n</script></html>", "\n  run();\n", true},
		{"<html><p>no script</p></html>", "", false},
		{"<script>a()</script><script>b()</script>", "", false},
		{"<script>a()</script><script src=x.js></script>", "", false},
		{`<script nonce="n">a()</script>`, "", false},
		{"<script>a()", "", false},
	}
	for _, tt := range tests {
		got, err := inlineScript([]byte(tt.page))
		if (err == nil) != tt.ok || string(got) != tt.want {
			t.Errorf("inlineScript(%q) = %q, %v; want %q, ok %v", tt.page, got, err, tt.want, tt.ok)
		}
	}
}
