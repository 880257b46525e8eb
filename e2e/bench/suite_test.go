package bench

import (
	"math"
	"path/filepath"
	"reflect"
	"testing"
)

// TestSuiteSaveLoad: a suite comes back as saved, less the ratios that
// are not numbers, which read as not measured.
func TestSuiteSaveLoad(t *testing.T) {
	r := sampleReport()
	r.Runs[0].Ratios["broken"] = math.NaN()
	s := Suite{Name: "ES256", Goals: r.Goals, Runs: r.Runs, Intro: "- Tokens: ES256."}
	path := filepath.Join(t.TempDir(), "suite.json")
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := LoadSuite(path)
	if err != nil {
		t.Fatal(err)
	}
	delete(s.Runs[0].Ratios, "broken")
	if !reflect.DeepEqual(got, s) {
		t.Errorf("loaded %+v\nwant %+v", got, s)
	}
	if _, err := LoadSuite(filepath.Join(t.TempDir(), "absent.json")); err == nil {
		t.Error("loaded an absent file")
	}
}

// TestCombine: one suite gives the report unchanged; several name every
// goal, ratio, phase and memory row with their suite, run by run.
func TestCombine(t *testing.T) {
	r := sampleReport()
	one := Combine("Performance", []Suite{{Name: "RS256", Goals: r.Goals, Runs: r.Runs}})
	if !reflect.DeepEqual(one.Goals, r.Goals) || !reflect.DeepEqual(one.Runs, r.Runs) {
		t.Errorf("one suite changed: %+v", one)
	}
	two := Combine("Performance", []Suite{
		{Name: "RS256", Goals: r.Goals, Runs: r.Runs},
		{Name: "EdDSA", Goals: r.Goals[:1], Runs: r.Runs[:2]},
	})
	if len(two.Goals) != 4 || two.Goals[3].Key != "EdDSA: search/root" || two.Goals[0].What != "RS256: /search ÷ / with the cache" {
		t.Errorf("goals %+v", two.Goals)
	}
	if len(two.Runs) != 3 {
		t.Fatalf("%d runs", len(two.Runs))
	}
	if m, each := two.Ratio("EdDSA: search/root"); math.Abs(m-0.91) > 1e-9 || !math.IsNaN(each[2]) {
		t.Errorf("EdDSA ratio %v %v", m, each)
	}
	if m, _ := two.Ratio("RS256: search/root"); m != 0.94 {
		t.Errorf("RS256 ratio %v", m)
	}
	if p := two.Runs[1].Phases; len(p) != 4 || p[2].Name != "EdDSA: GET /" {
		t.Errorf("phases of run 2: %+v", p)
	}
	if m := two.Runs[2].Memory; len(m) != 1 || m[0].Name != "RS256: authserver" {
		t.Errorf("memory %+v", m)
	}
}

// TestPageForm: the action and hidden fields of a page's form, unescaped.
func TestPageForm(t *testing.T) {
	page := `<form method="post" action="http://127.0.0.1:9096/login?a=1&amp;b=2">
<input type="hidden" name="csrf_token" value="c&#43;1">
<input type="hidden" name="request" value="r">
<input id="username" name="username" type="text">`
	action, hidden, err := PageForm(page)
	if err != nil || action != "http://127.0.0.1:9096/login?a=1&b=2" || hidden.Get("csrf_token") != "c+1" || hidden.Get("request") != "r" || len(hidden) != 2 {
		t.Errorf("PageForm = %q, %v, %v", action, hidden, err)
	}
	if _, _, err := PageForm("<p>no form</p>"); err == nil {
		t.Error("no error without a form")
	}
}
