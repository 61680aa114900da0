package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/ingestd/ingestd/deploy"
	"github.com/ingestd/ingestd/enrich"
	"github.com/ingestd/ingestd/internal/shutdown"
	"github.com/ingestd/ingestd/pipeline"
	"github.com/ingestd/ingestd/sink"
	"github.com/spf13/cobra"
)

// replayFlags are replay's settings.
type replayFlags struct {
	archive
	conn    sink.Conn
	output  sink.Output
	out     string
	dlq     string
	allowDL bool
}

func newReplayCmd(hard context.Context) *cobra.Command {
	f := replayFlags{archive: archive{enrich: enrich.DefaultSettings()}, conn: defaultConn(), output: sink.DefaultOutput()}
	cmd := &cobra.Command{
		Use:   "replay [flags] FILE|DIR|GLOB...",
		Short: "Read audit files (plain or gzip) and write one enriched JSON document per line",
		Long: `Replay reads archived or current audit files and writes one JSON document per
line as NDJSON (stdout by default), or indexes it into Elasticsearch or
OpenSearch with --es URL. Lines that cannot be parsed are written
to the dead-letter file with file, line number and reason.

Arguments are files, directories (their files matching --pattern) and
globs; gzip archives are recognised by their magic bytes.

Exit status: 0 when every input was read and nothing was dead-lettered;
1 when an input could not be read, the output failed, or lines were
dead-lettered (unless --allow-dead-letters); 2 on bad usage.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return f.run(cmd, hard, args) },
	}
	fl := cmd.Flags()
	connFlags(fl, &f.conn)
	outputFlags(fl, &f.output)
	f.archive.register(fl)
	fl.StringVarP(&f.out, "out", "o", "", "write documents to this file instead of stdout")
	fl.StringVar(&f.dlq, "dlq", "ingestd-dead-letters.ndjson", "dead-letter file (NDJSON; created on the first rejected line)")
	fl.BoolVar(&f.allowDL, "allow-dead-letters", false, "exit 0 even when lines were dead-lettered")
	return cmd
}

func (f *replayFlags) run(cmd *cobra.Command, hard context.Context, args []string) error {
	log := slog.Default()
	inputs, total, enr, closeEnr, err := f.open(args, log)
	if err != nil {
		return err
	}
	defer closeEnr()
	letters := sink.NewDeadLetters(f.dlq)
	docs, bulk, cancelSink, err := f.sink(cmd, hard, letters, log)
	if err != nil {
		return err
	}
	defer cancelSink()
	st, start, runErr := f.read(cmd.Context(), "replay", cmd.ErrOrStderr(),
		pipeline.Options{Enricher: enr, Sink: docs, DeadLetters: letters, Logger: log}, inputs, total)
	if err := docs.Close(); err != nil && runErr == nil {
		runErr = err
	}
	if err := letters.Close(); err != nil && runErr == nil {
		runErr = err
	}
	st.WriteSummary(cmd.ErrOrStderr(), enr, letters, time.Since(start))
	dead := st.DeadLetters.Load()
	if bulk != nil {
		bulk.Stats.WriteSummary(cmd.ErrOrStderr(), "replay")
		dead += bulk.Stats.DeadLettered.Load()
	}
	return f.outcome(cmd.Context(), runErr, dead, letters.Path())
}

// sink opens the engine (--es) or the NDJSON output; cancel ends the
// engine sink's grace period.
func (f *replayFlags) sink(cmd *cobra.Command, hard context.Context, letters *sink.DeadLetters, log *slog.Logger) (_ sink.Sink, _ *sink.Bulk, cancel func(), _ error) {
	if len(f.conn.URLs) > 0 {
		if f.out != "" {
			return nil, nil, nil, &exitError{2, errors.New("--out and --es exclude each other")}
		}
		sinkCtx, cancelSink := shutdown.GraceAfter(cmd.Context(), hard, replayGrace)
		bulk, err := openBulk(cmd.Context(), sinkCtx, &f.conn, &f.output, letters, log)
		if err != nil {
			cancelSink()
			return nil, nil, nil, &exitError{1, err}
		}
		return bulk, bulk, cancelSink, nil
	}
	var w io.Writer = cmd.OutOrStdout()
	var c io.Closer
	if f.out != "" && f.out != "-" {
		file, err := os.Create(f.out)
		if err != nil {
			return nil, nil, nil, &exitError{1, err}
		}
		w, c = file, file
	}
	return sink.NewNDJSON(w, c), nil, func() {}, nil
}

// outcome maps how the replay ended to the exit status.
func (f *replayFlags) outcome(ctx context.Context, runErr error, dead int64, dlq string) error {
	if ctx.Err() != nil {
		return &exitError{130, fmt.Errorf("interrupted: the replay is incomplete; run it again (documents are idempotent by _id): %w", errors.Join(runErr, context.Cause(ctx)))}
	}
	if runErr != nil {
		return &exitError{1, runErr}
	}
	if dead > 0 && !f.allowDL {
		return &exitError{1, fmt.Errorf("%d line(s) dead-lettered to %s (--allow-dead-letters to exit 0)", dead, dlq)}
	}
	return nil
}

// openBulk connects to the engine, installs the index template and
// returns the bulk sink; hard bounds its retries at shutdown.
func openBulk(ctx, hard context.Context, c *sink.Conn, o *sink.Output, letters *sink.DeadLetters, log *slog.Logger) (*sink.Bulk, error) {
	tr, flavor, err := c.Connect(ctx, log)
	if err != nil {
		return nil, err
	}
	log.Info("indexing into the engine", "flavor", flavor, "index", o.Index, "data_stream", o.DataStream, "op_type", o.OpType)
	return o.Open(ctx, hard, tr, deploy.IndexTemplate, letters, log)
}

// flagError drops the configuration key of an enrich.SettingError: on
// the command line the flags name the setting.
func flagError(err error) error {
	var se *enrich.SettingError
	if errors.As(err, &se) {
		return se.Err
	}
	return err
}
