package sink

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDeadLetters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dlq.ndjson")
	d := NewDeadLetters(path)
	if err := d.Sync(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("file created before the first letter")
	}
	if err := d.Add(DeadLetter{Source: "a.log", Line: 3, Offset: 10, Stage: "parse", Reason: "bad timestamp"}, []byte("[x] y")); err != nil {
		t.Fatal(err)
	}
	if err := d.Add(DeadLetter{Source: "a.log", Line: 4, Stage: "parse", Reason: "r"}, []byte("bad\xffbytes")); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	f, _ := os.Open(path)
	defer f.Close()
	sc := bufio.NewScanner(f)
	var letters []DeadLetter
	for sc.Scan() {
		var l DeadLetter
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		letters = append(letters, l)
	}
	if len(letters) != 2 || d.Count() != 2 {
		t.Fatalf("%d letters in file, Count %d; want 2", len(letters), d.Count())
	}
	if l := letters[0]; l.Line != 3 || l.Raw != "[x] y" || l.Reason != "bad timestamp" || l.RawB64 != nil || l.Time.IsZero() {
		t.Errorf("letter 1 = %+v", l)
	}
	if l := letters[1]; !bytes.Equal(l.RawB64, []byte("bad\xffbytes")) {
		t.Errorf("invalid UTF-8 raw not preserved exactly: %+v", l)
	}
}

func TestDeadLettersUnwritable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing-dir", "dlq")
	d := NewDeadLetters(path)
	err := d.Add(DeadLetter{Reason: "x"}, []byte("x"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Add to an unwritable path = %v, want fs.ErrNotExist: the letter would be lost silently", err)
	}
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Path != path || !strings.Contains(err.Error(), "dead-letter file") {
		t.Errorf("error %v does not name the dead-letter file %s", err, path)
	}
	if d.Count() != 0 {
		t.Errorf("Count = %d after a failed Add, want 0", d.Count())
	}
}

func TestNDJSON(t *testing.T) {
	var out bytes.Buffer
	s := NewNDJSON(&out, nil)
	b := &Batch{}
	for _, doc := range []string{`{"a":1}`, `{"b":2}`} {
		b.Buf = append(append(b.Buf, doc...), '\n')
		b.Ends = append(b.Ends, len(b.Buf))
	}
	if b.Len() != 2 || string(b.Doc(1)) != `{"b":2}` {
		t.Fatalf("Batch.Doc(1) = %s", b.Doc(1))
	}
	if err := s.Write(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if out.String() != "{\"a\":1}\n{\"b\":2}\n" {
		t.Fatalf("output %q", out.String())
	}
}
