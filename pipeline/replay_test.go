package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ingestd/ingestd/enrich"
	"github.com/ingestd/ingestd/sink"
)

// memSink records documents; it can fail after a number of batches.
type memSink struct {
	mu       sync.Mutex
	docs     []string
	failFrom int // fail the batch with this index (1-based); 0 never
	batches  int
}

func (m *memSink) Write(_ context.Context, b *sink.Batch) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.batches++
	if m.failFrom > 0 && m.batches >= m.failFrom {
		return errors.New("disk full")
	}
	for i := range b.Len() {
		m.docs = append(m.docs, string(b.Doc(i)))
	}
	return nil
}
func (m *memSink) Close() error { return nil }

func writeLines(t *testing.T, path string, n int, bad func(i int) bool) {
	t.Helper()
	var b bytes.Buffer
	for i := range n {
		if bad != nil && bad(i) {
			fmt.Fprintf(&b, "garbage line %d\n", i)
			continue
		}
		fmt.Fprintf(&b, "[2021-09-22T07:47:21.559-0000] logId=id-%06d userAgent=python-requests/2.26.0 clientIp=111.202.167.58 eventType=createUser eventResultCode=success\n", i)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func enricher(t *testing.T) *enrich.Enricher {
	d, err := enrich.LoadDictionary("none", "")
	if err != nil {
		t.Fatal(err)
	}
	return enrich.New(enrich.Config{Dict: d, Host: "h"})
}

// TestReplayOrderAndAccounting: many chunks through several workers come
// out in input order, and lines = documents + dead letters + blank.
func TestReplayOrderAndAccounting(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	writeLines(t, a, 10_000, func(i int) bool { return i%997 == 0 })
	writeLines(t, b, 3_000, nil)
	m := &memSink{}
	dl := sink.NewDeadLetters(filepath.Join(dir, "dlq"))
	var st Stats
	err := Replay(context.Background(), Options{Enricher: enricher(t), Sink: m, DeadLetters: dl, Workers: 3, ChunkLines: 100}, []Input{{Path: a}, {Path: b}}, &st)
	if err != nil {
		t.Fatal(err)
	}
	dl.Close()
	wantBad := int64(11) // i%997==0 for i < 10000
	if st.Lines.Load() != 13_000 || st.DeadLetters.Load() != wantBad || st.Documents.Load() != 13_000-wantBad || dl.Count() != wantBad {
		t.Fatalf("lines %d docs %d dead %d (file %d)", st.Lines.Load(), st.Documents.Load(), st.DeadLetters.Load(), dl.Count())
	}
	prev := ""
	for i, d := range m.docs {
		var doc struct {
			LogID string `json:"logId"`
			Path  string `json:"path"`
		}
		if err := json.Unmarshal([]byte(d), &doc); err != nil {
			t.Fatal(err)
		}
		key := doc.Path + doc.LogID
		if key <= prev {
			t.Fatalf("document %d (%s) out of order after %s", i, key, prev)
		}
		prev = key
	}
}

// TestReplaySinkFailure: a failing sink stops the run with its error.
func TestReplaySinkFailure(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.log")
	writeLines(t, a, 5_000, nil)
	m := &memSink{failFrom: 3}
	var st Stats
	err := Replay(context.Background(), Options{Enricher: enricher(t), Sink: m, DeadLetters: sink.NewDeadLetters(filepath.Join(dir, "dlq")), ChunkLines: 100}, []Input{{Path: a}}, &st)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v, want the sink's error", err)
	}
	if got := st.Documents.Load(); got != 200 {
		t.Errorf("Documents = %d, want the 200 delivered before the failure", got)
	}
}

// TestReplayDeadLetterFailure: when a rejected line cannot be stored, the
// run fails instead of losing it.
func TestReplayDeadLetterFailure(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.log")
	writeLines(t, a, 10, func(i int) bool { return i == 5 })
	var st Stats
	m := &memSink{}
	err := Replay(context.Background(), Options{Enricher: enricher(t), Sink: m, DeadLetters: sink.NewDeadLetters(filepath.Join(dir, "no", "dlq"))}, []Input{{Path: a}}, &st)
	var pe *fs.PathError
	if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) || pe.Path != filepath.Join(dir, "no", "dlq") {
		t.Fatalf("err = %v, want the dead-letter file's fs.ErrNotExist: a dead letter that could not be written went unreported", err)
	}
	// The chunk holding the lost letter is not delivered, so its position
	// is never acknowledged; nothing is counted as dead-lettered.
	if st.DeadLetters.Load() != 0 || st.Documents.Load() != 0 || len(m.docs) != 0 || st.Lines.Load() != 10 {
		t.Errorf("dead letters %d, documents %d (sink %d), lines %d", st.DeadLetters.Load(), st.Documents.Load(), len(m.docs), st.Lines.Load())
	}
}

// TestReplayCancel: cancelling stops reading and says so: an interrupted
// replay must not look like a complete one.
func TestReplayCancel(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.log")
	writeLines(t, a, 50_000, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var st Stats
	err := Replay(ctx, Options{Enricher: enricher(t), Sink: &memSink{}, DeadLetters: sink.NewDeadLetters(filepath.Join(dir, "dlq"))}, []Input{{Path: a}}, &st)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if st.Lines.Load() == 50_000 || st.Files.Load() != 0 {
		t.Errorf("read %d lines, %d file(s) done after cancellation", st.Lines.Load(), st.Files.Load())
	}
	if st.Documents.Load() > st.Lines.Load() {
		t.Fatal("more documents than lines")
	}
	_ = io.EOF
}
