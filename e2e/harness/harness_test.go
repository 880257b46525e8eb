package harness_test

import (
	"strings"
	"testing"

	"github.com/fastsafe/fastsafe/e2e/harness"
)

// TestBuildOutsideMainFails: without harness.Main in TestMain the
// binaries would outlive the tests, so Build refuses to make them.
func TestBuildOutsideMainFails(t *testing.T) {
	if _, err := harness.Build(); err == nil || !strings.Contains(err.Error(), "TestMain") {
		t.Fatalf("Build outside Main: err = %v, want one that asks for TestMain", err)
	}
}
