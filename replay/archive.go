package replay

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/ingestd/ingestd/deploy"
	"github.com/ingestd/ingestd/enrich"
	"github.com/ingestd/ingestd/internal/exitcode"
	"github.com/ingestd/ingestd/pipeline"
	"github.com/ingestd/ingestd/sink"
	"github.com/ingestd/ingestd/source"
)

// DefaultPattern names the files taken from a directory argument.
const DefaultPattern = "audit.*"

// Archive is what replay and verify read (files, directories, globs) and
// how.
type Archive struct {
	Enrich                     enrich.Settings
	PathDir, Pattern, From, To string
	Workers, MaxLine, Jobs     int
}

// DefaultArchive is the archive settings before flags.
func DefaultArchive() Archive {
	return Archive{Enrich: enrich.DefaultSettings(), Pattern: DefaultPattern, MaxLine: source.DefaultMaxLine, Jobs: 1}
}

// Inputs expands the arguments into the files to read and their total
// size; its errors are usage errors.
func (a *Archive) Inputs(args []string, log *slog.Logger) ([]pipeline.Input, int64, error) {
	r, err := source.ParseDateRange(a.From, a.To)
	if err != nil {
		return nil, 0, exitcode.New(exitcode.Usage, err)
	}
	files, skipped, err := source.ExpandInputs(args, a.Pattern, r)
	if err != nil {
		return nil, 0, exitcode.New(exitcode.Usage, err)
	}
	if skipped > 0 {
		log.Info("files outside --from/--to (or without a date in their name) skipped", "count", skipped)
	}
	if len(files) == 0 {
		return nil, 0, exitcode.New(exitcode.Usage, errors.New("no input files"))
	}
	inputs := make([]pipeline.Input, len(files))
	var total int64
	for i, f := range files {
		inputs[i] = pipeline.Input{Path: f, DocPath: source.DocPath(f, a.PathDir)}
		if st, err := os.Stat(f); err == nil {
			total += st.Size()
		}
	}
	return inputs, total, nil
}

// Open expands the arguments and opens the enrichment; its errors are
// usage errors.
func (a *Archive) Open(args []string, log *slog.Logger) ([]pipeline.Input, int64, *enrich.Enricher, func(), error) {
	inputs, total, err := a.Inputs(args, log)
	if err != nil {
		return nil, 0, nil, nil, err
	}
	enr, closeEnr, err := a.Enrich.Open(log)
	if err != nil {
		return nil, 0, nil, nil, exitcode.New(exitcode.Usage, flagError(err))
	}
	return inputs, total, enr, closeEnr, nil
}

// Read runs the inputs through the pipeline, a.Jobs files at a time,
// showing progress on w; it returns what was read and when it started.
func (a *Archive) Read(ctx context.Context, name string, w io.Writer, o pipeline.Options, inputs []pipeline.Input, total int64) (*pipeline.Stats, time.Time, error) {
	o.Workers, o.MaxLine = a.Workers, a.MaxLine
	st, start := &pipeline.Stats{}, time.Now()
	stop := pipeline.ShowProgress(ctx, w, name, total, st, o.Logger)
	defer stop()
	return st, start, pipeline.ReplayParallel(ctx, o, inputs, a.Jobs, st)
}

// OpenBulk connects to the engine, installs the index template and
// returns the bulk sink; hard bounds its retries at shutdown.
func OpenBulk(ctx, hard context.Context, c *sink.Conn, o *sink.Output, letters *sink.DeadLetters, log *slog.Logger) (*sink.Bulk, error) {
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
