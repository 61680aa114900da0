// Package syncbuf is a bytes.Buffer safe for one writer goroutine (a
// logger, a daemon's stderr) and a reader (a test polling what was
// written). It holds everything written until the process ends; it is for
// tests and short-lived tools, not for unbounded logs.
package syncbuf

import (
	"bytes"
	"sync"
)

// Buffer is the locked buffer; its zero value is ready to use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns a copy of everything written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
