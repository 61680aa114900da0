package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/ingestd/ingestd/enrich"
	"github.com/ingestd/ingestd/internal/shutdown"
	"github.com/ingestd/ingestd/pipeline"
	"github.com/ingestd/ingestd/sink"
	"github.com/ingestd/ingestd/source"
	"github.com/ingestd/ingestd/verify"
	"github.com/spf13/cobra"
)

// verifyFlags are verify's settings; the archive, enrichment and engine
// flags are replay's.
type verifyFlags struct {
	archive
	conn                sink.Conn
	output              sink.Output
	dlq, report         string
	json, extra, repair bool
	check               verify.Config
}

func newVerifyCmd(hard context.Context) *cobra.Command {
	vf := verifyFlags{archive: archive{enrich: enrich.DefaultSettings()}, conn: defaultConn(), output: sink.DefaultOutput()}
	cmd := &cobra.Command{
		Use:   "verify --es URL [flags] FILE|DIR|GLOB...",
		Short: "Prove that the engine holds the document of every audit line, unchanged; --repair re-indexes what is not",
		Long: `Verify computes, for every line of the archives, the document, _id and index
replay would index (lines replay would dead-letter are counted, not
expected) and looks the documents up in the engine: present, missing, or
altered (message, userPoolId, userId, codes.eventType, clientIp or
@timestamp differ from what the line produces). --extra also lists
documents of those days' indices that name these files (path and host) but
that no line produces. --repair re-indexes the missing and altered lines
(same documents, same _ids) and checks them again.

Give the flags replay was given (--index, --host, --path-dir, --lang,
--dict, --directory, --geoip-db): they decide the documents.

Exit status: 0 when every expected document is present and unchanged
(after --repair: when every repair was verified); 1 when something is
missing or altered, or the check could not be completed; 2 on bad usage.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return vf.run(cmd, hard, args) },
	}
	fl := cmd.Flags()
	connFlags(fl, &vf.conn)
	outputFlags(fl, &vf.output)
	vf.archive.register(fl)
	fl.StringVar(&vf.dlq, "dlq", "", "write the lines replay would dead-letter here (default: count them only)")
	fl.BoolVar(&vf.json, "json", false, "print the result as one JSON object on stdout")
	fl.StringVar(&vf.report, "report", "", "write one NDJSON record per missing, altered, extra or repaired document to this file")
	fl.BoolVar(&vf.extra, "extra", false, "also find documents naming these files (path, host) that no line produces")
	fl.BoolVar(&vf.repair, "repair", false, "re-index the missing and altered lines (op type index), then check them again")
	fl.IntVar(&vf.check.BatchDocs, "check-docs", verify.DefaultBatchDocs, "documents per lookup request (at most 10000, the engine's result window)")
	fl.IntVar(&vf.check.InFlight, "check-in-flight", verify.DefaultInFlight, "concurrent lookup requests")
	fl.IntVar(&vf.check.Attempts, "check-attempts", verify.DefaultAttempts, "tries of a request before the check stops as incomplete")
	return cmd
}

func (vf *verifyFlags) run(cmd *cobra.Command, hard context.Context, args []string) error {
	log := slog.Default()
	if err := vf.usage(); err != nil {
		return err
	}
	inputs, total, enr, closeEnr, err := vf.open(args, log)
	if err != nil {
		return err
	}
	defer closeEnr()
	dlq := vf.dlq
	if dlq == "" {
		dlq = os.DevNull
	}
	letters := sink.NewDeadLetters(dlq)
	defer letters.Close()
	work, cancelWork := shutdown.GraceAfter(cmd.Context(), hard, replayGrace)
	defer cancelWork()
	checker, bulk, closeReport, err := vf.checker(cmd.Context(), work, inputs, letters, log)
	if err != nil {
		return err
	}
	defer closeReport()
	_, start, runErr := vf.read(cmd.Context(), "verify", cmd.ErrOrStderr(),
		pipeline.Options{Enricher: enr, Sink: checker, DeadLetters: letters, Logger: log}, inputs, total)
	_ = checker.Close() // its error is part of the result
	if cmd.Context().Err() != nil {
		runErr = errors.Join(runErr, fmt.Errorf("interrupted: %w", context.Cause(cmd.Context())))
	}
	if err := letters.Close(); err != nil && vf.dlq != "" {
		runErr = errors.Join(runErr, err)
	}
	res := checker.Finish(work, runErr)
	return verifyOutcome(cmd, vf, res, bulk, time.Since(start))
}

// usage refuses what verify cannot do.
func (vf *verifyFlags) usage() error {
	if len(vf.conn.URLs) == 0 {
		return &exitError{2, errors.New("verify needs the engine: --es URL")}
	}
	if vf.output.DataStream != "" {
		return &exitError{2, errors.New("verify: --data-stream is not supported: documents in a data stream cannot be fetched by _id")}
	}
	if _, err := source.ParseDateRange(vf.from, vf.to); err != nil {
		return &exitError{2, err}
	}
	return nil
}

// checker connects to the engine and builds the checker, with the repair
// sink (--repair) and the report file (--report).
func (vf *verifyFlags) checker(ctx, work context.Context, inputs []pipeline.Input, letters *sink.DeadLetters, log *slog.Logger) (*verify.Checker, *sink.Bulk, func(), error) {
	// Unlike replay, which waits for the engine, verify gives up after
	// --request-timeout: an auditor wants an answer.
	connectCtx, cancelConnect := context.WithTimeout(ctx, vf.output.RequestTimeout)
	tr, _, err := vf.conn.Connect(connectCtx, log)
	cancelConnect()
	if err != nil {
		return nil, nil, nil, &exitError{1, err}
	}
	cfg := vf.check
	cfg.Transport, cfg.Index, cfg.Extra, cfg.Timeout, cfg.Logger = tr, vf.output.Index, vf.extra, vf.output.RequestTimeout, log
	for _, in := range inputs {
		cfg.Files = append(cfg.Files, in.Path)
	}
	var bulk *sink.Bulk
	if vf.repair {
		vf.output.OpType = "index" // the stored document is replaced by the line's
		if bulk, err = openBulk(ctx, work, &vf.conn, &vf.output, letters, log); err != nil {
			return nil, nil, nil, &exitError{1, err}
		}
		cfg.Repair = bulk
	}
	closeReport := func() {}
	if vf.report != "" {
		f, err := os.Create(vf.report)
		if err != nil {
			return nil, nil, nil, &exitError{1, err}
		}
		closeReport = func() { f.Close() }
		cfg.Report = verify.NewReport(f)
	}
	checker, err := verify.New(work, cfg)
	if err != nil {
		closeReport()
		return nil, nil, nil, &exitError{2, err}
	}
	return checker, bulk, closeReport, nil
}

// verifyOutcome prints the result and turns it into the exit status.
func verifyOutcome(cmd *cobra.Command, vf *verifyFlags, res *verify.Result, bulk *sink.Bulk, d time.Duration) error {
	stderr := cmd.ErrOrStderr()
	res.WriteSummary(stderr)
	fmt.Fprintf(stderr, "verify: %.0f lines/s in %s\n", float64(res.Lines)/d.Seconds(), d.Round(time.Millisecond))
	if bulk != nil {
		bulk.Stats.WriteSummary(stderr, "verify --repair")
	}
	if vf.json {
		if err := res.WriteJSON(cmd.OutOrStdout()); err != nil {
			return &exitError{1, err}
		}
	}
	if cmd.Context().Err() != nil {
		return &exitError{130, fmt.Errorf("interrupted: the verification is incomplete: %s", res.Error)}
	}
	if err := res.Problem(vf.report); err != nil {
		return &exitError{1, err}
	}
	return nil
}
