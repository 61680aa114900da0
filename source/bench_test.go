package source

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ingestd/ingestd/internal/auditgen"
)

// countHandler counts lines and acknowledges on Flush, as an instantly
// acking sink would.
type countHandler struct {
	n    atomic.Int64
	last map[*Tracked][2]int64
}

func (c *countHandler) Line(f *Tracked, l Line) error {
	c.n.Add(1)
	c.last[f] = [2]int64{l.End, l.Number}
	return nil
}

func (c *countHandler) TooLong(f *Tracked, e *LineTooLongError) error {
	c.last[f] = [2]int64{e.End, e.Number}
	return nil
}

func (c *countHandler) Flush() error {
	for f, p := range c.last {
		f.Sent(p[0], p[1])
		f.Ack(p[0], 0)
	}
	clear(c.last)
	return nil
}

// BenchmarkTailFollow: the tailer follows a file that grows by b.N
// generated audit lines at once (the source side of e2e's
// BenchmarkTailThroughput, without parsing and indexing).
func BenchmarkTailFollow(b *testing.B) {
	dir := b.TempDir()
	g := auditgen.New(1, time.Date(2021, 9, 22, 10, 0, 0, 0, time.UTC))
	first := g.Append(nil)
	var buf []byte
	for range b.N {
		buf = g.Append(buf)
	}
	b.SetBytes(int64(len(buf) / b.N))
	path := filepath.Join(dir, "audit.2021-09-22.log")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	f.Write(first)
	reg, err := OpenRegistry(filepath.Join(dir, "registry.json"), nil)
	if err != nil {
		b.Fatal(err)
	}
	tl, err := NewTailer(TailConfig{Dir: dir, Registry: reg, PollInterval: 50 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	h := &countHandler{last: map[*Tracked][2]int64{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tl.Run(ctx, h) }()
	for h.n.Load() < 1 {
		time.Sleep(time.Millisecond)
	}
	b.ResetTimer()
	start := time.Now()
	if _, err := f.Write(buf); err != nil {
		b.Fatal(err)
	}
	for h.n.Load() < int64(b.N)+1 {
		time.Sleep(100 * time.Microsecond)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "lines/s")
	b.StopTimer()
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}
