package sink

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sync"
)

// Batch is a run of JSON documents, each followed by '\n', back to back in
// Buf. Ends[i] is the offset just past document i's newline.
type Batch struct {
	Buf  []byte
	Ends []int
}

// Len returns the number of documents.
func (b *Batch) Len() int { return len(b.Ends) }

// Doc returns document i without its newline.
func (b *Batch) Doc(i int) []byte {
	start := 0
	if i > 0 {
		start = b.Ends[i-1]
	}
	return b.Buf[start : b.Ends[i]-1]
}

// Reset empties the batch, keeping its capacity.
func (b *Batch) Reset() {
	b.Buf = b.Buf[:0]
	b.Ends = b.Ends[:0]
}

// Sink receives batches of documents.
type Sink interface {
	Write(ctx context.Context, b *Batch) error
	Close() error
}

// NDJSON writes documents one per line to a stream.
type NDJSON struct {
	w      *bufio.Writer
	c      io.Closer
	once   sync.Once
	closed error
}

// NewNDJSON writes to w; Close closes w too when it is an io.Closer other
// than the process's standard streams (the caller passes nil c for those).
func NewNDJSON(w io.Writer, c io.Closer) *NDJSON {
	return &NDJSON{w: bufio.NewWriterSize(w, 1<<20), c: c}
}

// Write writes the batch.
func (s *NDJSON) Write(_ context.Context, b *Batch) error {
	if _, err := s.w.Write(b.Buf); err != nil {
		return fmt.Errorf("write documents: %w", err)
	}
	return nil
}

// Close flushes and closes.
func (s *NDJSON) Close() error {
	s.once.Do(func() {
		s.closed = s.w.Flush()
		if s.c != nil {
			if err := s.c.Close(); s.closed == nil {
				s.closed = err
			}
		}
		if s.closed != nil {
			s.closed = fmt.Errorf("write documents: %w", s.closed)
		}
	})
	return s.closed
}
