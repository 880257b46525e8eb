package e2e_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/fastsafe/fastsafe/e2e/harness"
)

const ginModule = "github.com/gin-gonic/gin"

// goCmd runs the go command in dir with extra environment variables and
// returns its standard output.
func goCmd(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, stderr)
	}
	return string(out)
}

func root(t *testing.T) string {
	t.Helper()
	r, err := harness.Root()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestPkgDoesNotNeedGin: a service that verifies tokens with net/http does
// not pull Gin into its build. Gin belongs to the module
// github.com/fastsafe/fastsafe/pkg/ginbearer alone.
func TestPkgDoesNotNeedGin(t *testing.T) {
	dir := filepath.Join(root(t), "pkg")
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(gomod), ginModule) {
		t.Errorf("pkg/go.mod names %s:\n%s", ginModule, gomod)
	}
	// The module graph a service author's build sees: pkg on its own.
	if graph := goCmd(t, dir, []string{"GOWORK=off"}, "mod", "graph"); strings.Contains(graph, ginModule) {
		t.Errorf("the module graph of pkg names %s:\n%s", ginModule, graph)
	}
	// The packages a build of pkg compiles, on its own and in the
	// workspace (where Gin is in the build list for the servers).
	for _, mode := range []string{"GOWORK=off", ""} {
		deps := strings.Fields(goCmd(t, dir, []string{mode}, "list", "-deps", "./verify", "./bearer", "./..."))
		for _, p := range []string{"github.com/fastsafe/fastsafe/pkg/verify", "github.com/fastsafe/fastsafe/pkg/bearer"} {
			if !slices.Contains(deps, p) {
				t.Fatalf("%q: go list -deps does not list %s: %q", mode, p, deps)
			}
		}
		for _, p := range deps {
			if strings.HasPrefix(p, ginModule) {
				t.Errorf("%q: a package of pkg depends on %s", mode, p)
			}
		}
	}
}

// TestMakeTestCoversEveryModule: the Makefile's MODULES, whose packages
// make test vets and tests, are the modules of go.work, each once.
func TestMakeTestCoversEveryModule(t *testing.T) {
	r := root(t)
	var work struct{ Use []struct{ DiskPath string } }
	if err := json.Unmarshal([]byte(goCmd(t, r, nil, "work", "edit", "-json")), &work); err != nil {
		t.Fatal(err)
	}
	var inWork []string
	for _, u := range work.Use {
		inWork = append(inWork, filepath.ToSlash(filepath.Clean(u.DiskPath)))
	}
	makefile, err := os.ReadFile(filepath.Join(r, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^MODULES\s*:=(.*)$`).FindSubmatch(makefile)
	if m == nil {
		t.Fatal("the Makefile sets no MODULES")
	}
	inMake := strings.Fields(string(m[1]))
	if len(inMake) != len(slices.Compact(slices.Sorted(slices.Values(inMake)))) {
		t.Errorf("MODULES names a module twice: %q", inMake)
	}
	slices.Sort(inWork)
	slices.Sort(inMake)
	if !slices.Equal(inWork, inMake) {
		t.Errorf("MODULES = %q, go.work uses %q", inMake, inWork)
	}
}
