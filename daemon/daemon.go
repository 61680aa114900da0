package daemon

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"sync/atomic"

	"github.com/ingestd/ingestd/enrich"
	"github.com/ingestd/ingestd/internal/shutdown"
	"github.com/ingestd/ingestd/metrics"
	"github.com/ingestd/ingestd/pipeline"
	"github.com/ingestd/ingestd/sink"
	"github.com/ingestd/ingestd/source"
)

// Options are what the daemon gets from its command besides the
// configuration.
type Options struct {
	// Hard ends when in-flight work must be abandoned (a second signal);
	// the context given to Run ends when reading must stop (the first).
	Hard context.Context
	// Hangups delivers SIGHUP: the dictionary and directory are reloaded.
	Hangups <-chan os.Signal
	// Template is the index template installed at start
	// (deploy.IndexTemplate).
	Template []byte
	Stderr   io.Writer // the end-of-run summary
	Logger   *slog.Logger
}

// UsageError is a problem of the configuration or of a file it names
// (`ingestd run` exits 2); Run's other errors are failures (exit 1).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Check returns every problem of c, as `ingestd check-config` reports
// them: Problems, and the enrich section's files opened (and closed).
func Check(c *Config, log *slog.Logger) []string {
	if log == nil {
		log = slog.Default()
	}
	p := c.Problems()
	_, closeEnr, err := c.Enrich.Open(log)
	if err != nil {
		return append(p, enrichProblem(err))
	}
	closeEnr()
	return p
}

// enrichProblem names the enrich key an error is about.
func enrichProblem(err error) string {
	var se *enrich.SettingError
	if errors.As(err, &se) {
		return "enrich." + se.Error()
	}
	return "enrich: " + err.Error()
}

// daemon is one run: what start opened, in the order it is closed.
type daemon struct {
	c            *Config
	o            Options
	log          *slog.Logger
	reg          *source.Registry
	enr          *enrich.Enricher
	life         *lifecycle
	letters      *sink.DeadLetters
	collector    *metrics.Collector
	bulk         *sink.Bulk
	tailer       *source.Tailer
	st           pipeline.Stats
	saveFailures atomic.Int64
	readingDone  context.CancelFunc // starts the sink's shutdown timeout
	closers      []func()
}

// errStopped: the daemon was stopped while it reached the engine.
var errStopped = errors.New("stopped before start-up completed")

// Run follows the files, indexes every line and commits offsets the
// engine (or the dead-letter file) covers, until ctx ends or the sink
// fails for good. c must have passed Problems (the command reports them
// with their lines); the files the enrich section names are opened here,
// once. Then, in order: reading stops, in-flight batches are flushed
// (bounded by ShutdownTimeout from the signal), the registry is saved.
func Run(ctx context.Context, c *Config, o Options) error {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Hard == nil {
		o.Hard = context.Background()
	}
	d := &daemon{c: c, o: o, log: o.Logger}
	defer d.close()
	if err := d.start(ctx); err != nil {
		if errors.Is(err, errStopped) {
			return nil
		}
		return err
	}
	return d.follow(ctx)
}

func (d *daemon) close() {
	for i := len(d.closers) - 1; i >= 0; i-- {
		d.closers[i]()
	}
}

// start opens the registry, the enrichment, the dead-letter file, the
// metrics endpoint, the engine and the tailer.
func (d *daemon) start(ctx context.Context) error {
	var err error
	if d.reg, err = source.OpenRegistry(d.c.Registry.Path, d.log); err != nil {
		return err
	}
	enr, closeEnr, err := d.c.Enrich.Open(d.log)
	if err != nil {
		return &UsageError{errors.New(enrichProblem(err))}
	}
	d.enr = enr
	d.closers = append(d.closers, closeEnr)
	d.life = startLifecycle(ctx, &d.c.Enrich, enr, d.o.Hangups, d.log)
	d.letters = sink.NewDeadLetters(d.c.DeadLetter.Path)
	d.closers = append(d.closers, func() { d.letters.Close() })
	if err := d.serveMetrics(); err != nil {
		return &UsageError{err}
	}
	if err := d.openSink(ctx); err != nil {
		if ctx.Err() != nil {
			return errStopped
		}
		return err
	}
	if d.tailer, err = source.NewTailer(d.tailConfig()); err != nil {
		return &UsageError{err}
	}
	d.collector.Update(d.sources())
	d.life.ready() // the registry is loaded and the engine has answered
	return nil
}

func (d *daemon) tailConfig() source.TailConfig {
	tc := d.c.tailConfig(d.reg)
	tc.Logger = d.log
	return tc
}

func (d *daemon) sources() metrics.Sources {
	s := metrics.Sources{Pipeline: &d.st, Enricher: d.enr, RegistrySave: &d.saveFailures, Reloads: &d.life.Reloads}
	if d.bulk != nil {
		s.Bulk = d.bulk
	}
	if d.tailer != nil {
		s.Tailer = d.tailer
	}
	return s
}

// serveMetrics serves /metrics and /healthz from the start — also while
// the engine is still being reached, which must not fail a liveness probe.
func (d *daemon) serveMetrics() error {
	d.collector = metrics.NewCollector(d.sources())
	if d.c.Metrics.Listen == "" {
		return nil
	}
	stop, err := metrics.Listen(d.c.Metrics.Listen, metrics.Handler(d.collector, d.collector.SinkHealth))
	if err != nil {
		return err
	}
	d.closers = append(d.closers, func() { stop() })
	d.log.Info("metrics", "listen", d.c.Metrics.Listen, "paths", "/metrics /healthz")
	return nil
}

// openSink connects to the engine, installs the index template and
// starts the bulk sink.
func (d *daemon) openSink(ctx context.Context) error {
	tr, flavor, err := d.c.Output.Connect(ctx, d.log)
	if err != nil {
		return err
	}
	out := &d.c.Output.Output
	d.log.Info("indexing into the engine", "flavor", flavor, "index", out.Index, "data_stream", out.DataStream, "op_type", out.OpType)
	// The sink outlives reading by up to the shutdown timeout, counted from
	// the signal — or from when reading stopped on its own (an error), so
	// that a daemon whose engine is down cannot hang there.
	readingDone, stopReadingDone := context.WithCancel(ctx)
	sinkCtx, cancelSink := shutdown.GraceAfter(readingDone, d.o.Hard, d.c.ShutdownTimeout)
	d.closers = append(d.closers, stopReadingDone, cancelSink)
	d.readingDone = stopReadingDone
	d.bulk, err = out.Open(ctx, sinkCtx, tr, d.o.Template, d.letters, d.log)
	return err
}
