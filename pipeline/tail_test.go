package pipeline

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ingestd/ingestd/sink"
	"github.com/ingestd/ingestd/source"
)

// ackSink settles every batch's Token as soon as it is given the batch,
// as the bulk sink does once the engine holds it, and records documents
// by path.
type ackSink struct {
	mu    sync.Mutex
	docs  []string
	paths map[string]bool
}

func (s *ackSink) Write(_ context.Context, b *sink.Batch) error {
	s.mu.Lock()
	for i := range b.Len() {
		s.docs = append(s.docs, string(b.Doc(i)))
	}
	s.mu.Unlock()
	if b.Token != nil {
		b.Token.Settled()
	}
	return nil
}

func (s *ackSink) Close() error { return nil }

func (s *ackSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.docs)
}

// TestTailAcknowledges: lines read by the tailer reach the sink with the
// document path docPath gives, and acknowledging their tokens moves each
// file's committed offset (and the registry) to the end of what was read,
// also across an over-long line and a file switch.
func TestTailAcknowledges(t *testing.T) {
	dir := t.TempDir()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg, err := source.OpenRegistry(filepath.Join(t.TempDir(), "registry.json"), quiet)
	if err != nil {
		t.Fatal(err)
	}
	older := writeFile(t, dir, "audit.2021-09-21.log", auditLine("o1", 1), strings.Repeat("z", 300), auditLine("o3", 3))
	newer := writeFile(t, dir, "audit.2021-09-22.log", auditLine("n1", 1), "garbage")
	tl, err := source.NewTailer(source.TailConfig{Dir: dir, Registry: reg, PollInterval: 20 * time.Millisecond,
		RotateGrace: 20 * time.Millisecond, Poll: true, MaxLine: 200, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	s := &ackSink{}
	o := opts(t, s, filepath.Join(t.TempDir(), "dlq"))
	o.Logger = quiet
	var st Stats
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Tail(ctx, o, tl, func(p string) string { return "/var/log/" + filepath.Base(p) }, &st)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil && ctx.Err() == nil {
			t.Error(err)
		}
	}()

	committed := func(path string) int64 {
		for _, tr := range tl.Files() {
			if tr.Path == path {
				off, _ := tr.Committed()
				return off
			}
		}
		return -1
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s: %d documents, committed %d / %d", what, s.count(), committed(older), committed(newer))
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFor("both files", func() bool {
		return committed(older) == fileSize(t, older) && committed(newer) == fileSize(t, newer)
	})
	if s.count() != 3 {
		t.Errorf("%d documents, want 3", s.count())
	}
	for _, d := range s.docs {
		if !strings.Contains(d, `"path":"/var/log/audit.2021-09-2`) {
			t.Errorf("document without the docPath path: %s", d)
		}
	}

	// Appended lines are read and acknowledged too.
	f, err := os.OpenFile(newer, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, auditLine("n3", 5))
	f.Close()
	waitFor("the appended line", func() bool { return committed(newer) == fileSize(t, newer) })
	if s.count() != 4 || st.Lines.Load() != 6 || st.DeadLetters.Load() != 2 {
		t.Errorf("documents %d, lines %d, dead letters %d; want 4, 6, 2", s.count(), st.Lines.Load(), st.DeadLetters.Load())
	}
}

// TestTailDefaultDocPath: without docPath, documents carry the file's path.
func TestTailDefaultDocPath(t *testing.T) {
	dir := t.TempDir()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg, err := source.OpenRegistry(filepath.Join(t.TempDir(), "registry.json"), quiet)
	if err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, dir, "audit.2021-09-22.log", auditLine("a", 1))
	tl, err := source.NewTailer(source.TailConfig{Dir: dir, Registry: reg, PollInterval: 20 * time.Millisecond, Poll: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	s := &ackSink{}
	o := opts(t, s, filepath.Join(t.TempDir(), "dlq"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Tail(ctx, o, tl, nil, &Stats{}) }()
	deadline := time.Now().Add(10 * time.Second)
	for s.count() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if s.count() != 1 || !strings.Contains(s.docs[0], `"path":"`+p+`"`) {
		t.Errorf("documents %q, want one with path %s", s.docs, p)
	}
}

// TestSettledWithoutCursor: positions that are not a tailed file's (no
// cursor: replayed files) settle without effect.
func TestSettledWithoutCursor(t *testing.T) {
	for _, pos := range []*Position{{}, {Input: &Input{Path: "replayed.log"}}} {
		pos.Settled() // must not panic
	}
}
