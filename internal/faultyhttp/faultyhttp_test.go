package faultyhttp

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestModes(t *testing.T) {
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Cache-Control", "max-age=300")
		_, _ = io.WriteString(w, "keys")
	}))
	t.Cleanup(src.Close)
	p := New(t, src.URL)
	get := func() (int, string) {
		resp, err := http.Get(p.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(); code != 200 || body != "keys" {
		t.Fatalf("up: %d %q", code, body)
	}
	p.Set(Dead)
	if code, _ := get(); code != http.StatusBadGateway {
		t.Fatalf("dead: %d", code)
	}
	p.Set(Slow)
	done := make(chan int)
	go func() { code, _ := get(); done <- code }()
	select {
	case code := <-done:
		t.Fatalf("slow answered at once: %d", code)
	case <-time.After(100 * time.Millisecond):
	}
	p.Set(Dead)
	if code := <-done; code != http.StatusBadGateway {
		t.Fatalf("a request held while slow, then dead: %d", code)
	}
}
