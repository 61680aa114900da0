package verify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/ingestd/ingestd/internal/exitcode"
	"github.com/ingestd/ingestd/internal/shutdown"
	"github.com/ingestd/ingestd/pipeline"
	"github.com/ingestd/ingestd/replay"
	"github.com/ingestd/ingestd/sink"
	sourcepkg "github.com/ingestd/ingestd/source"
)

// Options are the verify command's settings: the archive, enrichment
// and output settings are replay's (they decide the documents).
type Options struct {
	replay.Archive
	Conn   sink.Conn
	Output sink.Output
	// Args are the files, directories and globs to verify.
	Args []string
	// DLQ receives the lines replay would dead-letter ("": counted only).
	DLQ string
	// Report receives one NDJSON record per finding ("": none).
	Report string
	// JSON prints the result as one JSON object on Stdout.
	JSON, Extra, Repair bool
	Check               Config
	replay.IO
}

// Defaults are verify's settings before flags (the connection's are the
// caller's).
func Defaults() Options {
	return Options{Archive: replay.DefaultArchive(), Output: sink.DefaultOutput(),
		Check: Config{BatchDocs: DefaultBatchDocs, InFlight: DefaultInFlight, Attempts: DefaultAttempts}}
}

// Run checks that the engine holds the document of every line of
// o.Args, unchanged (and repairs what is not, with o.Repair), and prints
// the result. Its error carries the exit status: 1 when something is
// missing or altered or the check could not be completed, 2 on bad usage,
// 130 when interrupted. The result is nil when the check did not start.
func Run(ctx context.Context, o Options) (*Result, error) {
	o.Fill()
	if err := o.usage(); err != nil {
		return nil, err
	}
	inputs, total, enr, closeEnr, err := o.Open(o.Args, o.Logger)
	if err != nil {
		return nil, err
	}
	defer closeEnr()
	dlq := o.DLQ
	if dlq == "" {
		dlq = os.DevNull
	}
	letters := sink.NewDeadLetters(dlq)
	defer letters.Close()
	work, cancelWork := shutdown.GraceAfter(ctx, o.Hard, replay.Grace)
	defer cancelWork()
	checker, bulk, closeReport, err := o.checker(ctx, work, inputs, letters)
	if err != nil {
		return nil, err
	}
	defer closeReport()
	_, start, runErr := o.Read(ctx, "verify", o.Stderr,
		pipeline.Options{Enricher: enr, Sink: checker, DeadLetters: letters, Logger: o.Logger}, inputs, total)
	_ = checker.Close() // its error is part of the result
	if ctx.Err() != nil {
		runErr = errors.Join(runErr, fmt.Errorf("interrupted: %w", context.Cause(ctx)))
	}
	if err := letters.Close(); err != nil && o.DLQ != "" {
		runErr = errors.Join(runErr, err)
	}
	res := checker.Finish(work, runErr)
	return res, o.outcome(ctx, res, bulk, time.Since(start))
}

// usage refuses what verify cannot do.
func (o *Options) usage() error {
	if len(o.Conn.URLs) == 0 {
		return exitcode.New(exitcode.Usage, errors.New("verify needs the engine: --es URL"))
	}
	if o.Output.DataStream != "" {
		return exitcode.New(exitcode.Usage, errors.New("verify: --data-stream is not supported: documents in a data stream cannot be fetched by _id"))
	}
	if _, err := sourcepkg.ParseDateRange(o.From, o.To); err != nil {
		return exitcode.New(exitcode.Usage, err)
	}
	return nil
}

// checker connects to the engine and builds the checker, with the repair
// sink (Repair) and the report file (Report).
func (o *Options) checker(ctx, work context.Context, inputs []pipeline.Input, letters *sink.DeadLetters) (*Checker, *sink.Bulk, func(), error) {
	// Unlike replay, which waits for the engine, verify gives up after
	// --request-timeout: an auditor wants an answer.
	connectCtx, cancelConnect := context.WithTimeout(ctx, o.Output.RequestTimeout)
	tr, _, err := o.Conn.Connect(connectCtx, o.Logger)
	cancelConnect()
	if err != nil {
		return nil, nil, nil, exitcode.New(exitcode.Failed, err)
	}
	cfg := o.Check
	cfg.Transport, cfg.Index, cfg.Extra, cfg.Timeout, cfg.Logger = tr, o.Output.Index, o.Extra, o.Output.RequestTimeout, o.Logger
	for _, in := range inputs {
		cfg.Files = append(cfg.Files, in.Path)
	}
	var bulk *sink.Bulk
	if o.Repair {
		o.Output.OpType = "index" // the stored document is replaced by the line's
		if bulk, err = replay.OpenBulk(ctx, work, &o.Conn, &o.Output, letters, o.Logger); err != nil {
			return nil, nil, nil, exitcode.New(exitcode.Failed, err)
		}
		cfg.Repair = bulk
	}
	closeReport := func() {}
	if o.Report != "" {
		f, err := os.Create(o.Report)
		if err != nil {
			return nil, nil, nil, exitcode.New(exitcode.Failed, err)
		}
		closeReport = func() { f.Close() }
		cfg.Report = NewReport(f)
	}
	checker, err := New(work, cfg)
	if err != nil {
		closeReport()
		return nil, nil, nil, exitcode.New(exitcode.Usage, err)
	}
	return checker, bulk, closeReport, nil
}

// outcome prints the result and turns it into the exit status.
func (o *Options) outcome(ctx context.Context, res *Result, bulk *sink.Bulk, d time.Duration) error {
	res.WriteSummary(o.Stderr)
	fmt.Fprintf(o.Stderr, "verify: %.0f lines/s in %s\n", float64(res.Lines)/d.Seconds(), d.Round(time.Millisecond))
	if bulk != nil {
		bulk.Stats.WriteSummary(o.Stderr, "verify --repair")
	}
	if o.JSON {
		if err := res.WriteJSON(o.Stdout); err != nil {
			return exitcode.New(exitcode.Failed, err)
		}
	}
	if ctx.Err() != nil {
		return exitcode.New(exitcode.Interrupted, fmt.Errorf("interrupted: the verification is incomplete: %s", res.Error))
	}
	if err := res.Problem(o.Report); err != nil {
		return exitcode.New(exitcode.Failed, err)
	}
	return nil
}
