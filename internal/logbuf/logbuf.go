package logbuf

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
)

// Buffer is a bytes.Buffer safe for concurrent use. The zero value is an
// empty buffer ready to use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p to the buffer.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Records decodes what was written so far as JSON objects, one a line, in
// order. Empty lines are skipped; any other line that is not a JSON
// object is an error.
func (b *Buffer) Records() ([]map[string]any, error) {
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader([]byte(b.String())))
	sc.Buffer(nil, 1<<30)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil || m == nil {
			return nil, fmt.Errorf("logbuf: line %d is not a JSON object: %q", n, line)
		}
		out = append(out, m)
	}
	return out, sc.Err()
}

// Messages returns the "msg" of each record whose attribute key equals
// value, in order.
func (b *Buffer) Messages(key string, value any) ([]string, error) {
	recs, err := b.Records()
	if err != nil {
		return nil, err
	}
	var msgs []string
	for _, r := range recs {
		if r[key] == value {
			msg, _ := r["msg"].(string)
			msgs = append(msgs, msg)
		}
	}
	return msgs, nil
}

// Last returns the last record whose "msg" is msg. It is an error if there
// is none, or if Records fails.
func (b *Buffer) Last(msg string) (map[string]any, error) {
	recs, err := b.Records()
	if err != nil {
		return nil, err
	}
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i]["msg"] == msg {
			return recs[i], nil
		}
	}
	return nil, fmt.Errorf("logbuf: no record with msg %q", msg)
}
