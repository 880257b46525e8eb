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

// Modules the published modules must not depend on.
const (
	ginModule     = "github.com/gin-gonic/gin"
	privateModule = "github.com/fastsafe/fastsafe/internal"
	// The OpenTelemetry SDK and its exporters (and gRPC, which they
	// bring) belong to the servers: pkg uses the OpenTelemetry API only.
	otelSDKModule       = "go.opentelemetry.io/otel/sdk"
	otelExportersModule = "go.opentelemetry.io/otel/exporters"
	grpcModule          = "google.golang.org/grpc"
)

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

// TestPublishedModulesNeedLittle: a service that verifies tokens with
// net/http does not pull Gin into its build (Gin belongs to the module
// pkg/ginbearer alone), no published module depends on the private
// module, which nothing outside this repository may import, and none on
// the OpenTelemetry SDK: tracing in pkg is the OpenTelemetry API alone.
func TestPublishedModulesNeedLittle(t *testing.T) {
	const fastsafe = "github.com/fastsafe/fastsafe/"
	tests := []struct {
		dir       string   // the module's
		packages  []string // some of its packages: the listing must hold them
		forbidden []string // modules its go.mod, module graph and packages must not name
	}{
		{"pkg", []string{fastsafe + "pkg/verify", fastsafe + "pkg/bearer", fastsafe + "pkg/tracing"},
			[]string{ginModule, privateModule, otelSDKModule, otelExportersModule, grpcModule}},
		{"pkg/ginbearer", []string{fastsafe + "pkg/ginbearer"}, []string{privateModule, otelSDKModule, otelExportersModule, grpcModule}},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			dir := filepath.Join(root(t), filepath.FromSlash(tt.dir))
			gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
			if err != nil {
				t.Fatal(err)
			}
			// The module graph a service author's build sees: the module
			// on its own.
			graph := goCmd(t, dir, []string{"GOWORK=off"}, "mod", "graph")
			for _, m := range tt.forbidden {
				if strings.Contains(string(gomod), m) {
					t.Errorf("%s/go.mod names %s:\n%s", tt.dir, m, gomod)
				}
				if strings.Contains(graph, m) {
					t.Errorf("the module graph of %s names %s:\n%s", tt.dir, m, graph)
				}
			}
			// The packages a build of the module compiles, on its own and
			// in the workspace (whose build list holds Gin for the servers).
			for _, mode := range []string{"GOWORK=off", ""} {
				deps := strings.Fields(goCmd(t, dir, []string{mode}, "list", "-deps", "./..."))
				for _, p := range tt.packages {
					if !slices.Contains(deps, p) {
						t.Fatalf("%q: go list -deps does not list %s: %q", mode, p, deps)
					}
				}
				for _, p := range deps {
					for _, m := range tt.forbidden {
						if p == m || strings.HasPrefix(p, m+"/") {
							t.Errorf("%q: a package of %s depends on %s", mode, tt.dir, p)
						}
					}
				}
			}
		})
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
