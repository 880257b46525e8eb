package server_test

import (
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestClientCredentialsWriteNothing checks that an access token without a
// refresh token costs no write: the database files (the SQLite file and
// its write-ahead log) do not change however many are issued, while a
// password grant, which starts a refresh-token family, does write.
func TestClientCredentialsWriteNothing(t *testing.T) {
	dir := t.TempDir()
	h := benchServerAt(t, "EdDSA", filepath.Join(dir, "auth.db"))
	type state struct {
		size int64
		mod  time.Time
	}
	files := func() map[string]state {
		m := map[string]state{}
		_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if fi, err := d.Info(); err == nil {
					m[p] = state{fi.Size(), fi.ModTime()}
				}
			}
			return nil
		})
		return m
	}
	before := files()
	if len(before) == 0 {
		t.Fatal("no database file found")
	}
	for range 50 {
		postToken(t, h, url.Values{"grant_type": {"client_credentials"}, "scope": {"search"}})
	}
	after := files()
	for p, v := range before {
		if after[p] != v {
			t.Errorf("%s changed while issuing client_credentials tokens", filepath.Base(p))
		}
	}
	if len(after) != len(before) {
		t.Errorf("files %v, then %v", before, after)
	}

	// The check can fail: a password grant writes its refresh token.
	postToken(t, h, url.Values{"grant_type": {"password"}, "username": {"tester"}, "password": {userPassword}})
	changed := false
	for p, v := range files() {
		if before[p] != v {
			changed = true
		}
	}
	if !changed {
		t.Error("a password grant wrote nothing either: the check sees no write at all")
	}
}
