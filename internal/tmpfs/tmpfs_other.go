//go:build !linux

package tmpfs

import "testing"

// EnvRequire, set to 1, turns a skip for want of a tmpfs into a failure.
const EnvRequire = "FASTSAFE_REQUIRE_TMPFS"

// FS is a mounted tmpfs; there is none on this system.
type FS struct {
	t   testing.TB
	Dir string
}

// Mount skips the test: only Linux has tmpfs.
func Mount(t testing.TB, _ int64) *FS {
	t.Helper()
	t.Skip("tmpfs is a Linux file system")
	return nil
}

func (f *FS) ReadOnly()        {}
func (f *FS) ReadWrite()       {}
func (f *FS) Fill() string     { return "" }
func (f *FS) Free(string)      {}
func (f *FS) Available() int64 { return 0 }
