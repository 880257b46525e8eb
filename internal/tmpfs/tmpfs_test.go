//go:build linux

package tmpfs

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestFillFreeAndReadOnly(t *testing.T) {
	fs := Mount(t, 1<<20)
	filler := fs.Fill()
	if n := fs.Available(); n != 0 {
		t.Fatalf("after Fill %d bytes are left", n)
	}
	if err := os.WriteFile(filepath.Join(fs.Dir, "x"), []byte("x"), 0o600); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("a write to a full tmpfs: %v, want ENOSPC", err)
	}
	fs.Free(filler)
	if n := fs.Available(); n < 1<<19 {
		t.Fatalf("after Free only %d bytes are left", n)
	}
	fs.ReadOnly()
	if err := os.WriteFile(filepath.Join(fs.Dir, "x"), []byte("x"), 0o600); !errors.Is(err, syscall.EROFS) {
		t.Fatalf("a write to a read-only tmpfs: %v, want EROFS", err)
	}
	fs.ReadWrite()
	if err := os.WriteFile(filepath.Join(fs.Dir, "x"), []byte("x"), 0o600); err != nil {
		t.Fatalf("a write after remounting read-write: %v", err)
	}
}
