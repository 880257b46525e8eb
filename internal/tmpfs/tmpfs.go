//go:build linux

package tmpfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// EnvRequire, set to 1, turns a skip for want of a tmpfs into a failure.
const EnvRequire = "FASTSAFE_REQUIRE_TMPFS"

// FS is a mounted tmpfs.
type FS struct {
	t   testing.TB
	Dir string // where it is mounted
}

// Mount mounts a tmpfs of size bytes on a new directory, unmounted when the
// test ends.
func Mount(t testing.TB, size int64) *FS {
	t.Helper()
	dir, err := os.MkdirTemp("", "fastsafe-tmpfs-")
	if err != nil {
		t.Fatal(err)
	}
	if err := mount(dir, size); err != nil {
		_ = os.Remove(dir)
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("tmpfs: %v", err)
		}
		t.Skipf("a tmpfs cannot be mounted here (needs root and mount permission): %v", err)
	}
	t.Cleanup(func() {
		// A lazy unmount: a process the test started may still hold a
		// file open.
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("tmpfs: unmount %s: %v", dir, err)
		}
		_ = os.Remove(dir)
	})
	return &FS{t: t, Dir: dir}
}

func mount(dir string, size int64) error {
	opts := fmt.Sprintf("size=%d,mode=0700", size)
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, opts); err != nil {
		return fmt.Errorf("mount tmpfs on %s (%s): %w", dir, opts, err)
	}
	return nil
}

// ReadOnly remounts the file system read-only; files open for writing
// stay open, but every write fails.
func (f *FS) ReadOnly() {
	f.t.Helper()
	if err := syscall.Mount("tmpfs", f.Dir, "tmpfs", syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
		f.t.Fatalf("tmpfs: remount read-only: %v", err)
	}
}

// ReadWrite remounts the file system read-write.
func (f *FS) ReadWrite() {
	f.t.Helper()
	if err := syscall.Mount("tmpfs", f.Dir, "tmpfs", syscall.MS_REMOUNT, ""); err != nil {
		f.t.Fatalf("tmpfs: remount read-write: %v", err)
	}
}

// Fill writes a file of zeros until the file system is full, and returns
// its path: removing it frees the space.
func (f *FS) Fill() string {
	f.t.Helper()
	path := filepath.Join(f.Dir, "filler")
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		f.t.Fatalf("tmpfs: fill: %v", err)
	}
	defer file.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := file.Write(buf); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				break
			}
			f.t.Fatalf("tmpfs: fill: %v", err)
		}
	}
	// Partial blocks: fill to the last byte.
	for _, n := range []int{1024, 64, 1} {
		for {
			if _, err := file.Write(buf[:n]); err != nil {
				break
			}
		}
	}
	return path
}

// Free removes the file Fill wrote.
func (f *FS) Free(filler string) {
	f.t.Helper()
	if err := os.Remove(filler); err != nil {
		f.t.Fatalf("tmpfs: free: %v", err)
	}
}

// Available reports the free space of the file system in bytes.
func (f *FS) Available() int64 {
	f.t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(f.Dir, &st); err != nil {
		f.t.Fatalf("tmpfs: statfs: %v", err)
	}
	return int64(st.Bavail) * st.Bsize
}
