package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ingestd/ingestd/enrich"
	"github.com/ingestd/ingestd/pipeline"
	"github.com/ingestd/ingestd/sink"
	"github.com/spf13/cobra"
)

type enrichFlags struct {
	GeoIPDB   string `yaml:"geoip_db"`
	NoGeoIP   bool   `yaml:"no_geoip"`
	Dict      string `yaml:"dict"`
	Lang      string `yaml:"lang"`
	Host      string `yaml:"host"`
	Directory string `yaml:"directory"`
	CacheSize int    `yaml:"cache_size"`
	// GeoIPCheck is how often the daemon looks for a replaced database.
	GeoIPCheck time.Duration `yaml:"geoip_check_interval"`
}

func (f *enrichFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.GeoIPDB, "geoip-db", "", "MaxMind City database (default: first of "+strings.Join(enrich.DefaultGeoIPPaths, ", ")+")")
	fl.BoolVar(&f.NoGeoIP, "no-geoip", false, "do not add geoip blocks")
	fl.StringVar(&f.Dict, "dict", "", "dictionary file (YAML or JSON) laid over the --lang defaults")
	fl.StringVar(&f.Lang, "lang", "zh-CN", "display language of translated codes: "+strings.Join(enrich.Languages, ", "))
	fl.StringVar(&f.Host, "host", "", "value of the documents' host field (default: this machine's hostname)")
	fl.StringVar(&f.Directory, "directory", "", "directory file with userPools (id → name) and photos (userId → URL)")
	fl.IntVar(&f.CacheSize, "cache-size", 100_000, "entries in each of the geoip and user-agent caches")
}

// build opens the enrichers. The returned close function releases them.
func (f *enrichFlags) build(log *slog.Logger) (*enrich.Enricher, func(), error) {
	dict, err := enrich.LoadDictionary(f.Lang, f.Dict)
	if err != nil {
		return nil, nil, err
	}
	dir, err := enrich.LoadDirectory(f.Directory)
	if err != nil {
		return nil, nil, err
	}
	host := f.Host
	if host == "" {
		if host, err = os.Hostname(); err != nil {
			return nil, nil, fmt.Errorf("hostname: %w (set --host)", err)
		}
	}
	ua, err := enrich.NewUserAgents(f.CacheSize)
	if err != nil {
		return nil, nil, err
	}
	cfg := enrich.Config{UA: ua, Dict: dict, Directory: dir, Host: host}
	closeFn := func() {}
	if !f.NoGeoIP {
		path := f.GeoIPDB
		if path == "" {
			path = enrich.FindGeoIPDatabase()
		}
		if path == "" {
			log.Warn("no GeoIP database found; documents will have no geoip block", "searched", enrich.DefaultGeoIPPaths, "hint", "use --geoip-db PATH")
		} else {
			geo, err := enrich.OpenGeoIP(path, f.CacheSize)
			if err != nil {
				return nil, nil, err
			}
			cfg.GeoIP = geo
			closeFn = func() { geo.Close() }
		}
	}
	return enrich.New(cfg), closeFn, nil
}

func newReplayCmd(hard context.Context) *cobra.Command {
	var (
		ef      enrichFlags
		engine  engineFlags
		out     string
		dlq     string
		pathDir string
		workers int
		maxLine int
		jobs    int
		from    string
		to      string
		pattern string
		allowDL bool
	)
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
		RunE: func(cmd *cobra.Command, args []string) error {
			log := slog.Default()
			if err := errors.Join(checkDate("from", from), checkDate("to", to)); err != nil {
				return &exitError{2, err}
			}
			files, skipped, err := expandInputs(args, pattern, from, to)
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

			letters := sink.NewDeadLetters(dlq)
			var docs sink.Sink
			var bulk *sink.Bulk
			if engine.enabled() {
				if out != "" {
					return &exitError{2, errors.New("--out and --es exclude each other")}
				}
				sinkCtx, cancelSink := graceAfter(cmd.Context(), hard, replayGrace)
				defer cancelSink()
				if bulk, err = engine.open(cmd.Context(), sinkCtx, letters, log); err != nil {
					return &exitError{1, err}
				}
				docs = bulk
			} else {
				var w io.Writer = cmd.OutOrStdout()
				var c io.Closer
				if out != "" && out != "-" {
					f, err := os.Create(out)
					if err != nil {
						return &exitError{1, err}
					}
					w, c = f, f
				}
				docs = sink.NewNDJSON(w, c)
			}

			inputs := make([]pipeline.Input, len(files))
			var total int64
			for i, a := range files {
				inputs[i] = pipeline.Input{Path: a, DocPath: docPath(a, pathDir)}
				if st, err := os.Stat(a); err == nil {
					total += st.Size()
				}
			}
			var st pipeline.Stats
			start := time.Now()
			stopProgress := progress(cmd.Context(), cmd.ErrOrStderr(), total, &st, log)
			runErr := replayParallel(cmd.Context(), pipeline.Options{
				Enricher: enr, Sink: docs, DeadLetters: letters, Workers: workers, MaxLine: maxLine, Logger: log,
			}, inputs, jobs, &st)
			stopProgress()
			if err := docs.Close(); err != nil && runErr == nil {
				runErr = err
			}
			if err := letters.Close(); err != nil && runErr == nil {
				runErr = err
			}
			printSummary(cmd.ErrOrStderr(), &st, enr, letters, time.Since(start))
			if bulk != nil {
				printBulkSummary(cmd.ErrOrStderr(), &bulk.Stats, "replay")
			}
			if cmd.Context().Err() != nil {
				return &exitError{130, fmt.Errorf("interrupted: the replay is incomplete; run it again (documents are idempotent by _id): %w", errors.Join(runErr, context.Cause(cmd.Context())))}
			}
			if runErr != nil {
				return &exitError{1, runErr}
			}
			dead := st.DeadLetters.Load()
			if bulk != nil {
				dead += bulk.Stats.DeadLettered.Load()
			}
			if dead > 0 && !allowDL {
				return &exitError{1, fmt.Errorf("%d line(s) dead-lettered to %s (--allow-dead-letters to exit 0)", dead, letters.Path())}
			}
			return nil
		},
	}
	ef.register(cmd)
	engine.register(cmd)
	fl := cmd.Flags()
	fl.StringVarP(&out, "out", "o", "", "write documents to this file instead of stdout")
	fl.StringVar(&dlq, "dlq", "ingestd-dead-letters.ndjson", "dead-letter file (NDJSON; created on the first rejected line)")
	fl.StringVar(&pathDir, "path-dir", "", "record the documents' path as DIR/NAME (NAME without .gz), as the daemon on the log host would")
	fl.IntVarP(&workers, "workers", "w", 0, "parse and enrich goroutines (default: number of CPUs)")
	fl.IntVar(&maxLine, "max-line", 8<<20, "longest line in bytes; longer lines are dead-lettered")
	fl.IntVarP(&jobs, "jobs", "j", 1, "files replayed in parallel")
	fl.StringVar(&from, "from", "", "only files whose name's date is on or after YYYY-MM-DD")
	fl.StringVar(&to, "to", "", "only files whose name's date is on or before YYYY-MM-DD")
	fl.StringVar(&pattern, "pattern", "audit.*", "names of the files taken from a directory argument")
	fl.BoolVar(&allowDL, "allow-dead-letters", false, "exit 0 even when lines were dead-lettered")
	return cmd
}

// docPath returns the "path" field for a replayed file.
func docPath(file, dir string) string {
	if dir == "" {
		if abs, err := filepath.Abs(file); err == nil {
			return abs
		}
		return file
	}
	return filepath.Join(dir, strings.TrimSuffix(filepath.Base(file), ".gz"))
}

func printSummary(w io.Writer, st *pipeline.Stats, enr *enrich.Enricher, letters *sink.DeadLetters, d time.Duration) {
	lines := st.Lines.Load()
	rate := float64(lines) / d.Seconds()
	fmt.Fprintf(w, "replay: %d file(s) read, %d failed; %d lines, %d documents, %d dead-lettered, %d blank; %.0f lines/s in %s\n",
		st.Files.Load(), st.FilesFailed.Load(), lines, st.Documents.Load(), st.DeadLetters.Load(), st.Blank.Load(), rate, d.Round(time.Millisecond))
	if n := letters.Count(); n > 0 {
		fmt.Fprintf(w, "replay: dead letters in %s\n", letters.Path())
	}
	if n := enr.InvalidUTF8.Load(); n > 0 {
		fmt.Fprintf(w, "replay: %d document(s) had invalid UTF-8 (replaced by U+FFFD, tagged _invalid_utf8)\n", n)
	}
	if n := enr.AmbiguousKeys.Load(); n > 0 {
		fmt.Fprintf(w, "replay: %d document(s) with a repeated or out-of-order key (tagged _ambiguous_keys), %d of them with an ambiguous userPoolId\n",
			n, enr.AmbiguousUserPool.Load())
	}
	if g := enr.GeoIPStats(); g != nil {
		fmt.Fprintf(w, "replay: geoip found %d, private/reserved %d, not in database %d, no valid clientIp %d\n",
			g.Found.Load(), g.Private.Load(), g.NotFound.Load(), g.Invalid.Load())
	}
}
