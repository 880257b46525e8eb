package logbuf

import (
	"log/slog"
	"strings"
	"sync"
	"testing"
)

func TestConcurrentWritersAndReaders(t *testing.T) {
	var b Buffer
	logger := slog.New(slog.NewJSONHandler(&b, nil))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				logger.Info("tick", "writer", i, "n", j)
				_ = b.String()
			}
		})
	}
	wg.Wait()
	recs, err := b.Records()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 400 {
		t.Fatalf("%d records, want 400", len(recs))
	}
	for _, r := range recs {
		if r["msg"] != "tick" {
			t.Fatalf("record %v", r)
		}
	}
}

func TestRecordsAndLast(t *testing.T) {
	tests := []struct {
		name     string
		written  string
		records  int
		last     string // the "n" of Last("a"); "" for an error
		parseErr string // in the error of Records; "" for none
	}{
		{"empty", "", 0, "", ""},
		{"two records, blank lines skipped", `{"msg":"a","n":"1"}` + "\n\n" + `{"msg":"a","n":"2"}` + "\n", 2, "2", ""},
		{"last of several", `{"msg":"a","n":"1"}` + "\n" + `{"msg":"b","n":"2"}` + "\n", 2, "1", ""},
		{"no such msg", `{"msg":"b"}` + "\n", 1, "", ""},
		{"no final newline", `{"msg":"a","n":"3"}`, 1, "3", ""},
		{"a text line", `{"msg":"a"}` + "\n" + `time=now level=INFO msg=a` + "\n", 0, "", "line 2"},
		{"a JSON array", `["msg","a"]` + "\n", 0, "", "line 1"},
		{"JSON null", "null\n", 0, "", "line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b Buffer
			_, _ = b.Write([]byte(tt.written))
			recs, err := b.Records()
			if tt.parseErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.parseErr) {
					t.Fatalf("err = %v, want one naming %s", err, tt.parseErr)
				}
				if _, err := b.Last("a"); err == nil {
					t.Error("Last found a record in what Records refuses")
				}
				return
			}
			if err != nil || len(recs) != tt.records {
				t.Fatalf("%d records, %v; want %d", len(recs), err, tt.records)
			}
			r, err := b.Last("a")
			switch {
			case tt.last == "" && err == nil:
				t.Errorf("Last = %v, want an error", r)
			case tt.last != "" && (err != nil || r["n"] != tt.last):
				t.Errorf("Last = %v, %v; want n %s", r, err, tt.last)
			}
		})
	}
}

func TestMessages(t *testing.T) {
	var b Buffer
	logger := slog.New(slog.NewJSONHandler(&b, nil))
	logger.Info("locked out", "request_id", "r1")
	logger.Info("request", "request_id", "r2")
	logger.Info("request", "request_id", "r1")
	logger.Info("request")
	for _, tt := range []struct {
		value string
		want  string
	}{
		{"r1", "locked out|request"},
		{"r2", "request"},
		{"r3", ""},
	} {
		msgs, err := b.Messages("request_id", tt.value)
		if err != nil || strings.Join(msgs, "|") != tt.want {
			t.Errorf("Messages(request_id, %s) = %q, %v; want %q", tt.value, msgs, err, tt.want)
		}
	}
	_, _ = b.Write([]byte("not JSON\n"))
	if _, err := b.Messages("request_id", "r1"); err == nil {
		t.Error("no error for a line that is not JSON")
	}
}
