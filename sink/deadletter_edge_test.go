package sink

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDeadLettersEdges: a given time is kept; Sync makes letters visible;
// after Close, Add fails and Sync and Close are no-ops.
func TestDeadLettersEdges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dlq")
	d := NewDeadLetters(path)
	if d.Path() != path {
		t.Errorf("Path = %s", d.Path())
	}
	at := time.Date(2021, 9, 22, 7, 47, 21, 0, time.UTC)
	if err := d.Add(DeadLetter{Time: at, Source: "a.log", Line: 1, Stage: "parse", Reason: "r"}, []byte("ok")); err != nil {
		t.Fatal(err)
	}
	if err := d.Sync(); err != nil {
		t.Fatal(err)
	}
	letters := readLetters(t, path)
	if len(letters) != 1 || !letters[0].Time.Equal(at) || letters[0].Raw != "ok" || letters[0].RawB64 != nil {
		t.Fatalf("after Sync: %+v", letters)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Add(DeadLetter{Reason: "late"}, nil); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Add after Close: %v", err)
	}
	if err := d.Sync(); err != nil {
		t.Errorf("Sync after Close: %v", err)
	}
	if d.Count() != 1 {
		t.Errorf("Count = %d", d.Count())
	}

	// A clean run leaves no file, also after Close.
	empty := filepath.Join(t.TempDir(), "none")
	d = NewDeadLetters(empty)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(empty); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Close without letters created the file: %v", err)
	}
}

// TestDeadLettersUnwritableSticky: once the file cannot be opened, Sync
// and every later Add report the same error, and nothing is counted.
func TestDeadLettersUnwritableSticky(t *testing.T) {
	d := NewDeadLetters(filepath.Join(t.TempDir(), "missing-dir", "dlq"))
	err := d.Add(DeadLetter{Reason: "x"}, []byte("x"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Add = %v, want fs.ErrNotExist", err)
	}
	if err2 := d.Add(DeadLetter{Reason: "y"}, nil); err2 != err {
		t.Errorf("second Add = %v, want the first error again", err2)
	}
	if err2 := d.Sync(); err2 != err {
		t.Errorf("Sync = %v, want %v", err2, err)
	}
	if d.Count() != 0 {
		t.Errorf("Count = %d", d.Count())
	}
}

// TestAppendIDEdges: which logIds are used as document ids.
func TestAppendIDEdges(t *testing.T) {
	hash := string(AppendID(nil, nil, []byte("raw")))
	tests := []struct {
		id     string
		usable bool
	}{
		{"", false},
		{"null", false},
		{"nul", true},
		{"nulll", true},
		{"NULL", true},
		{"a", true},
		{strings.Repeat("a", 512), true},
		{strings.Repeat("a", 513), false},
		{"!~", true},
		{"a b", false},
		{"a\x1fb", false},
		{"a\x7fb", false},
		{"a\x80b", false},
		{"é", false},
		{`a"b`, false},
		{`a\b`, false},
	}
	for _, tt := range tests {
		got := string(AppendID([]byte("p:"), []byte(tt.id), []byte("raw")))
		want := "p:" + hash
		if tt.usable {
			want = "p:" + tt.id
		}
		if got != want {
			t.Errorf("AppendID(%q) = %q, want %q", tt.id, got, want)
		}
	}
	sum := sha256.Sum256([]byte("raw"))
	if want := "h-" + hex.EncodeToString(sum[:20]); hash != want {
		t.Errorf("hash id %q, want %q", hash, want)
	}
}

// TestBatchAccessors: ids and documents of a batch, and Reset.
func TestBatchAccessors(t *testing.T) {
	b := makeBatch(7, 3, tokenFunc(func() {}))
	if string(b.ID(0)) != "id-000007" || string(b.ID(2)) != "id-000009" || !strings.Contains(string(b.Doc(2)), "id-000009") ||
		strings.HasSuffix(string(b.Doc(0)), "\n") {
		t.Errorf("ID/Doc: %s %s %s", b.ID(0), b.ID(2), b.Doc(2))
	}
	b.Reset()
	if b.Len() != 0 || len(b.Buf) != 0 || len(b.IDs) != 0 || len(b.Meta) != 0 || b.Source != "" || b.Token != nil || cap(b.Buf) == 0 {
		t.Errorf("after Reset: %+v", b)
	}
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

type closer struct {
	err    error
	closed int
}

func (c *closer) Close() error { c.closed++; return c.err }

// TestNDJSONErrors: Close reports the flush error before the close error,
// wrapped, and only once closes the destination.
func TestNDJSONErrors(t *testing.T) {
	full := errors.New("no space left on device")
	shut := errors.New("bad file descriptor")
	doc := &Batch{Buf: []byte("{}\n"), Ends: []int{3}}

	c := &closer{err: shut}
	s := NewNDJSON(failWriter{full}, c)
	s.Write(context.Background(), doc)
	if err := s.Close(); !errors.Is(err, full) || !strings.Contains(err.Error(), "write documents") {
		t.Errorf("Close = %v, want the flush error", err)
	}
	if err := s.Close(); !errors.Is(err, full) || c.closed != 1 {
		t.Errorf("second Close = %v, closed %d times", err, c.closed)
	}

	var out bytes.Buffer
	c = &closer{err: shut}
	s = NewNDJSON(&out, c)
	s.Write(context.Background(), doc)
	if err := s.Close(); !errors.Is(err, shut) || out.String() != "{}\n" {
		t.Errorf("Close = %v (output %q), want the close error", err, out.String())
	}

	// A write larger than the buffer reaches the writer at once and fails.
	s = NewNDJSON(failWriter{full}, nil)
	big := &Batch{Buf: bytes.Repeat([]byte("x"), 2<<20)}
	if err := s.Write(context.Background(), big); !errors.Is(err, full) || !strings.Contains(err.Error(), "write documents") {
		t.Errorf("Write = %v", err)
	}
}

// TestDeadLettersCloseReportsFlushError: letters still buffered when the
// disk is full make Close fail with that error, even though the file
// itself closes fine (/dev/full: every write fails with ENOSPC).
func TestDeadLettersCloseReportsFlushError(t *testing.T) {
	d := NewDeadLetters("/dev/full")
	if err := d.Add(DeadLetter{Reason: "x"}, []byte("line")); err != nil {
		t.Fatal(err) // buffered: not written yet
	}
	if err := d.Close(); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("Close = %v, want ENOSPC", err)
	}
}
