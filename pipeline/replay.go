package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/ingestd/ingestd/enrich"
	"github.com/ingestd/ingestd/parser"
	"github.com/ingestd/ingestd/sink"
	"github.com/ingestd/ingestd/source"
)

// Input is one file to replay.
type Input struct {
	Path    string // file to read
	DocPath string // value of the documents' "path" field; Path if empty
}

// Options configure Replay. Enricher, Sink and DeadLetters are required.
type Options struct {
	Enricher    *enrich.Enricher
	Sink        sink.Sink
	DeadLetters *sink.DeadLetters
	Workers     int // parse+enrich goroutines; GOMAXPROCS if <= 0
	ChunkLines  int // lines per chunk; 2048 if <= 0
	MaxLine     int // longest line; source.DefaultMaxLine if <= 0
	Logger      *slog.Logger
}

// Stats counts what a run did. Safe to read while the run goes on.
type Stats struct {
	Files       atomic.Int64 // inputs read to the end
	FilesFailed atomic.Int64 // inputs that could not be opened or read to the end
	Bytes       atomic.Int64 // bytes of input read (decompressed)
	Lines       atomic.Int64 // lines read
	Documents   atomic.Int64 // documents delivered to the sink
	DeadLetters atomic.Int64 // lines dead-lettered (parse errors, over-long lines)
	Blank       atomic.Int64 // empty lines, skipped
}

// chunk is a run of raw lines from one file, copied out of the reader.
type chunk struct {
	input   *Input
	raw     []byte
	lines   []lineRef
	batch   sink.Batch // filled by a worker
	done    chan struct{}
	letters int64
	blank   int64
	err     error // dead-letter write failure: fatal
}

type lineRef struct {
	start, end int // into raw
	number     int64
	offset     int64
}

// Replay reads the inputs through the pipeline into the sink. It returns
// an error when the sink or the dead-letter file fails (documents may then
// be missing) or when some inputs could not be read; all readable input is
// processed in either case unless the sink failed.
func Replay(ctx context.Context, o Options, inputs []Input, st *Stats) error {
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.ChunkLines <= 0 {
		o.ChunkLines = 2048
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	work := make(chan *chunk, o.Workers)
	ordered := make(chan *chunk, 2*o.Workers) // the bounded hand-off
	free := make(chan *chunk, 3*o.Workers+2)
	for range cap(free) {
		free <- &chunk{}
	}

	var wg sync.WaitGroup
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ev parser.Event
			for c := range work {
				process(c, &ev, o)
				close(c.done)
			}
		}()
	}

	var readErr error
	go func() {
		defer close(work)
		defer close(ordered)
		readErr = readAll(ctx, o, inputs, st, work, ordered, free)
	}()

	var sinkErr error
	for c := range ordered {
		<-c.done
		if sinkErr == nil && c.err != nil {
			sinkErr = c.err
			cancel()
		}
		if sinkErr == nil && c.batch.Len() > 0 {
			// Chunks already read are delivered even after cancellation:
			// the sink's own context bounds how long that may take.
			if err := o.Sink.Write(context.WithoutCancel(ctx), &c.batch); err != nil {
				sinkErr = err
				cancel()
			} else {
				st.Documents.Add(int64(c.batch.Len()))
			}
		}
		st.DeadLetters.Add(c.letters)
		st.Blank.Add(c.blank)
		free <- c
	}
	wg.Wait()
	return errors.Join(sinkErr, readErr)
}

func readAll(ctx context.Context, o Options, inputs []Input, st *Stats, work, ordered, free chan *chunk) error {
	var failed []error
	for i := range inputs {
		in := &inputs[i]
		if in.DocPath == "" {
			in.DocPath = in.Path
		}
		if err := readFile(ctx, o, in, st, work, ordered, free); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			st.FilesFailed.Add(1)
			o.Logger.Error("input not fully read", "file", in.Path, "err", err)
			failed = append(failed, err)
			continue
		}
		st.Files.Add(1)
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d input(s) could not be read: %w", len(failed), errors.Join(failed...))
	}
	return nil
}

func readFile(ctx context.Context, o Options, in *Input, st *Stats, work, ordered, free chan *chunk) error {
	f, err := source.Open(in.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	lr := source.NewLineReader(f, o.MaxLine, 0)
	var c *chunk
	send := func() bool {
		if c == nil {
			return true
		}
		select {
		case work <- c:
		case <-ctx.Done():
			return false
		}
		ordered <- c // never blocks longer than the writer takes to drain
		c = nil
		return true
	}
	for {
		if c == nil {
			select {
			case c = <-free:
			case <-ctx.Done():
				return ctx.Err()
			}
			c.input, c.raw, c.lines, c.letters, c.blank, c.err = in, c.raw[:0], c.lines[:0], 0, 0, nil
			c.batch.Reset()
			c.batch.Source = in.Path
			c.done = make(chan struct{})
		}
		l, err := lr.Next()
		if err != nil {
			var tl *source.LineTooLongError
			switch {
			case errors.As(err, &tl):
				st.Lines.Add(1)
				st.Bytes.Add(tl.End - tl.Offset)
				letter := sink.DeadLetter{Source: in.Path, Line: tl.Number, Offset: tl.Offset, Stage: "read",
					Reason: fmt.Sprintf("%v; first %d bytes kept", tl, len(tl.Head))}
				if derr := o.DeadLetters.Add(letter, tl.Head); derr != nil {
					return derr
				}
				st.DeadLetters.Add(1)
				continue
			case errors.Is(err, io.EOF):
				if !send() {
					return ctx.Err()
				}
				return nil
			default:
				send() // lines read before a corrupt archive still count
				return fmt.Errorf("%s: %w", in.Path, err)
			}
		}
		st.Lines.Add(1)
		st.Bytes.Add(l.End - l.Offset)
		start := len(c.raw)
		c.raw = append(c.raw, l.Bytes...)
		c.lines = append(c.lines, lineRef{start: start, end: len(c.raw), number: l.Number, offset: l.Offset})
		if len(c.lines) >= o.ChunkLines || len(c.raw) >= 1<<20 {
			if !send() {
				return ctx.Err()
			}
		}
	}
}

// process parses and enriches one chunk into its batch.
func process(c *chunk, ev *parser.Event, o Options) {
	b := &c.batch
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
		b.Buf = o.Enricher.AppendDocument(b.Buf, ev, c.input.DocPath)
		b.Buf = append(b.Buf, '\n')
		b.Ends = append(b.Ends, len(b.Buf))
		logID, _ := ev.Get(parser.LogID)
		b.IDs = sink.AppendID(b.IDs, logID, raw)
		b.Meta = append(b.Meta, sink.DocMeta{IDEnd: len(b.IDs), Date: ev.Date(), Line: l.number})
	}
}
