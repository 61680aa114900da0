package source

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ingestd/ingestd/internal/syncbuf"
)

// Tests of issue 15 for follow.go survivors: what the change notifier
// alone (the poll ticker far off) must make the follower do.

// startNotified starts a tailer whose poll ticker never fires during the
// test: only nxadm/tail's notifications drive the follower.
func startNotified(t *testing.T, dir string, rec *recorder, h Handler) (*harness, *syncbuf.Buffer) {
	t.Helper()
	return startHandler(t, TailConfig{Dir: dir, PollInterval: time.Hour, RotateGrace: time.Hour}, rec, h)
}

// startHandler starts a tailer with cfg (its own registry and a logger
// into the returned buffer) handing lines to h, which records them in
// rec.
func startHandler(t *testing.T, cfg TailConfig, rec *recorder, h Handler) (*harness, *syncbuf.Buffer) {
	t.Helper()
	logs := &syncbuf.Buffer{}
	cfg.Registry, cfg.Logger = newRegistry(t), slog.New(slog.NewTextHandler(logs, nil))
	tl, err := NewTailer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := &harness{t: t, dir: cfg.Dir, reg: cfg.Registry, tl: tl, rec: rec, done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	hs.cancel = cancel
	go func() { hs.done <- tl.Run(ctx, h) }()
	return hs, logs
}

// TestTailTruncatedBeforeAnyWrite: the followed file is cut (to its first
// lines, the first line unchanged) before anything else was written to
// it. nxadm/tail's watcher, started at offset 0, knows no earlier size
// and reports the cut as a modification, not a truncation: the size,
// below what was read, must tell, and reading restarts from 0.
func TestTailTruncatedBeforeAnyWrite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.2021-09-22.log")
	f := create(t, path)
	g := gen(31)
	first := writeAudit(t, f, g, 5)
	want := append(first, writeAudit(t, f, g, 15)...)
	rec := newRecorder()
	h, logs := startNotified(t, dir, rec, rec)
	equal(t, h.rec.waitFor(t, len(want)), want)
	keep := 0
	for _, l := range first {
		keep += len(l) + 1
	}
	if err := os.Truncate(path, int64(keep)); err != nil {
		t.Fatal(err)
	}
	want = append(want, first...)
	equal(t, h.rec.waitFor(t, len(want)), want)
	h.stop()
	if !strings.Contains(logs.String(), truncatedMsg) {
		t.Errorf("the truncation was not logged:\n%s", logs)
	}
}

// gate is a recorder whose Line blocks on the line "gate" until released:
// the follower is then busy, and what happens to the file meanwhile is
// seen only afterwards.
type gate struct {
	*recorder
	blocked, release chan struct{}
}

func (g gate) Line(f *Tracked, l Line) error {
	if string(l.Bytes) == "gate" {
		close(g.blocked)
		<-g.release
	}
	return g.recorder.Line(f, l)
}

// TestTailRenamedAndBack: the followed file is renamed away and back
// before the follower looks. nxadm/tail's watcher reports a deletion and
// ends; the path still names the file, so it is kept and watched again:
// lines written afterwards still come without a poll.
func TestTailRenamedAndBack(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.2021-09-22.log")
	f := create(t, path)
	want := appendLines(t, f, "a", 0, 5)
	gh := gate{recorder: newRecorder(), blocked: make(chan struct{}), release: make(chan struct{})}
	h, logs := startNotified(t, dir, gh.recorder, gh)
	equal(t, h.rec.waitFor(t, len(want)), want)
	mustWrite(t, f, "gate\n")
	<-gh.blocked
	if err := os.Rename(path, path+".moved"); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".moved", path); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the watcher sees the move and ends
	close(gh.release)
	want = append(want, "gate")
	equal(t, h.rec.waitFor(t, len(want)), want)
	for round := range 3 { // several rounds: watched again each time
		want = append(want, appendLines(t, f, "b", round*5, round*5+5)...)
		equal(t, h.rec.waitFor(t, len(want)), want)
	}
	h.stop()
	if n := h.tl.identified.Load(); n != 1 || strings.Contains(logs.String(), truncatedMsg) {
		t.Errorf("the file was identified %d times, want once (kept, not found again):\n%s", n, logs)
	}
}

// TestTailReplacedBeforeCheck: the followed file is renamed away and a
// new file created under its path before the follower looks: the path
// names another inode, so the old file is drained (the lines written to
// it after the rename included) and then the new one read.
func TestTailReplacedBeforeCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.2021-09-22.log")
	old := create(t, path)
	want := appendLines(t, old, "a", 0, 5)
	gh := gate{recorder: newRecorder(), blocked: make(chan struct{}), release: make(chan struct{})}
	h, _ := startHandler(t, TailConfig{Dir: dir, PollInterval: 30 * time.Millisecond, RotateGrace: 300 * time.Millisecond}, gh.recorder, gh)
	equal(t, h.rec.waitFor(t, len(want)), want)
	mustWrite(t, old, "gate\n")
	<-gh.blocked
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	nf := create(t, path)
	newer := appendLines(t, nf, "b", 0, 5)
	want = append(want, "gate")
	want = append(want, appendLines(t, old, "a", 5, 10)...)
	close(gh.release)
	want = append(want, newer...)
	equal(t, h.rec.waitFor(t, len(want)), want)
	h.stop()
}
