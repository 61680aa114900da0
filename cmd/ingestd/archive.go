package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/ingestd/ingestd/enrich"
	"github.com/ingestd/ingestd/pipeline"
	"github.com/ingestd/ingestd/source"
	"github.com/spf13/pflag"
)

// archive is what replay and verify read (files, directories, globs) and
// how; its flags are declared once, for both.
type archive struct {
	enrich                     enrich.Settings
	pathDir, pattern, from, to string
	workers, maxLine, jobs     int
}

func (a *archive) register(fl *pflag.FlagSet) {
	enrichFlags(fl, &a.enrich)
	fl.StringVar(&a.pathDir, "path-dir", "", "record the documents' path as DIR/NAME (NAME without .gz), as the daemon on the log host would")
	fl.IntVarP(&a.workers, "workers", "w", 0, "parse and enrich goroutines (default: number of CPUs)")
	fl.IntVar(&a.maxLine, "max-line", source.DefaultMaxLine, "longest line in bytes; longer lines are dead-lettered")
	fl.IntVarP(&a.jobs, "jobs", "j", 1, "files read in parallel")
	fl.StringVar(&a.from, "from", "", "only files whose name's date is on or after YYYY-MM-DD")
	fl.StringVar(&a.to, "to", "", "only files whose name's date is on or before YYYY-MM-DD")
	fl.StringVar(&a.pattern, "pattern", "audit.*", "names of the files taken from a directory argument")
}

// inputs expands the arguments into the files to read and their total
// size; its errors are usage errors.
func (a *archive) inputs(args []string, log *slog.Logger) ([]pipeline.Input, int64, error) {
	r, err := source.ParseDateRange(a.from, a.to)
	if err != nil {
		return nil, 0, &exitError{2, err}
	}
	files, skipped, err := source.ExpandInputs(args, a.pattern, r)
	if err != nil {
		return nil, 0, &exitError{2, err}
	}
	if skipped > 0 {
		log.Info("files outside --from/--to (or without a date in their name) skipped", "count", skipped)
	}
	if len(files) == 0 {
		return nil, 0, &exitError{2, errors.New("no input files")}
	}
	inputs := make([]pipeline.Input, len(files))
	var total int64
	for i, f := range files {
		inputs[i] = pipeline.Input{Path: f, DocPath: source.DocPath(f, a.pathDir)}
		if st, err := os.Stat(f); err == nil {
			total += st.Size()
		}
	}
	return inputs, total, nil
}

// open expands the arguments and opens the enrichment; its errors are
// usage errors.
func (a *archive) open(args []string, log *slog.Logger) ([]pipeline.Input, int64, *enrich.Enricher, func(), error) {
	inputs, total, err := a.inputs(args, log)
	if err != nil {
		return nil, 0, nil, nil, err
	}
	enr, closeEnr, err := a.enrich.Open(log)
	if err != nil {
		return nil, 0, nil, nil, &exitError{2, flagError(err)}
	}
	return inputs, total, enr, closeEnr, nil
}

// read runs the inputs through the pipeline, a.jobs files at a time,
// showing progress on w; it returns what was read and when it started.
func (a *archive) read(ctx context.Context, name string, w io.Writer, o pipeline.Options, inputs []pipeline.Input, total int64) (*pipeline.Stats, time.Time, error) {
	o.Workers, o.MaxLine = a.workers, a.maxLine
	st, start := &pipeline.Stats{}, time.Now()
	stop := pipeline.ShowProgress(ctx, w, name, total, st, o.Logger)
	defer stop()
	return st, start, pipeline.ReplayParallel(ctx, o, inputs, a.jobs, st)
}
