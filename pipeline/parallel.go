package pipeline

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/ingestd/ingestd/sink"
)

// ReplayParallel replays inputs, jobs files at a time, into o.Sink, each
// file through its own Replay with o.Workers/jobs workers (at least one).
// Writes to the shared sink are serialised; the documents of one file stay
// in order, files interleave. Every input is tried: the failed ones are
// reported together. Cancelling ctx stops handing out files.
func ReplayParallel(ctx context.Context, o Options, inputs []Input, jobs int, st *Stats) error {
	jobs, o.Workers = plan(jobs, len(inputs), o.Workers)
	if jobs == 1 {
		return Replay(ctx, o, inputs, st)
	}
	o.Sink = &lockedSink{s: o.Sink}
	next := make(chan Input)
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for range jobs {
		wg.Go(func() {
			for in := range next {
				if err := Replay(ctx, o, []Input{in}, st); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
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

// plan returns how many of n inputs ReplayParallel reads at once (1: one
// Replay over all of them, in order) and how many of the workers
// (GOMAXPROCS if <= 0) each of those gets (at least one).
func plan(jobs, n, workers int) (files, perFile int) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	files = max(1, min(jobs, n))
	return files, max(1, workers/files)
}

// lockedSink serialises Write for a sink shared by parallel replays.
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
