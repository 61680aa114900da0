package sink

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a clock that moves only when told; safe for concurrent use.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) now() time.Time       { return time.Unix(0, c.ns.Load()).UTC() }
func (c *fakeClock) set(t time.Time)      { c.ns.Store(t.UnixNano()) }
func newFakeClock(t time.Time) *fakeClock { c := &fakeClock{}; c.set(t); return c }

// TestFlushIntervalEdge: a request goes out when its first document is
// exactly FlushInterval old by the sink's clock, and not a nanosecond
// before.
func TestFlushIntervalEdge(t *testing.T) {
	const interval = 40 * time.Millisecond // the ticker checks every 10 ms
	t0 := time.Date(2021, 9, 22, 23, 59, 59, 0, time.UTC)
	clk := newFakeClock(t0)
	tb := newTestBulk(t, BulkConfig{FlushInterval: interval}, okAnswer)
	tb.Bulk.mu.Lock()
	tb.now = clk.now
	tb.Bulk.mu.Unlock()
	if err := tb.Write(context.Background(), makeBatch(0, 1, nil)); err != nil {
		t.Fatal(err)
	}
	clk.set(t0.Add(interval - 1))
	time.Sleep(200 * time.Millisecond) // some 20 ticks
	if n := len(tb.tr.requests()); n != 0 {
		t.Fatalf("request sent when its document was %v old, FlushInterval %v", interval-1, interval)
	}
	clk.set(t0.Add(interval))
	if n := waitRequests(tb.tr, 1); n != 1 {
		t.Fatalf("%d requests when the document was exactly FlushInterval old, want 1", n)
	}
	if err := tb.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestBulkHealthLogEdge: the next warning comes exactly 30 s after the
// last one, not a nanosecond earlier; the recovery says how long the
// trouble lasted.
func TestBulkHealthLogEdge(t *testing.T) {
	var logs strings.Builder
	t0 := time.Date(2021, 9, 22, 12, 0, 0, 0, time.UTC)
	clk := newFakeClock(t0)
	h := &health{log: newTextLogger(&logs), now: clk.now}
	for _, step := range []struct {
		at    time.Duration
		warns int
	}{{0, 1}, {30*time.Second - 1, 1}, {30 * time.Second, 2}, {60*time.Second - 1, 2}, {60 * time.Second, 3}} {
		clk.set(t0.Add(step.at))
		h.failed(503, nil, nil)
		if n := strings.Count(logs.String(), "engine requests failing"); n != step.warns {
			t.Fatalf("failure at +%v: %d warnings, want %d:\n%s", step.at, n, step.warns, logs.String())
		}
	}
	if !strings.Contains(logs.String(), "for=1m0s failed_requests=5") {
		t.Errorf("third warning: %s", logs.String())
	}
	clk.set(t0.Add(75 * time.Second))
	h.ok()
	if !strings.Contains(logs.String(), "engine recovered") || !strings.Contains(logs.String(), "after=1m15s failed_requests=5") {
		t.Errorf("recovery: %s", logs.String())
	}
}
