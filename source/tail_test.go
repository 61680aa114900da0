package source

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a Handler that plays the pipeline and an instantly acking
// sink: lines are recorded, and on Flush their positions are sent and
// acknowledged, so that the registry moves as it does in the daemon.
type recorder struct {
	mu      sync.Mutex
	lines   []string
	tooLong int
	pending map[*Tracked][2]int64
}

func newRecorder() *recorder { return &recorder{pending: map[*Tracked][2]int64{}} }

func (r *recorder) Line(f *Tracked, l Line) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, string(l.Bytes))
	r.pending[f] = [2]int64{l.End, l.Number}
	return nil
}

func (r *recorder) TooLong(f *Tracked, e *LineTooLongError) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tooLong++
	r.pending[f] = [2]int64{e.End, e.Number}
	return nil
}

func (r *recorder) Flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for f, p := range r.pending {
		f.Sent(p[0], p[1])
		f.Ack(p[0], 0)
	}
	clear(r.pending)
	return nil
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lines...)
}

// waitFor waits until the recorder holds n lines.
func (r *recorder) waitFor(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if g := r.got(); len(g) >= n {
			time.Sleep(300 * time.Millisecond) // and no more than n
			return r.got()
		}
		time.Sleep(10 * time.Millisecond)
	}
	g := r.got()
	t.Fatalf("got %d lines, want %d; last: %q", len(g), n, g[max(0, len(g)-3):])
	return nil
}

type harness struct {
	t      *testing.T
	dir    string
	reg    *Registry
	rec    *recorder
	cancel context.CancelFunc
	done   chan error
}

func startTailer(t *testing.T, dir string, reg *Registry, maxLine int) *harness {
	t.Helper()
	tl, err := NewTailer(TailConfig{Dir: dir, Registry: reg, PollInterval: 30 * time.Millisecond,
		RotateGrace: 300 * time.Millisecond, MaxLine: maxLine})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, dir: dir, reg: reg, rec: newRecorder(), done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- tl.Run(ctx, h.rec) }()
	return h
}

func (h *harness) stop() {
	h.cancel()
	if err := <-h.done; err != nil {
		h.t.Fatal(err)
	}
}

func newRegistry(t *testing.T) *Registry {
	t.Helper()
	reg, err := OpenRegistry(filepath.Join(t.TempDir(), "registry.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// appendLines writes lines "<tag>-<i>" for i in [from, to).
func appendLines(t *testing.T, f *os.File, tag string, from, to int) []string {
	t.Helper()
	var want []string
	var b strings.Builder
	for i := from; i < to; i++ {
		l := fmt.Sprintf("%s-%05d some audit text", tag, i)
		want = append(want, l)
		b.WriteString(l + "\n")
	}
	if _, err := f.WriteString(b.String()); err != nil {
		t.Fatal(err)
	}
	return want
}

func create(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func equal(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("line %d: got %q, want %q", i, got[i], want[i])
		}
	}
}

// TestTailNextDayNoInterleave: lines written to the old day's file while
// the new day's file already exists are read before any of the new file.
func TestTailNextDayNoInterleave(t *testing.T) {
	dir := t.TempDir()
	d1 := create(t, filepath.Join(dir, "audit.2021-09-22.log"))
	want := appendLines(t, d1, "d1", 0, 100)
	h := startTailer(t, dir, newRegistry(t), 0)
	h.rec.waitFor(t, 100)
	d2 := create(t, filepath.Join(dir, "audit.2021-09-23.log"))
	more2 := appendLines(t, d2, "d2", 0, 50)
	want = append(want, appendLines(t, d1, "d1", 100, 120)...) // the writer's last lines
	want = append(want, more2...)
	want = append(want, appendLines(t, d2, "d2", 50, 80)...)
	equal(t, h.rec.waitFor(t, len(want)), want)
	h.stop()
}

// TestTailMissedFilesOldestFirst: files that appeared while ingestd was
// stopped are read oldest first, then the newest is followed.
func TestTailMissedFilesOldestFirst(t *testing.T) {
	dir := t.TempDir()
	var want []string
	for _, day := range []string{"22", "23", "24"} {
		f := create(t, filepath.Join(dir, "audit.2021-09-"+day+".log"))
		want = append(want, appendLines(t, f, day, 0, 30)...)
	}
	h := startTailer(t, dir, newRegistry(t), 0)
	equal(t, h.rec.waitFor(t, 90), want)
	h.stop()
}

// TestTailRenameRotation: the file is renamed away while the writer still
// appends to it, then a new file appears under the name. Nothing is lost.
func TestTailRenameRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.2021-09-22.log")
	old := create(t, path)
	want := appendLines(t, old, "a", 0, 50)
	h := startTailer(t, dir, newRegistry(t), 0)
	h.rec.waitFor(t, 50)
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	want = append(want, appendLines(t, old, "a", 50, 70)...) // written after the rename
	time.Sleep(100 * time.Millisecond)
	nf := create(t, path)
	want = append(want, appendLines(t, nf, "b", 0, 40)...)
	got := h.rec.waitFor(t, len(want))
	equal(t, got, want)
	h.stop()
}

// TestTailCopyTruncate: copytruncate rotation: the file is copied and
// truncated to zero; reading restarts from 0.
func TestTailCopyTruncate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.2021-09-22.log")
	f := create(t, path)
	want := appendLines(t, f, "a", 0, 60)
	h := startTailer(t, dir, newRegistry(t), 0)
	h.rec.waitFor(t, 60)
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond)
	want = append(want, appendLines(t, f, "b", 0, 25)...)
	equal(t, h.rec.waitFor(t, len(want)), want)
	h.stop()
}

// TestTailRewriteSameSize: truncated and rewritten to exactly the same
// size: detected by the fingerprint, not the size.
func TestTailRewriteSameSize(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.2021-09-22.log")
	f := create(t, path)
	want := appendLines(t, f, "a", 0, 40)
	h := startTailer(t, dir, newRegistry(t), 0)
	h.rec.waitFor(t, 40)
	var b strings.Builder
	for i := 0; i < 40; i++ {
		l := fmt.Sprintf("%s-%05d some audit text", "z", i) // same length as "a-…"
		want = append(want, l)
		b.WriteString(l + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil { // O_TRUNC and write
		t.Fatal(err)
	}
	equal(t, h.rec.waitFor(t, len(want)), want)
	h.stop()
}

// TestTailDeletedWithUnreadData: lines written just before the file is
// deleted are drained from the open descriptor.
func TestTailDeletedWithUnreadData(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.2021-09-22.log")
	f := create(t, path)
	want := appendLines(t, f, "a", 0, 10)
	h := startTailer(t, dir, newRegistry(t), 0)
	h.rec.waitFor(t, 10)
	want = append(want, appendLines(t, f, "a", 10, 500)...)
	os.Remove(path)
	equal(t, h.rec.waitFor(t, len(want)), want)
	h.stop()
}

// TestTailPartialLineAcrossRestart: a line without its newline is never
// emitted, and after a restart it is emitted once, whole.
func TestTailPartialLineAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.2021-09-22.log")
	f := create(t, path)
	f.WriteString("first line\nsecond li")
	reg := newRegistry(t)
	h := startTailer(t, dir, reg, 0)
	equal(t, h.rec.waitFor(t, 1), []string{"first line"})
	time.Sleep(200 * time.Millisecond)
	h.stop()
	if err := reg.Save(); err != nil {
		t.Fatal(err)
	}
	reg2, err := OpenRegistry(reg.path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e := reg2.Entries(); len(e) != 1 || e[0].Offset != int64(len("first line\n")) {
		t.Fatalf("registry after stop: %+v", e)
	}
	f.WriteString("ne\nthird line\n")
	h2 := startTailer(t, dir, reg2, 0)
	equal(t, h2.rec.waitFor(t, 2), []string{"second line", "third line"})
	h2.stop()
}

// TestTailLongLinesAndNUL: an over-long line is reported (to be
// dead-lettered) and reading resumes at the next line; NUL bytes pass.
func TestTailLongLinesAndNUL(t *testing.T) {
	dir := t.TempDir()
	f := create(t, filepath.Join(dir, "audit.2021-09-22.log"))
	want := appendLines(t, f, "a", 0, 5)
	h := startTailer(t, dir, newRegistry(t), 2048)
	h.rec.waitFor(t, 5)
	f.WriteString(strings.Repeat("x", 10_000) + "\n")
	f.WriteString("nul\x00\x00byte\n")
	want = append(want, "nul\x00\x00byte")
	want = append(want, appendLines(t, f, "b", 0, 5)...)
	equal(t, h.rec.waitFor(t, len(want)), want)
	if h.rec.tooLong != 1 {
		t.Errorf("tooLong = %d, want 1", h.rec.tooLong)
	}
	h.stop()
}

// TestTailInodeReuse: a registry entry with the same device and inode but
// another fingerprint is another file: it is read from the start.
func TestTailInodeReuse(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.2021-09-22.log")
	f := create(t, path)
	want := appendLines(t, f, "new", 0, 20)
	g, _ := os.Open(path)
	id, size, err := Identify(g)
	g.Close()
	if err != nil {
		t.Fatal(err)
	}
	reg := newRegistry(t)
	stale := id
	stale.Fingerprint = "0123456789abcdef0123456789abcdef"
	reg.Set(Entry{FileID: stale, Path: path, Offset: size, Done: true})
	h := startTailer(t, dir, reg, 0)
	equal(t, h.rec.waitFor(t, 20), want)
	h.stop()
}

// TestTailResumesFromRegistry: after a stop, reading resumes at the
// committed offset: nothing twice, nothing lost.
func TestTailResumesFromRegistry(t *testing.T) {
	dir := t.TempDir()
	f := create(t, filepath.Join(dir, "audit.2021-09-22.log"))
	first := appendLines(t, f, "a", 0, 30)
	reg := newRegistry(t)
	h := startTailer(t, dir, reg, 0)
	equal(t, h.rec.waitFor(t, 30), first)
	h.stop()
	second := appendLines(t, f, "a", 30, 60)
	h2 := startTailer(t, dir, reg, 0)
	equal(t, h2.rec.waitFor(t, 30), second)
	h2.stop()
}
