package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ingestd/ingestd/internal/syncbuf"
	"time"
)

// Tests of issue 15: the follower's truncation and rewrite checks, each
// needed on its own (a mutant negating one of them lived).

const truncatedMsg = "file truncated or rewritten"

func startLogged(t *testing.T, dir string) (*harness, *syncbuf.Buffer) {
	t.Helper()
	logs := &syncbuf.Buffer{}
	h := startTailerCfg(t, TailConfig{Dir: dir, Registry: newRegistry(t), PollInterval: 30 * time.Millisecond,
		RotateGrace: 300 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	return h, logs
}

// TestTailSteadyFileNotTruncated: a followed file that only grows, or does
// not change at all, is never taken as truncated or rewritten: it is
// opened and identified once, however many polls pass.
func TestTailSteadyFileNotTruncated(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := create(t, filepath.Join(dir, "audit.2021-09-22.log"))
	want := appendLines(t, f, "a", 0, 20)
	h, logs := startLogged(t, dir)
	h.rec.waitFor(t, 20)
	for i := 1; i <= 5; i++ { // grows, with quiet polls in between
		want = append(want, appendLines(t, f, "a", i*20, i*20+20)...)
		h.rec.waitFor(t, len(want))
	}
	time.Sleep(20 * 30 * time.Millisecond) // twenty poll intervals unchanged
	equal(t, h.rec.got(), want)
	h.stop()
	if strings.Contains(logs.String(), truncatedMsg) {
		t.Errorf("a file that only grew was taken as truncated or rewritten:\n%s", logs)
	}
	if n := h.tl.identified.Load(); n != 1 {
		t.Errorf("the file was identified %d times, want once", n)
	}
}

// TestTailRewriteInPlace: the file is overwritten in place with other
// lines of the same total size — its size never drops, so only the
// fingerprint of its first line tells; it is read again from the start.
func TestTailRewriteInPlace(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.2021-09-22.log")
	f := create(t, path)
	want := appendLines(t, f, "a", 0, 40)
	h, logs := startLogged(t, dir)
	h.rec.waitFor(t, 40)
	var b strings.Builder
	for i := 0; i < 40; i++ {
		l := fmt.Sprintf("z-%05d some audit text", i) // same length as "a-…"
		want = append(want, l)
		b.WriteString(l + "\n")
	}
	w, err := os.OpenFile(path, os.O_WRONLY, 0) // no O_TRUNC: the size stays
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.WriteAt([]byte(b.String()), 0); err != nil {
		t.Fatal(err)
	}
	h.rec.waitFor(t, len(want))
	want = append(want, appendLines(t, f, "z", 40, 50)...)
	equal(t, h.rec.waitFor(t, len(want)), want)
	h.stop()
	if !strings.Contains(logs.String(), truncatedMsg) {
		t.Errorf("the rewrite was not logged:\n%s", logs)
	}
}

// TestTailTruncatedSameFirstLine: copytruncate, and the writer's next
// lines begin as the old first line did, so the fingerprint is the same
// and only the size, now below the offset read, tells; reading restarts
// from 0.
func TestTailTruncatedSameFirstLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.2021-09-22.log")
	f := create(t, path)
	want := appendLines(t, f, "a", 0, 60)
	h, logs := startLogged(t, dir)
	h.rec.waitFor(t, 60)
	// Truncated to its first 10 lines in one step: the tailer sees the
	// file either whole or already cut, never empty.
	var b strings.Builder
	for i := 0; i < 10; i++ {
		l := fmt.Sprintf("a-%05d some audit text", i) // the same first line
		want = append(want, l)
		b.WriteString(l + "\n")
	}
	if err := os.Truncate(path, int64(b.Len())); err != nil { // the first 10 lines stay as they were
		t.Fatal(err)
	}
	equal(t, h.rec.waitFor(t, len(want)), want)
	h.stop()
	if !strings.Contains(logs.String(), truncatedMsg) {
		t.Errorf("the truncation was not logged:\n%s", logs)
	}
}

// TestTailTruncatedIntoHeldLine: the file is cut inside its last,
// unterminated line, which the follower holds: the file is now shorter
// than what was read (lines handed over and the held part), so it is
// taken as truncated and found again.
func TestTailTruncatedIntoHeldLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.2021-09-22.log")
	f := create(t, path)
	want := appendLines(t, f, "a", 0, 20)
	mustWrite(t, f, "a-00020 partial line without its newline")
	h, logs := startLogged(t, dir)
	h.rec.waitFor(t, 20)
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	held := int64(len("a-00020 partial line without its newline"))
	if err := os.Truncate(path, st.Size()-held+3); err != nil { // "a-0" of the held line stays
		t.Fatal(err)
	}
	waitUntil(t, "the truncation noticed", func() bool { return strings.Contains(logs.String(), truncatedMsg) })
	// Found again, it resumes at its committed offset (the end of the
	// complete lines, still inside the file): the cut line is completed
	// by what the writer appends next.
	mustWrite(t, f, "0020 rest\n")
	equal(t, h.rec.waitFor(t, 21), append(want, "a-00020 rest"))
	h.stop()
}

// tooLongFails is a recorder whose TooLong fails, as a sink that cannot
// write the dead-letter file would.
type tooLongFails struct {
	*recorder
	err error
}

func (h tooLongFails) TooLong(*Tracked, *LineTooLongError) error { return h.err }

// TestTailTooLongHandlerError: the handler's error for an over-long line
// ends Run with that error; the line after it is not handed over.
func TestTailTooLongHandlerError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := create(t, filepath.Join(dir, "audit.2021-09-22.log"))
	want := appendLines(t, f, "a", 0, 3)
	mustWrite(t, f, strings.Repeat("x", 200)+"\n")
	appendLines(t, f, "b", 0, 3)
	tl, err := NewTailer(TailConfig{Dir: dir, Registry: newRegistry(t), PollInterval: 30 * time.Millisecond,
		RotateGrace: 300 * time.Millisecond, MaxLine: 64})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("dead-letter file not writable")
	h := tooLongFails{newRecorder(), boom}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := tl.Run(ctx, h); !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want the handler's error", err)
	}
	equal(t, h.got(), want)
}

// TestTailFlushedAtOnce: lines, or an over-long line alone, are flushed
// (their position committed) as soon as lines pause, not at the next
// poll.
func TestTailFlushedAtOnce(t *testing.T) {
	t.Parallel()
	for name, content := range map[string]string{
		"over-long line": strings.Repeat("x", 200) + "\n",
		"lines":          "a-1 some audit text\na-2 some audit text\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			f := create(t, filepath.Join(dir, "audit.2021-09-22.log"))
			mustWrite(t, f, content)
			h := startTailerCfg(t, TailConfig{Dir: dir, Registry: newRegistry(t), PollInterval: 10 * time.Minute,
				RotateGrace: 300 * time.Millisecond, MaxLine: 64})
			waitUntil(t, "the lines committed", func() bool {
				fs := h.tl.Files()
				if len(fs) != 1 {
					return false
				}
				off, _ := fs[0].Committed()
				return off == int64(len(content))
			})
			h.stop()
		})
	}
}

// flushCounter counts the handler's flushes.
type flushCounter struct {
	*recorder
	n atomic.Int64
}

func (h *flushCounter) Flush() error { h.n.Add(1); return h.recorder.Flush() }

// TestTailIdleNoFlushes: a followed file that does not change costs no
// flushes between polls (the pause timer is armed only by lines read).
func TestTailIdleNoFlushes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := create(t, filepath.Join(dir, "audit.2021-09-22.log"))
	appendLines(t, f, "a", 0, 5)
	tl, err := NewTailer(TailConfig{Dir: dir, Registry: newRegistry(t), PollInterval: 10 * time.Minute,
		RotateGrace: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	h := &flushCounter{recorder: newRecorder()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tl.Run(ctx, h) }()
	h.waitFor(t, 5)
	before := h.n.Load()
	time.Sleep(500 * time.Millisecond)
	idle := h.n.Load() - before
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if before < 1 || idle > 0 {
		t.Errorf("%d flushes for the lines, %d while idle for 500 ms; want at least 1, then none", before, idle)
	}
}

// TestTailSizeOnModification: the followed file's size (for lag
// reporting) follows each write, not only each poll.
func TestTailSizeOnModification(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := create(t, filepath.Join(dir, "audit.2021-09-22.log"))
	appendLines(t, f, "a", 0, 5)
	h := startTailerCfg(t, TailConfig{Dir: dir, Registry: newRegistry(t), PollInterval: 10 * time.Minute,
		RotateGrace: 300 * time.Millisecond})
	h.rec.waitFor(t, 5)
	appendLines(t, f, "a", 5, 10)
	h.rec.waitFor(t, 10)
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the size after the write", func() bool { return h.tl.Files()[0].Size.Load() == st.Size() })
	h.stop()
}
