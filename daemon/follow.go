package daemon

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ingestd/ingestd/metrics"
	"github.com/ingestd/ingestd/pipeline"
	"github.com/ingestd/ingestd/sink"
)

// follow runs the pipeline over the tailer until ctx ends or the sink
// fails for good, then shuts down in order.
func (d *daemon) follow(ctx context.Context) error {
	stopSave := d.saveEvery()
	// A sink that fails for good (its dead-letter file broke) stops the
	// daemon: reading on would only pile up unacknowledged lines.
	ctx, stopReading := context.WithCancelCause(ctx)
	defer stopReading(nil)
	go func() {
		select {
		case <-d.bulk.Done():
			if err := d.bulk.Err(); errors.Is(err, sink.ErrDeadLetterFailed) {
				stopReading(err)
			}
		case <-ctx.Done():
		}
	}()

	d.log.Info("following", "dir", d.c.Input.Dir, "pattern", d.c.Input.Pattern, "registry", d.c.Registry.Path)
	runErr := pipeline.Tail(ctx, pipeline.Options{
		Enricher: d.enr, Sink: d.bulk, DeadLetters: d.letters, MaxLine: d.c.Input.MaxLine, Logger: d.log, Workers: d.c.Workers,
	}, d.tailer, nil, &d.st)
	d.readingDone()

	// Shutdown, in order: reading has stopped; flush in-flight batches
	// (bounded by the shutdown timeout), then save the registry.
	closeErr := d.bulk.Close()
	stopSave()
	// Offsets cover dead-lettered lines only once those are on disk.
	saveErr := d.reg.SaveAfter(d.letters.Sync)
	d.summary()
	return d.outcome(context.Cause(ctx), saveErr, runErr, closeErr)
}

// saveEvery saves the registry every flush interval and reports the lag
// every status interval, until the returned function is called.
func (d *daemon) saveEvery() (stop func()) {
	done := make(chan struct{})
	quit := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(d.c.Registry.FlushInterval)
		defer t.Stop()
		status := time.NewTicker(d.c.StatusInterval)
		defer status.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				if err := d.reg.SaveAfter(d.letters.Sync); err != nil {
					d.saveFailures.Add(1)
					d.log.Error("registry not saved", "err", err)
				}
			case <-status.C:
				d.logLag()
			}
		}
	}()
	return func() { close(quit); <-done }
}

// outcome maps how the run ended to Run's error.
func (d *daemon) outcome(cause, saveErr, runErr, closeErr error) error {
	if cause != nil && !errors.Is(cause, context.Canceled) {
		return errors.Join(cause, saveErr) // the sink failed for good
	}
	if saveErr != nil {
		return saveErr
	}
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		return runErr
	}
	if closeErr != nil {
		if !errors.Is(closeErr, context.Canceled) {
			return closeErr
		}
		// Shutdown timeout: those lines are not committed in the registry
		// and are sent again on the next start.
		d.log.Warn("stopped before the engine acknowledged everything; the rest is sent again on the next start",
			"unsettled", d.bulk.Unsettled())
	}
	return nil
}

// summary writes what the run did to Stderr.
func (d *daemon) summary() {
	if d.o.Stderr == nil {
		return
	}
	fmt.Fprintf(d.o.Stderr, "run: %d lines, %d documents, %d dead-lettered, %d blank\n",
		d.st.Lines.Load(), d.st.Documents.Load(), d.st.DeadLetters.Load(), d.st.Blank.Load())
	d.bulk.Stats.WriteSummary(d.o.Stderr, "run")
}

// logLag reports how far behind the committed offsets are.
func (d *daemon) logLag() {
	lag := metrics.LagOf(d.tailer)
	b := &d.bulk.Stats
	d.log.Info("status", "bytes_behind", lag.Bytes, "seconds_behind", fmt.Sprintf("%.1f", lag.Seconds),
		"indexed", b.Indexed.Load(), "dead_lettered", b.DeadLettered.Load(), "retried", b.Retried.Load(),
		"ambiguous_keys", d.enr.AmbiguousKeys.Load(), "ambiguous_user_pool", d.enr.AmbiguousUserPool.Load())
}
