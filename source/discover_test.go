package source

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLastLineEnd: start_at end starts just past the last newline,
// whether it is in the last 64 KiB read or further back, at offset 0 or
// at the very end; 0 when there is none.
func TestLastLineEnd(t *testing.T) {
	t.Parallel()
	const chunk = 64 << 10
	line := auditLine(gen(32)) + "\n"
	x := func(n int) string { return strings.Repeat("x", n) }
	for _, tt := range []struct {
		name    string
		content string
		want    int64
	}{
		{"empty", "", 0},
		{"no newline", "abc", 0},
		{"only a newline", "\n", 1},
		{"a newline first", "\n" + x(10), 1},
		{"an audit line", line, int64(len(line))},
		{"an audit line and a partial one", line + line[:20], int64(len(line))},
		{"no newline in more than a chunk", x(chunk + 10), 0},
		{"the newline a chunk back", "\n" + x(chunk), 1},
		{"the newline just inside the last chunk", "\n" + x(chunk-1), 1},
		{"a newline far back", line + x(3*chunk+5), int64(len(line))},
		{"lines, then a long tail", line + line + x(2*chunk), int64(2 * len(line))},
		{"the last byte", x(2*chunk) + "\n", int64(2*chunk + 1)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := openContent(t, tt.content)
			if got, err := lastLineEnd(f, int64(len(tt.content))); err != nil || got != tt.want {
				t.Errorf("lastLineEnd = %d, %v; want %d", got, err, tt.want)
			}
		})
	}
	f, err := os.Open(t.TempDir()) // a directory: reading fails
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, err := lastLineEnd(f, 10); err == nil || got != 0 {
		t.Errorf("lastLineEnd of a directory = %d, %v; want an error", got, err)
	}
}

// TestTailEmptyOlderFileSettled: an empty older file is settled (not
// opened again until it changes), while the newest file, whose first line
// is not complete yet, is looked at again at every poll.
func TestTailEmptyOlderFileSettled(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	older := filepath.Join(dir, "audit.2021-09-21.log")
	newest := filepath.Join(dir, "audit.2021-09-22.log")
	create(t, older)
	mustWrite(t, create(t, newest), "a-00000 the first line, not yet complete")
	h := startTailer(t, dir, newRegistry(t), 0)
	waitUntil(t, "several polls", func() bool { return h.tl.identified.Load() >= 6 })
	h.stop()
	if fs := h.tl.cat.state(older); fs == nil || !fs.settled {
		t.Errorf("the empty older file is not settled: %+v", fs)
	}
	if fs := h.tl.cat.state(newest); fs == nil || fs.settled {
		t.Errorf("the newest file without a complete line is settled: %+v", fs)
	}
	if got := h.rec.got(); len(got) != 0 {
		t.Errorf("lines %q from files without a complete line", got)
	}
}

// TestPruneDue: the registry entries of files that are gone are dropped
// when the listing changed, or once pruneEvery has passed since the last
// prune — not at every listing or check in between (their cost grows with
// the registry). next and the follower's check alike; driven by hand, no
// Run goroutine.
func TestPruneDue(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.2021-09-22.log")
	appendLines(t, create(t, path), "a", 0, 3)
	reg := newRegistry(t)
	tl, err := NewTailer(TailConfig{Dir: dir, Registry: reg, PollInterval: time.Hour, Poll: true})
	if err != nil {
		t.Fatal(err)
	}
	f, tr, newest, err := tl.next() // the first listing: changed, pruned
	if err != nil || f == nil || !newest {
		t.Fatalf("next = %v, %v, %v", f, newest, err)
	}
	defer f.Close()
	rd := &fileReader{f: f, tr: tr, lr: NewLineReader(f, 0, 0)}
	nextClosed := func() {
		if f, _, _, _ := tl.next(); f != nil {
			f.Close()
		}
	}
	gone := Entry{FileID: FileID{Dev: 1, Ino: 1, Fingerprint: "gone"}, Path: filepath.Join(dir, "audit.2021-09-21.log")}
	for _, step := range []struct {
		name       string
		sincePrune time.Duration
		call       func() // next, or the follower's check
		kept       bool
	}{
		{"next, just after a prune", 0, nextClosed, true},
		{"check, just after a prune", 0, func() { tl.check(rd) }, true},
		{"next, a second short of pruneEvery", pruneEvery - time.Second, nextClosed, true},
		{"check, a second short of pruneEvery", pruneEvery - time.Second, func() { tl.check(rd) }, true},
		{"next, pruneEvery after", pruneEvery, nextClosed, false},
		{"check, pruneEvery after", pruneEvery, func() { tl.check(rd) }, false},
	} {
		reg.Set(gone)
		tl.lastPrune = time.Now().Add(-step.sincePrune)
		if tl.cat.changed {
			t.Fatalf("%s: the listing changed", step.name)
		}
		step.call()
		if _, ok := reg.Lookup(gone.FileID); ok != step.kept {
			t.Errorf("%s: entry of a gone file kept %v, want %v", step.name, ok, step.kept)
		}
		if _, ok := reg.Lookup(tr.ID); !ok {
			t.Errorf("%s: the live file's entry was dropped", step.name)
		}
	}
}
