package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ingestd/ingestd/enrich"
	"github.com/ingestd/ingestd/metrics"
	"github.com/ingestd/ingestd/pipeline"
	"github.com/ingestd/ingestd/sink"
	"github.com/ingestd/ingestd/source"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// daemonConfig is the YAML configuration of `ingestd run`
// (deploy/ingestd.example.yaml). Unknown keys are errors.
type daemonConfig struct {
	Input struct {
		Dir          string        `yaml:"dir"`
		Pattern      string        `yaml:"pattern"`
		StartAt      string        `yaml:"start_at"`
		PollInterval time.Duration `yaml:"poll_interval"`
		RotateGrace  time.Duration `yaml:"rotate_grace"`
		IgnoreOlder  time.Duration `yaml:"ignore_older"`
		Poll         bool          `yaml:"poll"`
		MaxLine      int           `yaml:"max_line"`
	} `yaml:"input"`
	Registry struct {
		Path          string        `yaml:"path"`
		FlushInterval time.Duration `yaml:"flush_interval"`
	} `yaml:"registry"`
	Enrich     enrichFlags `yaml:"enrich"`
	Output     engineFlags `yaml:"output"`
	DeadLetter struct {
		Path string `yaml:"path"`
	} `yaml:"dead_letter"`
	Metrics struct {
		Listen string `yaml:"listen"`
	} `yaml:"metrics"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	StatusInterval  time.Duration `yaml:"status_interval"`
	Workers         int           `yaml:"workers"`
}

func defaultDaemonConfig() daemonConfig {
	var c daemonConfig
	c.Input.Dir = "/var/log/authing-server"
	c.Input.Pattern = "audit.*.log"
	c.Input.StartAt = "beginning"
	c.Input.PollInterval = time.Second
	c.Input.RotateGrace = 5 * time.Second
	c.Input.MaxLine = source.DefaultMaxLine
	c.Registry.Path = "/var/lib/ingestd/registry.json"
	c.Registry.FlushInterval = time.Second
	c.Enrich = enrichFlags{Lang: "zh-CN", CacheSize: 100_000, GeoIPCheck: defaultGeoIPCheck}
	c.Output = engineFlags{Flavor: sink.FlavorAuto, Index: sink.DefaultIndex, OpType: "index",
		FlushBytes: 5 << 20, FlushDocs: 5000, FlushInterval: time.Second, MaxInFlight: 2, RequestTimeout: time.Minute}
	c.DeadLetter.Path = "/var/lib/ingestd/dead-letters.ndjson"
	c.ShutdownTimeout = 30 * time.Second
	c.StatusInterval = 30 * time.Second
	return c
}

// problems validates a configuration: one message per problem.
func (c *daemonConfig) problems() []string {
	var p []string
	if st, err := os.Stat(c.Input.Dir); err != nil || !st.IsDir() {
		p = append(p, fmt.Sprintf("input.dir: %s is not a readable directory", c.Input.Dir))
	}
	if _, err := filepath.Match(c.Input.Pattern, ""); err != nil || c.Input.Pattern == "" {
		p = append(p, fmt.Sprintf("input.pattern: %q is not a valid glob", c.Input.Pattern))
	}
	if c.Input.StartAt != "beginning" && c.Input.StartAt != "end" {
		p = append(p, fmt.Sprintf("input.start_at: %q: want beginning or end", c.Input.StartAt))
	}
	if c.Input.MaxLine < 1024 {
		p = append(p, "input.max_line: must be at least 1024 bytes")
	}
	if c.Registry.Path == "" {
		p = append(p, "registry.path: required")
	} else if err := os.MkdirAll(filepath.Dir(c.Registry.Path), 0o700); err != nil {
		p = append(p, fmt.Sprintf("registry.path: %v", err))
	}
	if c.DeadLetter.Path == "" {
		p = append(p, "dead_letter.path: required")
	}
	if len(c.Output.URLs) == 0 {
		p = append(p, "output.urls: at least one engine URL is required")
	} else if err := checkURLs(c.Output.URLs); err != nil {
		p = append(p, "output.urls: "+err.Error())
	}
	switch c.Output.Flavor {
	case sink.FlavorAuto, sink.FlavorElasticsearch, sink.FlavorOpenSearch:
	default:
		p = append(p, fmt.Sprintf("output.engine: %q: want auto, elasticsearch or opensearch", c.Output.Flavor))
	}
	if c.Output.OpType != "index" && c.Output.OpType != "create" {
		p = append(p, fmt.Sprintf("output.op_type: %q: want index or create", c.Output.OpType))
	}
	if _, err := sink.Template([]byte(`{}`), c.Output.Index, c.Output.DataStream); err != nil {
		p = append(p, "output.index: "+err.Error())
	}
	for name, file := range map[string]string{"output.password_file": c.Output.PasswordFile, "output.api_key_file": c.Output.APIKeyFile, "output.ca_file": c.Output.CAFile} {
		if file != "" {
			if _, err := os.Stat(file); err != nil {
				p = append(p, fmt.Sprintf("%s: %v", name, err))
			}
		}
	}
	if _, err := enrich.LoadDictionary(c.Enrich.Lang, c.Enrich.Dict); err != nil {
		p = append(p, "enrich: "+err.Error())
	}
	if _, err := enrich.LoadDirectory(c.Enrich.Directory); err != nil {
		p = append(p, "enrich.directory: "+err.Error())
	}
	if c.Enrich.GeoIPDB != "" && !c.Enrich.NoGeoIP {
		if g, err := enrich.OpenGeoIP(c.Enrich.GeoIPDB, 1); err != nil {
			p = append(p, "enrich.geoip_db: "+err.Error())
		} else {
			g.Close()
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"input.poll_interval", c.Input.PollInterval}, {"registry.flush_interval", c.Registry.FlushInterval},
		{"output.flush_interval", c.Output.FlushInterval}, {"output.request_timeout", c.Output.RequestTimeout},
		{"shutdown_timeout", c.ShutdownTimeout}, {"status_interval", c.StatusInterval},
	} {
		if d.v <= 0 {
			p = append(p, fmt.Sprintf("%s: %v: must be a positive duration such as 1s", d.name, d.v))
		}
	}
	if c.Input.RotateGrace < 0 {
		p = append(p, fmt.Sprintf("input.rotate_grace: %v: must not be negative", c.Input.RotateGrace))
	}
	if c.Input.IgnoreOlder < 0 {
		p = append(p, fmt.Sprintf("input.ignore_older: %v: must not be negative (0 = read files of any age)", c.Input.IgnoreOlder))
	} else if c.Input.IgnoreOlder > 0 && c.Input.IgnoreOlder <= c.Input.RotateGrace {
		p = append(p, fmt.Sprintf("input.ignore_older: %v: must be longer than input.rotate_grace (%v), or the day being finished could be skipped", c.Input.IgnoreOlder, c.Input.RotateGrace))
	}
	for _, n := range []struct {
		name string
		v    int
	}{
		{"output.flush_bytes", c.Output.FlushBytes}, {"output.flush_docs", c.Output.FlushDocs},
		{"output.max_in_flight", c.Output.MaxInFlight},
	} {
		if n.v <= 0 {
			p = append(p, fmt.Sprintf("%s: %d: must be positive", n.name, n.v))
		}
	}
	if l := c.Metrics.Listen; l != "" {
		if _, _, err := net.SplitHostPort(l); err != nil {
			p = append(p, fmt.Sprintf("metrics.listen: %q: want host:port or :port", l))
		}
	}
	if c.Enrich.GeoIPCheck < 0 {
		p = append(p, fmt.Sprintf("enrich.geoip_check_interval: %v: must not be negative (0 = no check)", c.Enrich.GeoIPCheck))
	}
	if c.Workers < 0 {
		p = append(p, fmt.Sprintf("workers: %d: must not be negative (0 = one per CPU)", c.Workers))
	}
	if c.Output.MaxRetries < 0 {
		p = append(p, fmt.Sprintf("output.max_retries: %d: must not be negative (0 = retry forever)", c.Output.MaxRetries))
	}
	return p
}

// applyFlags lays the flags the user set over the configuration.
func applyFlags(fl *pflag.FlagSet, overlay func()) {
	type set struct {
		f     *pflag.Flag
		val   string
		slice []string
	}
	var changed []set
	fl.Visit(func(f *pflag.Flag) {
		s := set{f: f, val: f.Value.String()}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			s.slice = sv.GetSlice()
		}
		changed = append(changed, s)
	})
	overlay()
	for _, s := range changed {
		if sv, ok := s.f.Value.(pflag.SliceValue); ok {
			sv.Replace(s.slice)
		} else {
			s.f.Value.Set(s.val)
		}
	}
}

func newRunCmd(hard context.Context) *cobra.Command {
	var (
		configPath string
		c          = defaultDaemonConfig()
	)
	cmd := &cobra.Command{
		Use:   "run --config ingestd.yaml",
		Short: "Follow the live audit files and index every line exactly once in effect",
		Long: `Run follows the dated audit files of a directory (oldest unfinished file first,
then the current one), indexes every line into the engine and commits each
file's offset to the registry only once the engine holds (or the dead-letter
file has) every line before it. Flags override the configuration file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var (
				loadErr error
				file    *configFile
			)
			applyFlags(cmd.Flags(), func() {
				c, file, loadErr = loadConfig(configPath)
			})
			if loadErr != nil {
				return &exitError{2, loadErr}
			}
			if p := file.report(&c); len(p) > 0 {
				return &exitError{2, fmt.Errorf("configuration:\n  %s", strings.Join(p, "\n  "))}
			}
			return runDaemon(cmd.Context(), hard, &c, cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&configPath, "config", "c", "", "YAML configuration file")
	fl.StringVar(&c.Input.Dir, "dir", c.Input.Dir, "directory of the audit files")
	fl.StringVar(&c.Input.Pattern, "pattern", c.Input.Pattern, "glob of the audit file names")
	fl.StringVar(&c.Registry.Path, "registry", c.Registry.Path, "registry file (committed offsets)")
	fl.StringVar(&c.DeadLetter.Path, "dlq", c.DeadLetter.Path, "dead-letter file")
	fl.StringSliceVar(&c.Output.URLs, "es", nil, "engine URL(s)")
	fl.StringVar(&c.Enrich.GeoIPDB, "geoip-db", "", "MaxMind City database")
	fl.StringVar(&c.Enrich.Host, "host", "", "the documents' host field (default: hostname)")
	fl.StringVar(&c.Output.Index, "index", c.Output.Index, "index name pattern")
	fl.DurationVar(&c.Output.FlushInterval, "flush-interval", c.Output.FlushInterval, "bulk flush interval")
	fl.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "how long to finish in-flight work after SIGTERM")
	fl.StringVar(&c.Metrics.Listen, "metrics-listen", c.Metrics.Listen, "serve /metrics (Prometheus) and /healthz on this address, e.g. :9108")
	return cmd
}

func newCheckConfigCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check-config FILE",
		Short: "Check a configuration file: one clear message per problem",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, file, err := loadConfig(args[0])
			if err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), err)
				return &exitError{1, errors.New("configuration is invalid")}
			}
			if p := file.report(&c); len(p) > 0 {
				for _, m := range p {
					fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s\n", args[0], m)
				}
				return &exitError{1, fmt.Errorf("%d problem(s)", len(p))}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: OK\n", args[0])
			return nil
		},
	}
}

// runDaemon wires tailer → pipeline → bulk sink → registry.
func runDaemon(ctx, hard context.Context, c *daemonConfig, stderr io.Writer) error {
	log := slog.Default()
	reg, err := source.OpenRegistry(c.Registry.Path, log)
	if err != nil {
		return &exitError{1, err}
	}
	enr, closeEnr, err := c.Enrich.build(log)
	if err != nil {
		return &exitError{2, err}
	}
	defer closeEnr()
	lc := startLifecycle(ctx, &c.Enrich, enr, log)
	letters := sink.NewDeadLetters(c.DeadLetter.Path)
	defer letters.Close()

	// Metrics and health are served from the start — also while the
	// engine is still being reached, which must not fail a liveness probe.
	var st pipeline.Stats
	var saveFailures atomic.Int64
	collector := metrics.NewCollector(metrics.Sources{Pipeline: &st, Enricher: enr, RegistrySave: &saveFailures, Reloads: &lc.Reloads})
	if c.Metrics.Listen != "" {
		stop, err := metrics.Listen(c.Metrics.Listen, metrics.Handler(collector, collector.SinkHealth))
		if err != nil {
			return &exitError{2, err}
		}
		defer stop()
		log.Info("metrics", "listen", c.Metrics.Listen, "paths", "/metrics /healthz")
	}

	// The sink outlives reading by up to the shutdown timeout, counted from
	// the signal — or from when reading stopped on its own (an error), so
	// that a daemon whose engine is down cannot hang there.
	readingDone, stopReadingDone := context.WithCancel(ctx)
	defer stopReadingDone()
	sinkCtx, cancelSink := graceAfter(readingDone, hard, c.ShutdownTimeout)
	defer cancelSink()
	bulk, err := c.Output.open(ctx, sinkCtx, letters, log)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return &exitError{1, err}
	}
	tailer, err := source.NewTailer(source.TailConfig{
		Dir: c.Input.Dir, Pattern: c.Input.Pattern, Registry: reg, StartAtEnd: c.Input.StartAt == "end",
		PollInterval: c.Input.PollInterval, RotateGrace: c.Input.RotateGrace, IgnoreOlder: c.Input.IgnoreOlder, Poll: c.Input.Poll,
		MaxLine: c.Input.MaxLine, Logger: log,
	})
	if err != nil {
		return &exitError{2, err}
	}

	collector.Update(metrics.Sources{Pipeline: &st, Bulk: bulk, Enricher: enr, Tailer: tailer, RegistrySave: &saveFailures, Reloads: &lc.Reloads})
	lc.ready() // the registry is loaded and the engine has answered

	// Save the registry periodically, and report lag.
	saveDone := make(chan struct{})
	stopSave := make(chan struct{})
	go func() {
		defer close(saveDone)
		t := time.NewTicker(c.Registry.FlushInterval)
		defer t.Stop()
		status := time.NewTicker(c.StatusInterval)
		defer status.Stop()
		for {
			select {
			case <-stopSave:
				return
			case <-t.C:
				if err := reg.SaveAfter(letters.Sync); err != nil {
					saveFailures.Add(1)
					log.Error("registry not saved", "err", err)
				}
			case <-status.C:
				logLag(log, tailer, bulk, enr)
			}
		}
	}()

	// A sink that fails for good (its dead-letter file broke) stops the
	// daemon: reading on would only pile up unacknowledged lines.
	ctx, stopReading := context.WithCancelCause(ctx)
	defer stopReading(nil)
	go func() {
		select {
		case <-bulk.Done():
			if err := bulk.Err(); errors.Is(err, sink.ErrDeadLetterFailed) {
				stopReading(err)
			}
		case <-ctx.Done():
		}
	}()

	log.Info("following", "dir", c.Input.Dir, "pattern", c.Input.Pattern, "registry", c.Registry.Path)
	runErr := pipeline.Tail(ctx, pipeline.Options{
		Enricher: enr, Sink: bulk, DeadLetters: letters, MaxLine: c.Input.MaxLine, Logger: log, Workers: c.Workers,
	}, tailer, nil, &st)
	stopReadingDone()

	// Shutdown, in order: reading has stopped; flush in-flight batches
	// (bounded by the shutdown timeout), then save the registry.
	closeErr := bulk.Close()
	close(stopSave)
	<-saveDone
	// Offsets cover dead-lettered lines only once those are on disk.
	saveErr := reg.SaveAfter(letters.Sync)
	fmt.Fprintf(stderr, "run: %d lines, %d documents, %d dead-lettered, %d blank\n",
		st.Lines.Load(), st.Documents.Load(), st.DeadLetters.Load(), st.Blank.Load())
	printBulkSummary(stderr, &bulk.Stats, "run")
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return &exitError{1, errors.Join(cause, saveErr)} // the sink failed for good
	}
	if saveErr != nil {
		return &exitError{1, saveErr}
	}
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		return &exitError{1, runErr}
	}
	if closeErr != nil {
		if !errors.Is(closeErr, context.Canceled) {
			return &exitError{1, closeErr}
		}
		// Shutdown timeout: those lines are not committed in the registry
		// and are sent again on the next start.
		log.Warn("stopped before the engine acknowledged everything; the rest is sent again on the next start",
			"unsettled", bulk.Unsettled())
	}
	return nil
}

// logLag reports how far behind the committed offsets are.
func logLag(log *slog.Logger, t *source.Tailer, b *sink.Bulk, enr *enrich.Enricher) {
	lag := metrics.LagOf(t)
	log.Info("status", "bytes_behind", lag.Bytes, "seconds_behind", fmt.Sprintf("%.1f", lag.Seconds),
		"indexed", b.Stats.Indexed.Load(), "dead_lettered", b.Stats.DeadLettered.Load(), "retried", b.Stats.Retried.Load(),
		"ambiguous_keys", enr.AmbiguousKeys.Load(), "ambiguous_user_pool", enr.AmbiguousUserPool.Load())
}
