package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/ingestd/ingestd/pipeline"
	"github.com/ingestd/ingestd/sink"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

var fileDate = regexp.MustCompile(`\d{4}-\d{2}-\d{2}`)

// expandInputs turns FILE, DIR and GLOB arguments into files, sorted within
// each argument and deduplicated, keeping those whose name's date lies in
// [from, to] (either may be empty). Files without a date in their name are
// skipped only when a date range is given; the count is returned.
func expandInputs(args []string, pattern, from, to string) (files []string, skipped int, err error) {
	seen := map[string]bool{}
	add := func(p string) {
		if seen[p] {
			return
		}
		seen[p] = true
		if from != "" || to != "" {
			d := fileDate.FindString(filepath.Base(p))
			if d == "" || (from != "" && d < from) || (to != "" && d > to) {
				skipped++
				return
			}
		}
		files = append(files, p)
	}
	for _, a := range args {
		st, statErr := os.Stat(a)
		switch {
		case statErr == nil && st.IsDir():
			entries, err := os.ReadDir(a)
			if err != nil {
				return nil, 0, err
			}
			var names []string
			for _, e := range entries {
				if ok, _ := filepath.Match(pattern, e.Name()); !ok {
					continue
				}
				full := filepath.Join(a, e.Name())
				// Follow symbolic links (logrotate setups use them); keep
				// regular files only.
				if st, err := os.Stat(full); err == nil && st.Mode().IsRegular() {
					names = append(names, full)
				}
			}
			sort.Strings(names)
			for _, n := range names {
				add(n)
			}
		case statErr == nil:
			add(a)
		default:
			matches, gerr := filepath.Glob(a)
			if gerr != nil || len(matches) == 0 {
				add(a) // reported as unreadable by the run
				continue
			}
			sort.Strings(matches)
			for _, m := range matches {
				add(m)
			}
		}
	}
	return files, skipped, nil
}

func checkDate(name, v string) error {
	if v == "" {
		return nil
	}
	if _, err := time.Parse("2006-01-02", v); err != nil {
		return fmt.Errorf("--%s %q: want YYYY-MM-DD", name, v)
	}
	return nil
}

// lockedSink serialises Write for sinks shared by parallel replays.
type lockedSink struct {
	mu sync.Mutex
	s  sink.Sink
}

func (l *lockedSink) Write(ctx context.Context, b *sink.Batch) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.s.Write(ctx, b)
}
func (l *lockedSink) Close() error { return nil } // the owner closes s

// replayParallel replays inputs, j files at a time, into one sink.
func replayParallel(ctx context.Context, o pipeline.Options, inputs []pipeline.Input, j int, st *pipeline.Stats) error {
	if j <= 1 || len(inputs) <= 1 {
		return pipeline.Replay(ctx, o, inputs, st)
	}
	o.Sink = &lockedSink{s: o.Sink}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	o.Workers = max(1, o.Workers/j)
	next := make(chan pipeline.Input)
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for range j {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for in := range next {
				if err := pipeline.Replay(ctx, o, []pipeline.Input{in}, st); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	for _, in := range inputs {
		select {
		case next <- in:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	if len(errs) > 0 {
		return fmt.Errorf("%d input(s) failed: %w", len(errs), errors.Join(errs...))
	}
	return nil
}

// progress shows a bar on a terminal, and a log line every 10 s otherwise.
func progress(ctx context.Context, w io.Writer, total int64, st *pipeline.Stats, log *slog.Logger) func() {
	return progressNamed(ctx, w, "replay", total, st, log)
}

// progressNamed is progress with the command's name on the bar.
func progressNamed(ctx context.Context, w io.Writer, name string, total int64, st *pipeline.Stats, log *slog.Logger) func() {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	go func() {
		defer close(done)
		start := time.Now()
		var bar *progressbar.ProgressBar
		every := 10 * time.Second
		if tty {
			bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(w), progressbar.OptionShowBytes(true),
				progressbar.OptionSetDescription(name), progressbar.OptionThrottle(200*time.Millisecond),
				progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish(), progressbar.OptionFullWidth())
			every = 200 * time.Millisecond
		}
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				if bar != nil {
					bar.Finish()
				}
				return
			case <-t.C:
				done := st.DiskBytes.Load()
				if bar != nil {
					bar.Describe(fmt.Sprintf("%s %d lines, %.0f lines/s", name, st.Lines.Load(), float64(st.Lines.Load())/time.Since(start).Seconds()))
					bar.Set64(done)
					continue
				}
				el := time.Since(start)
				eta := "?"
				if done > 0 {
					eta = (time.Duration(float64(el) * float64(total-done) / float64(done))).Round(time.Second).String()
				}
				log.Info("progress", "bytes", done, "of", total, "lines", st.Lines.Load(),
					"lines_per_s", int(float64(st.Lines.Load())/el.Seconds()), "eta", eta)
			}
		}
	}()
	return func() { cancel(); <-done }
}
