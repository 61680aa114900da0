package sink

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"
	"unicode/utf8"
)

// DeadLetter is one rejected input: a line the parser refused, a line over
// the length limit, or (later) a document the engine refused.
type DeadLetter struct {
	Time   time.Time       `json:"time"`
	Source string          `json:"source"`            // input file
	Line   int64           `json:"line,omitempty"`    // 1-based line number
	Offset int64           `json:"offset"`            // byte offset of the line
	Stage  string          `json:"stage"`             // "read", "parse" or "index"
	Reason string          `json:"reason"`            // why it was rejected
	Raw    string          `json:"raw"`               // the line (bad UTF-8 shown as U+FFFD)
	RawB64 []byte          `json:"raw_b64,omitempty"` // the exact bytes, when Raw is not
	Doc    json.RawMessage `json:"document,omitempty"`
}

// DeadLetters appends dead letters as NDJSON to a file, opened (mode 0600,
// appending) on the first letter so that a clean run leaves no file.
// Safe for concurrent use.
type DeadLetters struct {
	path   string
	mu     sync.Mutex
	f      *os.File
	w      *bufio.Writer
	count  int64
	err    error
	closed bool
}

// NewDeadLetters writes to path.
func NewDeadLetters(path string) *DeadLetters { return &DeadLetters{path: path} }

// Path returns the file's path.
func (d *DeadLetters) Path() string { return d.path }

// Count returns the number of letters written.
func (d *DeadLetters) Count() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.count
}

// Add writes one letter; raw is copied. An error means the letter could not
// be stored; the caller must treat that input as undelivered.
func (d *DeadLetters) Add(l DeadLetter, raw []byte) error {
	if l.Time.IsZero() {
		l.Time = time.Now().UTC()
	}
	l.Raw = string(raw)
	if !utf8.Valid(raw) {
		l.RawB64 = raw
	}
	b, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("dead letter: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return d.err
	}
	if d.f == nil {
		f, err := os.OpenFile(d.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			d.err = fmt.Errorf("dead-letter file: %w", err)
			return d.err
		}
		d.f, d.w = f, bufio.NewWriter(f)
	}
	b = append(b, '\n')
	if _, err := d.w.Write(b); err != nil {
		d.err = fmt.Errorf("dead-letter file %s: %w", d.path, err)
		return d.err
	}
	d.count++
	return nil
}

// Sync flushes buffered letters to the file and the file to disk.
func (d *DeadLetters) Sync() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	if d.f == nil || d.err != nil {
		return d.err
	}
	if err := d.w.Flush(); err != nil {
		return fmt.Errorf("dead-letter file %s: %w", d.path, err)
	}
	return d.f.Sync()
}

// Close flushes and closes the file. Later Adds fail. Idempotent: only
// the first call reports errors.
func (d *DeadLetters) Close() error {
	err := d.Sync()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	if d.f != nil {
		if cerr := d.f.Close(); err == nil {
			err = cerr
		}
		d.f = nil
	}
	if d.err == nil {
		d.err = fmt.Errorf("dead-letter file %s: closed", d.path)
	}
	return err
}
