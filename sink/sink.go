package sink

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sync"
)

// Batch is a run of JSON documents, each followed by '\n', back to back in
// Buf. Ends[i] is the offset just past document i's newline; Meta[i]
// describes document i (sinks that do not need it may see Meta empty).
type Batch struct {
	Buf  []byte
	Ends []int
	Meta []DocMeta
	IDs  []byte // document ids, back to back; see DocMeta.IDEnd

	// Source is the file the documents came from (for dead letters).
	Source string
	// Token, if not nil, is settled by a sink that acknowledges (Bulk)
	// once every document of the batch is settled.
	Token Token
}

// Token is how a sink tells the writer of a Batch that every document of
// it is settled: indexed, already present, or written to the dead-letter
// file. Whoever owns the read positions implements it (pipeline.Position
// acknowledges its file's cursor), so the acknowledgement cannot be left
// unwired: a batch carries its own.
type Token interface {
	// Settled is called once per written batch, possibly from several
	// goroutines and out of batch order; it must not block. Dead letters
	// are not yet fsynced then: the cursor's owner syncs them before it
	// commits the offsets (source.Registry.SaveAfter).
	Settled()
}

// DocMeta is what a sink needs to know about a document besides its body.
type DocMeta struct {
	IDEnd int    // end of the document's id in Batch.IDs (start: previous IDEnd)
	Date  uint32 // event date as yyyymmdd, for daily index names
	Line  int64  // line number in Source
	// Offset is the byte offset of the line in Source (decompressed).
	Offset int64
}

// ID returns document i's id.
func (b *Batch) ID(i int) []byte {
	start := 0
	if i > 0 {
		start = b.Meta[i-1].IDEnd
	}
	return b.IDs[start:b.Meta[i].IDEnd]
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
	b.Buf, b.Ends, b.Meta, b.IDs = b.Buf[:0], b.Ends[:0], b.Meta[:0], b.IDs[:0]
	b.Source, b.Token = "", nil
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
