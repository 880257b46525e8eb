package server_test

import (
	"database/sql"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
)

// readyz returns the status code and status text of GET /readyz.
func (e *env) readyz() (int, string) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.url+"/readyz", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	resp, body := e.do(req)
	status, _ := body["status"].(string)
	return resp.StatusCode, status
}

// TestReadinessTellsTheTruth: /readyz turns 503 while the store cannot
// write, saying why, and 200 again by itself once it can; a database file
// deleted under the server keeps it unready, as nothing it writes would
// last.
func TestReadinessTellsTheTruth(t *testing.T) {
	e := start(t)
	if code, status := e.readyz(); code != http.StatusOK || status != "ready" {
		t.Fatalf("readyz: %d %q, want 200 ready", code, status)
	}

	// Another process holds the database's write lock for longer than
	// the check waits.
	other, err := sql.Open("sqlite", "file:"+e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	if code, status := e.readyz(); code != http.StatusServiceUnavailable || status != "store cannot write: database locked" {
		t.Fatalf("readyz while another process holds the write lock: %d %q, want 503 naming the lock", code, status)
	}
	if _, err := conn.ExecContext(t.Context(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if code, status := e.readyz(); code != http.StatusOK {
		t.Fatalf("readyz once the lock is released: %d %q, want 200", code, status)
	}
	resp, _ := e.post("/token", url.Values{"grant_type": {"password"}, "username": {"tester"}, "password": {userPassword}}, "web", webSecret)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("password grant once ready again: %d", resp.StatusCode)
	}

	// The database file is deleted under the server.
	for _, f := range []string{e.dbPath, e.dbPath + "-wal", e.dbPath + "-shm"} {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	for range 2 {
		if code, status := e.readyz(); code != http.StatusServiceUnavailable || !strings.HasSuffix(status, "database missing") {
			t.Fatalf("readyz with the database file deleted: %d %q, want 503 database missing", code, status)
		}
	}
}
