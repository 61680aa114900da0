package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ingestd/ingestd/internal/auditgen"
)

// recorder is a Handler that plays the pipeline and an instantly acking
// sink: lines are recorded, and on Flush their positions are sent and
// acknowledged, so that the registry moves as it does in the daemon.
type recorder struct {
	mu         sync.Mutex
	lines      []string
	tooLong    int
	long       []LineTooLongError // the over-long lines, Head cut to 16 bytes
	incomplete []string           // lines handed over without their newline
	pending    map[*Tracked][2]int64
}

func newRecorder() *recorder { return &recorder{pending: map[*Tracked][2]int64{}} }

func (r *recorder) Line(f *Tracked, l Line) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, string(l.Bytes))
	if !l.Complete {
		r.incomplete = append(r.incomplete, string(l.Bytes))
	}
	r.pending[f] = [2]int64{l.End, l.Number}
	return nil
}

func (r *recorder) TooLong(f *Tracked, e *LineTooLongError) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tooLong++
	c := *e
	c.Head = bytes.Clone(e.Head[:min(16, len(e.Head))])
	r.long = append(r.long, c)
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
	tl     *Tailer
	rec    *recorder
	cancel context.CancelFunc
	done   chan error
}

func startTailer(t *testing.T, dir string, reg *Registry, maxLine int) *harness {
	t.Helper()
	return startTailerCfg(t, TailConfig{Dir: dir, Registry: reg, PollInterval: 30 * time.Millisecond,
		RotateGrace: 300 * time.Millisecond, MaxLine: maxLine})
}

func startTailerCfg(t *testing.T, cfg TailConfig) *harness {
	t.Helper()
	tl, err := NewTailer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, dir: cfg.Dir, reg: cfg.Registry, tl: tl, rec: newRecorder(), done: make(chan error, 1)}
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.2021-09-22.log")
	f := create(t, path)
	f.WriteString("first line\nsecond li")
	reg := newRegistry(t)
	h := startTailer(t, dir, reg, 0)
	equal(t, h.rec.waitFor(t, 1), []string{"first line"})
	time.Sleep(200 * time.Millisecond)
	h.stop()
	reg2 := reopen(t, reg)
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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

// gen returns a generator of real audit lines.
func gen(seed uint64) *auditgen.Generator {
	return auditgen.New(seed, time.Date(2021, 9, 22, 10, 0, 0, 0, time.UTC))
}

// auditLine returns the generator's next line, without its newline.
func auditLine(g *auditgen.Generator) string {
	b := g.Append(nil)
	return string(b[:len(b)-1])
}

// writeAudit appends n audit lines to f in one write and returns them.
func writeAudit(t *testing.T, f *os.File, g *auditgen.Generator, n int) []string {
	t.Helper()
	var want []string
	var buf []byte
	for range n {
		l := auditLine(g)
		want = append(want, l)
		buf = append(append(buf, l...), '\n')
	}
	if _, err := f.Write(buf); err != nil {
		t.Fatal(err)
	}
	return want
}

func mustWrite(t *testing.T, f *os.File, s string) {
	t.Helper()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

// reopen saves reg and loads it again, as a restart does.
func reopen(t *testing.T, reg *Registry) *Registry {
	t.Helper()
	if err := reg.Save(); err != nil {
		t.Fatal(err)
	}
	r, err := OpenRegistry(reg.path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestTailStartAtEndFirstStartOnly: with start_at end, every file of the
// first listing of the very first start (empty registry) starts at its
// end, not only the first one; a day found later starts at its
// beginning; and after a restart (registry not empty) files that
// appeared while stopped are read from their beginning.
func TestTailStartAtEndFirstStartOnly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	g := gen(3)
	path := func(day string) string { return filepath.Join(dir, "audit.2021-09-"+day+".log") }
	d20, d21, d22 := create(t, path("20")), create(t, path("21")), create(t, path("22"))
	writeAudit(t, d20, g, 20)
	writeAudit(t, d21, g, 20)
	writeAudit(t, d22, g, 20)
	pending := auditLine(g)
	mustWrite(t, d22, pending[:60]) // being written at the start: read once complete
	reg := newRegistry(t)
	cfg := TailConfig{Dir: dir, Registry: reg, StartAtEnd: true, PollInterval: 30 * time.Millisecond, RotateGrace: 300 * time.Millisecond}
	h := startTailerCfg(t, cfg)
	waitUntil(t, "the first listing in the registry", func() bool { return len(reg.Entries()) == 3 })
	mustWrite(t, d22, pending[60:]+"\n")
	want := []string{pending}
	want = append(want, writeAudit(t, d22, g, 30)...)
	time.Sleep(100 * time.Millisecond)
	d23 := create(t, path("23")) // a new day, found later: from its start
	want = append(want, writeAudit(t, d23, g, 25)...)
	equal(t, h.rec.waitFor(t, len(want)), want)
	h.stop()

	// Stopped; the old days are cleaned up and two new days begin.
	reg2 := reopen(t, reg)
	for _, day := range []string{"20", "21", "22", "23"} {
		if err := os.Remove(path(day)); err != nil {
			t.Fatal(err)
		}
	}
	want = writeAudit(t, create(t, path("24")), g, 15)
	want = append(want, writeAudit(t, create(t, path("25")), g, 15)...)
	cfg.Registry = reg2
	h2 := startTailerCfg(t, cfg)
	equal(t, h2.rec.waitFor(t, len(want)), want)
	h2.stop()
}

// TestTailRestartOlderFileQuiet: ingestd stops while the writer is in the
// middle of a line; the next day begins while it is stopped. After the
// restart the older file is not finished before it has been quiet for
// rotate_grace: the line is read once, whole, with the lines written after
// it, and before anything of the newer file.
func TestTailRestartOlderFileQuiet(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	g := gen(4)
	p22, p23 := filepath.Join(dir, "audit.2021-09-22.log"), filepath.Join(dir, "audit.2021-09-23.log")
	d22 := create(t, p22)
	want := writeAudit(t, d22, g, 40)
	reg := newRegistry(t)
	cfg := TailConfig{Dir: dir, Registry: reg, PollInterval: 30 * time.Millisecond, RotateGrace: time.Second}
	h := startTailerCfg(t, cfg)
	equal(t, h.rec.waitFor(t, 40), want)
	last := auditLine(g)
	mustWrite(t, d22, last[:len(last)/2])
	time.Sleep(100 * time.Millisecond)
	h.stop()

	cfg.Registry = reopen(t, reg)
	newer := writeAudit(t, create(t, p23), g, 30)
	h2 := startTailerCfg(t, cfg)
	more := make(chan []string, 1)
	go func() { // the writer finishes its line and the day
		defer close(more)
		time.Sleep(100 * time.Millisecond)
		var lines []string
		buf := last[len(last)/2:] + "\n"
		for range 5 {
			l := auditLine(g)
			lines = append(lines, l)
			buf += l + "\n"
		}
		if _, err := d22.WriteString(buf); err != nil {
			t.Error(err)
		}
		more <- lines
	}()
	want = append([]string{last}, <-more...)
	want = append(want, newer...)
	equal(t, h2.rec.waitFor(t, len(want)), want)
	if n := h2.tl.Unterminated(); n != 0 {
		t.Errorf("Unterminated = %d, want 0", n)
	}
	h2.stop()
}

// TestTailOlderFileUnterminatedAfterQuiet: an older file whose last line
// never gets its newline. The line is not handed over before the file has
// been quiet for rotate_grace (counted from its last modification); then
// it is handed over once, as it is, counted, before the newer file.
func TestTailOlderFileUnterminatedAfterQuiet(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	g := gen(5)
	p22 := filepath.Join(dir, "audit.2021-09-22.log")
	d22 := create(t, p22)
	want := writeAudit(t, d22, g, 20)
	last := auditLine(g)
	cut := last[:len(last)-10]
	mustWrite(t, d22, cut)
	written := time.Now()
	newer := writeAudit(t, create(t, filepath.Join(dir, "audit.2021-09-23.log")), g, 20)
	const grace = time.Second
	h := startTailerCfg(t, TailConfig{Dir: dir, Registry: newRegistry(t), PollInterval: 30 * time.Millisecond, RotateGrace: grace})
	waitUntil(t, "the complete lines", func() bool { return len(h.rec.got()) >= 20 })
	time.Sleep(200 * time.Millisecond)
	if got := h.rec.got(); time.Since(written) < grace-100*time.Millisecond && len(got) != 20 {
		t.Fatalf("handed over within the quiet period: %q", got[20:])
	}
	want = append(want, cut)
	want = append(want, newer...)
	equal(t, h.rec.waitFor(t, len(want)), want)
	h.stop()
	if n := h.tl.Unterminated(); n != 1 || len(h.rec.incomplete) != 1 || h.rec.incomplete[0] != cut {
		t.Errorf("Unterminated = %d, incomplete lines %q; want 1, the cut line", n, h.rec.incomplete)
	}
	st, _ := d22.Stat()
	if e, ok := h.reg.Lookup(h.tl.Files()[0].ID); !ok || !e.Done || e.Offset != st.Size() {
		t.Errorf("registry entry of the older file: %+v, want done at %d", e, st.Size())
	}
}

// TestTailHugeLineBoundedMemory: a 64 MiB line (max line 1 MiB) is
// dead-lettered once, the lines after it are read, and memory stays
// bounded by the maximum line, not the line.
func TestTailHugeLineBoundedMemory(t *testing.T) {
	const maxLine, huge = 1 << 20, 64 << 20
	dir := t.TempDir()
	g := gen(9)
	f := create(t, filepath.Join(dir, "audit.2021-09-22.log"))
	want := writeAudit(t, f, g, 10)
	h := startTailer(t, dir, newRegistry(t), maxLine)
	equal(t, h.rec.waitFor(t, 10), want)
	st, _ := f.Stat()
	start := st.Size()
	head := auditLine(g)
	prefix := head[:strings.Index(head, "operationParam=")+len("operationParam=")]

	runtime.GC()
	var m0, m runtime.MemStats
	runtime.ReadMemStats(&m0)
	var peak atomic.Uint64
	stop, sampled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	size := make(chan int64, 1)
	go func() { // the writer: one audit line with a 64 MiB parameter, 1 MiB per write
		defer close(size)
		chunk := bytes.Repeat([]byte(`{"k":"v"},`), (1<<20)/10)
		n, err := f.WriteString(prefix)
		for total := int64(n); err == nil && total < huge; total += int64(n) {
			n, err = f.Write(chunk)
		}
		if err == nil {
			_, err = f.WriteString("\n")
		}
		if err != nil {
			t.Error(err)
			return
		}
		st, _ := f.Stat()
		size <- st.Size() - start
	}()
	n := <-size
	want = append(want, writeAudit(t, f, g, 10)...)
	equal(t, h.rec.waitFor(t, len(want)), want)
	runtime.ReadMemStats(&m)
	close(stop)
	<-sampled
	h.stop()
	alloc, grown := m.TotalAlloc-m0.TotalAlloc, int64(peak.Load())-int64(m0.HeapInuse)
	t.Logf("a %d MiB line: %.1f MiB allocated meanwhile, heap in use at most %.1f MiB over the start", n>>20, float64(alloc)/(1<<20), float64(grown)/(1<<20))
	if alloc > huge/8 || grown > huge/8 {
		t.Errorf("memory grew with the line: %d bytes allocated, heap in use +%d, for a %d-byte line", alloc, grown, n)
	}
	if len(h.rec.long) != 1 || h.rec.long[0].Offset != start || h.rec.long[0].End != start+n || string(h.rec.long[0].Head) != prefix[:16] {
		t.Errorf("over-long lines %+v, want one at [%d, %d)", h.rec.long, start, start+n)
	}
}

// TestTailOverLongLineInPieces: an over-long line written in several
// writes, read in between, is one over-long line, from its start to its
// newline: whether the file is followed or, renamed away, drained.
func TestTailOverLongLineInPieces(t *testing.T) {
	t.Parallel()
	for _, renamed := range []bool{false, true} {
		t.Run(map[bool]string{false: "followed", true: "renamed away"}[renamed], func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			g := gen(10)
			path := filepath.Join(dir, "audit.2021-09-22.log")
			f := create(t, path)
			want := writeAudit(t, f, g, 5)
			h := startTailer(t, dir, newRegistry(t), 2048)
			equal(t, h.rec.waitFor(t, 5), want)
			if renamed {
				if err := os.Rename(path, path+".1"); err != nil {
					t.Fatal(err)
				}
				time.Sleep(100 * time.Millisecond) // seen: drained until quiet
			}
			st, _ := f.Stat()
			start := st.Size()
			long := auditLine(g) + strings.Repeat(" padding=0123456789abcdef", 400)
			for i := 0; i < len(long); i += 1500 {
				mustWrite(t, f, long[i:min(i+1500, len(long))])
				time.Sleep(60 * time.Millisecond)
			}
			mustWrite(t, f, "\n")
			want = append(want, writeAudit(t, f, g, 5)...)
			if renamed {
				want = append(want, writeAudit(t, create(t, path), g, 5)...)
			}
			equal(t, h.rec.waitFor(t, len(want)), want)
			h.stop()
			if len(h.rec.long) != 1 || h.rec.long[0].Offset != start || h.rec.long[0].End != start+int64(len(long))+1 {
				t.Errorf("over-long lines %+v, want one at [%d, %d)", h.rec.long, start, start+int64(len(long))+1)
			}
		})
	}
}

// TestTailFilesConcurrentWithRotation: the lag reporter calls Files while
// the tailer truncates, rotates and switches days (run with -race): one
// entry per file, a copy.
func TestTailFilesConcurrentWithRotation(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	g := gen(12)
	path := func(day string) string { return filepath.Join(dir, "audit.2021-09-"+day+".log") }
	d22 := create(t, path("22"))
	want := writeAudit(t, d22, g, 50)
	h := startTailer(t, dir, newRegistry(t), 0)
	stop, stopped := make(chan struct{}), make(chan struct{})
	var calls, dups atomic.Int64
	go func() { // the lag reporter
		defer close(stopped)
		for {
			select {
			case <-stop:
				return
			default:
			}
			fs := h.tl.Files()
			for i, a := range fs {
				a.Committed()
				a.Size.Load()
				for _, b := range fs[i+1:] {
					if a.ID.Same(b.ID) {
						dups.Add(1)
					}
				}
			}
			calls.Add(1)
			time.Sleep(100 * time.Microsecond)
		}
	}()
	equal(t, h.rec.waitFor(t, len(want)), want)

	// Truncated to its first 10 lines (same first line, so the same file):
	// read again from the start.
	keep := 0
	for _, l := range want[:10] {
		keep += len(l) + 1
	}
	if err := os.Truncate(path("22"), int64(keep)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond)
	want = append(want, want[:10]...)
	want = append(want, writeAudit(t, d22, g, 20)...)
	equal(t, h.rec.waitFor(t, len(want)), want)

	// The next day, renamed away while written, and a new file under its name.
	d23 := create(t, path("23"))
	want = append(want, writeAudit(t, d23, g, 30)...)
	equal(t, h.rec.waitFor(t, len(want)), want)
	if err := os.Rename(path("23"), path("23")+".1"); err != nil {
		t.Fatal(err)
	}
	want = append(want, writeAudit(t, d23, g, 10)...)
	time.Sleep(100 * time.Millisecond)
	want = append(want, writeAudit(t, create(t, path("23")), g, 20)...)
	equal(t, h.rec.waitFor(t, len(want)), want)
	close(stop)
	<-stopped
	h.stop()
	if calls.Load() == 0 || dups.Load() != 0 {
		t.Errorf("%d calls to Files, %d duplicate entries seen", calls.Load(), dups.Load())
	}
	fs := h.tl.Files()
	var paths []string
	for _, f := range fs {
		paths = append(paths, filepath.Base(f.Path))
	}
	if len(fs) != 2 || paths[0] != "audit.2021-09-22.log" || paths[1] != "audit.2021-09-23.log" {
		t.Errorf("Files after rotation: %q, want the two files that are there", paths)
	}
	fs[0] = nil
	if h.tl.Files()[0] == nil {
		t.Error("Files returns the tailer's own slice")
	}
}

// TestTailNotified: with a poll interval far longer than the test, lines
// still come at once: nxadm/tail's watcher wakes the follower up, tells it
// of a truncation, and does so again once the same path is followed again.
func TestTailNotified(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	g := gen(13)
	path := filepath.Join(dir, "audit.2021-09-22.log")
	f := create(t, path)
	first := writeAudit(t, f, g, 10)
	want := first
	h := startTailerCfg(t, TailConfig{Dir: dir, Registry: newRegistry(t), PollInterval: time.Hour, RotateGrace: time.Hour})
	equal(t, h.rec.waitFor(t, len(want)), want)
	keep := 0
	for _, l := range first {
		keep += len(l) + 1
	}
	for round := range 3 {
		start := time.Now()
		want = append(want, writeAudit(t, f, g, 5)...)
		waitUntil(t, "the new lines", func() bool { return len(h.rec.got()) == len(want) })
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("round %d: lines came after %v", round, d)
		}
		// Truncated to its first lines (the same file): read again from 0.
		if err := os.Truncate(path, int64(keep)); err != nil {
			t.Fatal(err)
		}
		want = append(want, first...)
		waitUntil(t, "the lines read again", func() bool { return len(h.rec.got()) == len(want) })
	}
	equal(t, h.rec.got(), want)
	h.stop()
}

// TestTailOlderFileOnlyUnterminated: an older day's file whose only line
// has no newline (so no fingerprint) is still read and finished after the
// quiet period, not skipped forever.
func TestTailOlderFileOnlyUnterminated(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	g := gen(11)
	line := auditLine(g)
	cut := line[:len(line)-10]
	d22 := create(t, filepath.Join(dir, "audit.2021-09-22.log"))
	mustWrite(t, d22, cut)
	newer := writeAudit(t, create(t, filepath.Join(dir, "audit.2021-09-23.log")), g, 5)
	h := startTailerCfg(t, TailConfig{Dir: dir, Registry: newRegistry(t), PollInterval: 30 * time.Millisecond, RotateGrace: 200 * time.Millisecond})
	equal(t, h.rec.waitFor(t, 6), append([]string{cut}, newer...))
	h.stop()
}

// TestTailOlderFileModifiedInFuture: an older file whose modification time
// is ahead of the clock (clock stepped back, copied timestamps) is finished
// after the quiet period all the same; the newer day is not held up until
// the clock reaches that time.
func TestTailOlderFileModifiedInFuture(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	g := gen(12)
	p22 := filepath.Join(dir, "audit.2021-09-22.log")
	older := writeAudit(t, create(t, p22), g, 5)
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(p22, future, future); err != nil {
		t.Fatal(err)
	}
	newer := writeAudit(t, create(t, filepath.Join(dir, "audit.2021-09-23.log")), g, 5)
	h := startTailerCfg(t, TailConfig{Dir: dir, Registry: newRegistry(t), PollInterval: 30 * time.Millisecond, RotateGrace: 200 * time.Millisecond})
	equal(t, h.rec.waitFor(t, 10), append(older, newer...))
	h.stop()
}

// TestTailFallsBackToPolling: when no inotify watcher can be created
// (max_user_instances reached), the tailer polls instead of letting
// nxadm/tail exit the process, and still delivers the lines.
func TestTailFallsBackToPolling(t *testing.T) {
	saved := inotifyAvailable
	inotifyAvailable = func() error { return errors.New("too many open files") }
	defer func() { inotifyAvailable = saved }()
	dir := t.TempDir()
	g := gen(13)
	f := create(t, filepath.Join(dir, "audit.2021-09-22.log"))
	want := writeAudit(t, f, g, 3)
	h := startTailerCfg(t, TailConfig{Dir: dir, Registry: newRegistry(t), PollInterval: 30 * time.Millisecond})
	if !h.tl.cfg.Poll {
		t.Fatal("the tailer did not switch to polling")
	}
	equal(t, h.rec.waitFor(t, 3), want)
	want = append(want, writeAudit(t, f, g, 2)...)
	equal(t, h.rec.waitFor(t, 5), want)
	h.stop()
}

// TestTailOlderFilePartialCompletedDuringQuiet: the only line of an older
// file is completed (and more lines follow) during the quiet period: every
// line is delivered exactly once, and the file is not read again as a new
// one once its fingerprint changes.
func TestTailOlderFilePartialCompletedDuringQuiet(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	g := gen(14)
	line := auditLine(g)
	d22 := create(t, filepath.Join(dir, "audit.2021-09-22.log"))
	mustWrite(t, d22, line[:len(line)-10])
	newer := writeAudit(t, create(t, filepath.Join(dir, "audit.2021-09-23.log")), g, 2)
	h := startTailerCfg(t, TailConfig{Dir: dir, Registry: newRegistry(t), PollInterval: 30 * time.Millisecond, RotateGrace: 500 * time.Millisecond})
	time.Sleep(150 * time.Millisecond)
	mustWrite(t, d22, line[len(line)-10:]+"\n")
	more := writeAudit(t, d22, g, 3)
	want := append(append([]string{line}, more...), newer...)
	equal(t, h.rec.waitFor(t, len(want)), want)
	time.Sleep(300 * time.Millisecond) // several listings later: still nothing more
	equal(t, h.rec.got(), want)
	h.stop()
}
