package faults_test

import (
	"os"
	"testing"

	"github.com/fastsafe/fastsafe/e2e/harness"
)

// TestMain removes the binaries the harness builds when the tests end.
func TestMain(m *testing.M) { os.Exit(harness.Main(m)) }
