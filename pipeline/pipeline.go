package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/ingestd/ingestd/enrich"
	"github.com/ingestd/ingestd/parser"
	"github.com/ingestd/ingestd/sink"
	"github.com/ingestd/ingestd/source"
)

// Input is one file to read.
type Input struct {
	Path    string // file to read
	DocPath string // value of the documents' "path" field; Path if empty
	// File, when tailing, receives acknowledged positions.
	File *source.Tracked
}

// Options configure Replay. Enricher, Sink and DeadLetters are required.
type Options struct {
	Enricher    *enrich.Enricher
	Sink        sink.Sink
	DeadLetters *sink.DeadLetters
	Workers     int // parse+enrich goroutines; GOMAXPROCS if <= 0
	ChunkLines  int // lines per chunk; 2048 if <= 0
	ChunkBytes  int // raw bytes after which a chunk ends early; DefaultChunkBytes if <= 0
	MaxLine     int // longest line; source.DefaultMaxLine if <= 0
	Logger      *slog.Logger
}

// DefaultChunkBytes: chunks end at 256 KiB of raw lines. The 3×workers+2
// pooled chunks keep the capacity of their lines and rendered documents
// (~4× the raw bytes), so they hold ~8 MiB with 2 workers, against ~35 MiB
// with 1 MiB chunks: the difference decides whether replay with the real
// GeoLite2 database stays under 150 MB RSS and how high the daemon's
// memory climbs while it catches up after an outage (issue 12). A chunk
// of ~800 typical lines is still far above per-chunk overheads.
const DefaultChunkBytes = 256 << 10

// Stats counts what a run did. Safe to read while the run goes on.
type Stats struct {
	Files       atomic.Int64 // inputs read to the end
	FilesFailed atomic.Int64 // inputs that could not be opened or read to the end
	Bytes       atomic.Int64 // bytes of input read (decompressed)
	Lines       atomic.Int64 // lines read
	Documents   atomic.Int64 // documents delivered to the sink
	DeadLetters atomic.Int64 // lines dead-lettered (parse errors, over-long lines)
	Blank       atomic.Int64 // empty lines, skipped
	DiskBytes   atomic.Int64 // bytes read from disk (compressed size for archives)
}

// chunk is a run of raw lines from one file, copied out of the reader.
type chunk struct {
	input   *Input
	raw     []byte
	lines   []lineRef
	batch   sink.Batch // filled by a worker
	done    chan struct{}
	letters int64
	long    int64 // over-long lines dead-lettered by the reader (counted in Stats already)
	blank   int64
	pos     Position
	err     error // dead-letter write failure: fatal
}

type lineRef struct {
	start, end int // into raw
	number     int64
	offset     int64
}

// Position is the token a chunk carries to the sink: when the sink
// acknowledges it, every line of Input before End is indexed or
// dead-lettered.
type Position struct {
	Input      *Input
	End        int64 // offset just past the chunk's last line
	Line       int64 // number of the chunk's last line
	EventMilli int64 // newest event time in the chunk (Unix ms), 0 if none
	// DeadLetters and Blank count the chunk's lines that were dead-lettered
	// (parse errors, over-long lines) or empty: with the documents and
	// Line they account for every line of Input.
	DeadLetters, Blank int64
}

// Producer reads input and hands its lines to the Feeder. It returns when
// its input is exhausted or ctx ends.
type Producer func(ctx context.Context, f *Feeder) error

// Run drives lines from produce through the workers into the sink, in
// order. It returns when produce has returned and everything it fed is
// handed to the sink; the error joins the producer's and the sink's.
func Run(ctx context.Context, o Options, st *Stats, produce Producer) error {
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.ChunkLines <= 0 {
		o.ChunkLines = 2048
	}
	if o.ChunkBytes <= 0 {
		o.ChunkBytes = DefaultChunkBytes
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	f := &Feeder{o: o, st: st, ctx: ctx,
		work:    make(chan *chunk, o.Workers),
		ordered: make(chan *chunk, 2*o.Workers), // the bounded hand-off
		free:    make(chan *chunk, 3*o.Workers+2),
	}
	for range cap(f.free) {
		f.free <- &chunk{}
	}

	var wg sync.WaitGroup
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ev parser.Event
			for c := range f.work {
				process(c, &ev, o)
				close(c.done)
			}
		}()
	}

	var readErr error
	go func() {
		defer close(f.work)
		defer close(f.ordered)
		readErr = produce(ctx, f)
		// The last chunk. Flush fails only once ctx ended: after a sink
		// failure, which the sink's error reports, or because the caller
		// cancelled — then the chunk is not delivered, and a producer that
		// finished just before must not make the run look complete.
		if err := f.Flush(); err != nil && readErr == nil && parent.Err() != nil {
			readErr = fmt.Errorf("last chunk not delivered: %w", context.Cause(parent))
		}
	}()

	var sinkErr error
	for c := range f.ordered {
		<-c.done
		if sinkErr == nil && c.err != nil {
			sinkErr = c.err
			cancel()
		}
		if sinkErr == nil {
			// Chunks already read are delivered even after cancellation:
			// the sink's own context bounds how long that may take. Empty
			// batches are written too, so that their position is
			// acknowledged.
			if err := o.Sink.Write(context.WithoutCancel(ctx), &c.batch); err != nil {
				sinkErr = err
				cancel()
			} else {
				st.Documents.Add(int64(c.batch.Len()))
			}
		}
		st.DeadLetters.Add(c.letters)
		st.Blank.Add(c.blank)
		f.free <- c
	}
	wg.Wait()
	return errors.Join(sinkErr, readErr)
}

// Feeder collects lines into chunks for the workers. It is used by one
// producer goroutine.
type Feeder struct {
	o                   Options
	st                  *Stats
	ctx                 context.Context
	work, ordered, free chan *chunk
	c                   *chunk
}

// Line copies one line of in into the current chunk, sending the chunk
// when full. It blocks while the pipeline is full (back-pressure).
func (f *Feeder) Line(in *Input, l source.Line) error { return f.add(in, l, false) }

// add appends l to the current chunk, or with positionOnly just moves the
// chunk's position to l's end.
func (f *Feeder) add(in *Input, l source.Line, positionOnly bool) error {
	if f.c != nil && f.c.input != in {
		if err := f.Flush(); err != nil {
			return err
		}
	}
	if f.c == nil {
		select {
		case f.c = <-f.free:
		case <-f.ctx.Done():
			return f.ctx.Err()
		}
		c := f.c
		c.input, c.raw, c.lines, c.letters, c.long, c.blank, c.err = in, c.raw[:0], c.lines[:0], 0, 0, 0, nil
		c.batch.Reset()
		c.batch.Source = in.Path
		c.pos = Position{Input: in}
		c.done = make(chan struct{})
	}
	c := f.c
	if positionOnly {
		// From TooLong: no line, nothing to count (a counter that went up
		// and down again would look like a reset to a scraper).
		c.pos.End, c.pos.Line = l.End, l.Number
		return nil
	}
	f.st.Lines.Add(1)
	f.st.Bytes.Add(l.End - l.Offset)
	start := len(c.raw)
	c.raw = append(c.raw, l.Bytes...)
	c.lines = append(c.lines, lineRef{start: start, end: len(c.raw), number: l.Number, offset: l.Offset})
	c.pos.End, c.pos.Line = l.End, l.Number
	if len(c.lines) >= f.o.ChunkLines || len(c.raw) >= f.o.ChunkBytes {
		return f.Flush()
	}
	return nil
}

// TooLong dead-letters a line over the length limit; its position counts
// as done with the next chunk.
func (f *Feeder) TooLong(in *Input, tl *source.LineTooLongError) error {
	f.st.Lines.Add(1)
	f.st.Bytes.Add(tl.End - tl.Offset)
	letter := sink.DeadLetter{Source: in.Path, Line: tl.Number, Offset: tl.Offset, Stage: "read",
		Reason: fmt.Sprintf("%v; first %d bytes kept", tl, len(tl.Head))}
	if err := f.o.DeadLetters.Add(letter, tl.Head); err != nil {
		return err
	}
	f.st.DeadLetters.Add(1)
	// Carry the position forward with an empty line-less chunk marker.
	if f.c != nil && f.c.input == in {
		f.c.pos.End, f.c.pos.Line = tl.End, tl.Number
		f.c.long++
		return nil
	}
	// Otherwise start a chunk that carries only the position.
	if err := f.add(in, source.Line{Offset: tl.End, End: tl.End, Number: tl.Number}, true); err != nil {
		return err
	}
	f.c.long++
	return nil
}

// Flush sends the current chunk, if any.
func (f *Feeder) Flush() error {
	c := f.c
	if c == nil {
		return nil
	}
	f.c = nil
	// The token outlives the chunk, which is reused once written.
	pos := c.pos
	c.batch.Token = &pos
	if c.input.File != nil {
		c.input.File.Sent(pos.End, pos.Line)
	}
	select {
	case f.work <- c:
	case <-f.ctx.Done():
		return f.ctx.Err()
	}
	f.ordered <- c // never blocks longer than the writer takes to drain
	return nil
}

// process parses and enriches one chunk into its batch.
func process(c *chunk, ev *parser.Event, o Options) {
	b := &c.batch
	defer func() {
		pos := c.batch.Token.(*Position)
		pos.DeadLetters, pos.Blank = c.letters+c.long, c.blank
	}()
	for _, l := range c.lines {
		raw := c.raw[l.start:l.end]
		if len(raw) == 0 || len(raw) == 1 && raw[0] == '\r' {
			c.blank++
			continue
		}
		if err := parser.Parse(raw, ev); err != nil {
			// err says column and reason; file and line have their own fields.
			letter := sink.DeadLetter{Source: c.input.Path, Line: l.number, Offset: l.offset, Stage: "parse", Reason: err.Error()}
			if derr := o.DeadLetters.Add(letter, raw); derr != nil {
				c.err = derr
				return
			}
			c.letters++
			continue
		}
		if pos := c.batch.Token.(*Position); ev.UnixMilli > pos.EventMilli {
			pos.EventMilli = ev.UnixMilli
		}
		b.Buf = o.Enricher.AppendDocument(b.Buf, ev, c.input.DocPath)
		b.Buf = append(b.Buf, '\n')
		b.Ends = append(b.Ends, len(b.Buf))
		logID, _ := ev.Get(parser.LogID)
		b.IDs = sink.AppendID(b.IDs, logID, raw)
		b.Meta = append(b.Meta, sink.DocMeta{IDEnd: len(b.IDs), Date: ev.Date(), Line: l.number, Offset: l.offset})
	}
}
