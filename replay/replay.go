package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/ingestd/ingestd/internal/exitcode"
	"github.com/ingestd/ingestd/internal/shutdown"
	"github.com/ingestd/ingestd/pipeline"
	"github.com/ingestd/ingestd/sink"
)

// Grace is how long replay (and verify) may finish in-flight requests
// after the first SIGINT/SIGTERM; a second signal (Options.Hard) always
// ends them at once.
const Grace = 30 * time.Second

// DefaultDLQ is replay's dead-letter file.
const DefaultDLQ = "ingestd-dead-letters.ndjson"

// Options are replay's settings and where it writes.
type Options struct {
	Archive
	Conn   sink.Conn
	Output sink.Output
	// Out is the NDJSON file ("" or "-": Stdout) when Conn has no URLs.
	Out              string
	DLQ              string
	AllowDeadLetters bool
	IO
}

// IO is where a command writes and when it must give up in-flight work;
// replay and verify take it.
type IO struct {
	// Hard ends when in-flight work must be abandoned (nil: never).
	Hard           context.Context
	Stdout, Stderr io.Writer // nil: discarded
	Logger         *slog.Logger
}

// Defaults are replay's settings before flags (the connection's are
// the caller's).
func Defaults() Options {
	return Options{Archive: DefaultArchive(), Output: sink.DefaultOutput(), DLQ: DefaultDLQ}
}

// Fill sets what is nil to its default: no hard stop, output discarded,
// slog's default logger.
func (o *IO) Fill() {
	if o.Hard == nil {
		o.Hard = context.Background()
	}
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Run replays args (files, directories, globs) until done or ctx ends.
// Its error carries the exit status: 1 when an input could not be read,
// the output failed or lines were dead-lettered (unless
// AllowDeadLetters), 2 on bad usage, 130 when interrupted.
func Run(ctx context.Context, args []string, o Options) error {
	o.Fill()
	log := o.Logger
	inputs, total, enr, closeEnr, err := o.Open(args, log)
	if err != nil {
		return err
	}
	defer closeEnr()
	letters := sink.NewDeadLetters(o.DLQ)
	docs, bulk, cancelSink, err := o.sink(ctx, letters)
	if err != nil {
		return err
	}
	defer cancelSink()
	st, start, runErr := o.Read(ctx, "replay", o.Stderr,
		pipeline.Options{Enricher: enr, Sink: docs, DeadLetters: letters, Logger: log}, inputs, total)
	if err := docs.Close(); err != nil && runErr == nil {
		runErr = err
	}
	if err := letters.Close(); err != nil && runErr == nil {
		runErr = err
	}
	st.WriteSummary(o.Stderr, enr, letters, time.Since(start))
	dead := st.DeadLetters.Load()
	if bulk != nil {
		bulk.Stats.WriteSummary(o.Stderr, "replay")
		dead += bulk.Stats.DeadLettered.Load()
	}
	return o.outcome(ctx, runErr, dead, letters.Path())
}

// sink opens the engine (Conn.URLs) or the NDJSON output; cancel ends the
// engine sink's grace period.
func (o *Options) sink(ctx context.Context, letters *sink.DeadLetters) (_ sink.Sink, _ *sink.Bulk, cancel func(), _ error) {
	if len(o.Conn.URLs) > 0 {
		if o.Out != "" {
			return nil, nil, nil, exitcode.New(exitcode.Usage, errors.New("--out and --es exclude each other"))
		}
		sinkCtx, cancelSink := shutdown.GraceAfter(ctx, o.Hard, Grace)
		bulk, err := OpenBulk(ctx, sinkCtx, &o.Conn, &o.Output, letters, o.Logger)
		if err != nil {
			cancelSink()
			return nil, nil, nil, exitcode.New(exitcode.Failed, err)
		}
		return bulk, bulk, cancelSink, nil
	}
	w := o.Stdout
	var c io.Closer
	if o.Out != "" && o.Out != "-" {
		file, err := os.Create(o.Out)
		if err != nil {
			return nil, nil, nil, exitcode.New(exitcode.Failed, err)
		}
		w, c = file, file
	}
	return sink.NewNDJSON(w, c), nil, func() {}, nil
}

// outcome maps how the replay ended to the exit status.
func (o *Options) outcome(ctx context.Context, runErr error, dead int64, dlq string) error {
	if ctx.Err() != nil {
		return exitcode.New(exitcode.Interrupted, fmt.Errorf("interrupted: the replay is incomplete; run it again (documents are idempotent by _id): %w", errors.Join(runErr, context.Cause(ctx))))
	}
	if runErr != nil {
		return exitcode.New(exitcode.Failed, runErr)
	}
	if dead > 0 && !o.AllowDeadLetters {
		return exitcode.New(exitcode.Failed, fmt.Errorf("%d line(s) dead-lettered to %s (--allow-dead-letters to exit 0)", dead, dlq))
	}
	return nil
}
