package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/ingestd/ingestd/pipeline"
	"github.com/ingestd/ingestd/sink"
	"github.com/ingestd/ingestd/verify"
	"github.com/spf13/cobra"
)

// verifyFlags are verify's own flags; the input, enrichment and engine
// flags are replay's.
type verifyFlags struct {
	pathDir, dlq, from, to, pattern, report string
	workers, maxLine, jobs                  int
	json, extra, repair                     bool
	check                                   verify.Config
}

func newVerifyCmd(hard context.Context) *cobra.Command {
	var (
		ef     enrichFlags
		engine engineFlags
		vf     verifyFlags
	)
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
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerify(cmd, hard, args, &ef, &engine, &vf)
		},
	}
	ef.register(cmd)
	engine.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&vf.pathDir, "path-dir", "", "the documents' path is DIR/NAME (NAME without .gz), as replay was told")
	fl.StringVar(&vf.dlq, "dlq", "", "write the lines replay would dead-letter here (default: count them only)")
	fl.IntVarP(&vf.workers, "workers", "w", 0, "parse and enrich goroutines (default: number of CPUs)")
	fl.IntVar(&vf.maxLine, "max-line", 8<<20, "longest line in bytes; longer lines are dead-lettered")
	fl.IntVarP(&vf.jobs, "jobs", "j", 1, "files read in parallel")
	fl.StringVar(&vf.from, "from", "", "only files whose name's date is on or after YYYY-MM-DD")
	fl.StringVar(&vf.to, "to", "", "only files whose name's date is on or before YYYY-MM-DD")
	fl.StringVar(&vf.pattern, "pattern", "audit.*", "names of the files taken from a directory argument")
	fl.BoolVar(&vf.json, "json", false, "print the result as one JSON object on stdout")
	fl.StringVar(&vf.report, "report", "", "write one NDJSON record per missing, altered, extra or repaired document to this file")
	fl.BoolVar(&vf.extra, "extra", false, "also find documents naming these files (path, host) that no line produces")
	fl.BoolVar(&vf.repair, "repair", false, "re-index the missing and altered lines (op type index), then check them again")
	fl.IntVar(&vf.check.BatchDocs, "check-docs", verify.DefaultBatchDocs, "documents per lookup request (at most 10000, the engine's result window)")
	fl.IntVar(&vf.check.InFlight, "check-in-flight", verify.DefaultInFlight, "concurrent lookup requests")
	fl.IntVar(&vf.check.Attempts, "check-attempts", verify.DefaultAttempts, "tries of a request before the check stops as incomplete")
	return cmd
}

func runVerify(cmd *cobra.Command, hard context.Context, args []string, ef *enrichFlags, engine *engineFlags, vf *verifyFlags) error {
	log := slog.Default()
	if err := errors.Join(checkDate("from", vf.from), checkDate("to", vf.to)); err != nil {
		return &exitError{2, err}
	}
	if !engine.enabled() {
		return &exitError{2, errors.New("verify needs the engine: --es URL")}
	}
	if engine.DataStream != "" {
		return &exitError{2, errors.New("verify: --data-stream is not supported: documents in a data stream cannot be fetched by _id")}
	}
	files, skipped, err := expandInputs(args, vf.pattern, vf.from, vf.to)
	if err != nil {
		return &exitError{2, err}
	}
	if skipped > 0 {
		log.Info("files outside --from/--to (or without a date in their name) skipped", "count", skipped)
	}
	if len(files) == 0 {
		return &exitError{2, errors.New("no input files")}
	}
	enr, closeEnr, err := ef.build(log)
	if err != nil {
		return &exitError{2, err}
	}
	defer closeEnr()
	// Unlike replay, which waits for the engine, verify gives up after
	// --request-timeout: an auditor wants an answer.
	connectCtx, cancelConnect := context.WithTimeout(cmd.Context(), engine.RequestTimeout)
	tr, _, err := engine.connect(connectCtx, log)
	cancelConnect()
	if err != nil {
		return &exitError{1, err}
	}
	dlq := vf.dlq
	if dlq == "" {
		dlq = os.DevNull
	}
	letters := sink.NewDeadLetters(dlq)
	defer letters.Close()
	work, cancelWork := graceAfter(cmd.Context(), hard, replayGrace)
	defer cancelWork()

	cfg := vf.check
	cfg.Transport, cfg.Index, cfg.Files, cfg.Extra, cfg.Timeout, cfg.Logger = tr, engine.Index, files, vf.extra, engine.RequestTimeout, log
	var bulk *sink.Bulk
	if vf.repair {
		engine.OpType = "index" // the stored document is replaced by the line's
		if bulk, err = engine.open(cmd.Context(), work, letters, log); err != nil {
			return &exitError{1, err}
		}
		cfg.Repair = bulk
	}
	if vf.report != "" {
		f, err := os.Create(vf.report)
		if err != nil {
			return &exitError{1, err}
		}
		defer f.Close()
		cfg.Report = verify.NewReport(f)
	}
	checker, err := verify.New(work, cfg)
	if err != nil {
		return &exitError{2, err}
	}

	inputs := make([]pipeline.Input, len(files))
	var total int64
	for i, a := range files {
		inputs[i] = pipeline.Input{Path: a, DocPath: docPath(a, vf.pathDir)}
		if st, err := os.Stat(a); err == nil {
			total += st.Size()
		}
	}
	var st pipeline.Stats
	start := time.Now()
	stopProgress := progressNamed(cmd.Context(), cmd.ErrOrStderr(), "verify", total, &st, log)
	runErr := replayParallel(cmd.Context(), pipeline.Options{
		Enricher: enr, Sink: checker, DeadLetters: letters, Workers: vf.workers, MaxLine: vf.maxLine, Logger: log,
	}, inputs, vf.jobs, &st)
	stopProgress()
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

// verifyOutcome prints the result and turns it into the exit status.
func verifyOutcome(cmd *cobra.Command, vf *verifyFlags, res *verify.Result, bulk *sink.Bulk, d time.Duration) error {
	stderr := cmd.ErrOrStderr()
	res.WriteSummary(stderr)
	fmt.Fprintf(stderr, "verify: %.0f lines/s in %s\n", float64(res.Lines)/d.Seconds(), d.Round(time.Millisecond))
	if bulk != nil {
		printBulkSummary(stderr, &bulk.Stats, "verify --repair")
	}
	if vf.json {
		if err := writeJSON(cmd.OutOrStdout(), res); err != nil {
			return &exitError{1, err}
		}
	}
	switch {
	case cmd.Context().Err() != nil:
		return &exitError{130, fmt.Errorf("interrupted: the verification is incomplete: %s", res.Error)}
	case !res.Complete:
		return &exitError{1, fmt.Errorf("the verification is incomplete: %s", res.Error)}
	case !res.OK() && res.Present == 0 && res.Altered == 0:
		return &exitError{1, fmt.Errorf("none of the %d document(s) is in the engine: is --index the pattern replay was given? (%s)", res.Missing, res.Files[0].File)}
	case !res.OK():
		return &exitError{1, fmt.Errorf("%d document(s) missing and %d altered in the engine%s", res.Missing, res.Altered, reportHint(vf.report))}
	}
	return nil
}

func reportHint(path string) string {
	if path == "" {
		return " (--report FILE lists them)"
	}
	return "; listed in " + path
}

func writeJSON(w io.Writer, res *verify.Result) error {
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
