package pipeline

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// TestReplayParallel: every file is replayed once whatever the number of
// jobs, each file's documents stay in order, and a failed input is reported
// while the others are still replayed.
func TestReplayParallel(t *testing.T) {
	dir := t.TempDir()
	var inputs []Input
	for f := range 5 {
		var lines []string
		for i := range 40 {
			lines = append(lines, auditLine(fmt.Sprintf("f%d-%02d", f, i), i))
		}
		inputs = append(inputs, Input{Path: writeFile(t, dir, fmt.Sprintf("audit.%d.log", f), lines...)})
	}
	for _, jobs := range []int{0, 1, 2, 5, 8} {
		t.Run(fmt.Sprint("jobs=", jobs), func(t *testing.T) {
			s := &batchSink{}
			o := opts(t, s, filepath.Join(t.TempDir(), "dlq"))
			o.ChunkLines = 7
			var st Stats
			withMissing := append(slices.Clone(inputs), Input{Path: filepath.Join(dir, "missing.log")})
			err := ReplayParallel(context.Background(), o, withMissing, jobs, &st)
			if err == nil || !strings.Contains(err.Error(), "missing.log") {
				t.Fatalf("err = %v, want the missing input reported", err)
			}
			// Parallel jobs count their failed inputs; one job is Replay's own error.
			if counted := strings.HasPrefix(err.Error(), "1 input(s) failed: "); counted != (jobs > 1) {
				t.Errorf("jobs %d: err = %v", jobs, err)
			}
			perFile := map[string][]string{}
			for _, b := range s.batches {
				perFile[b.source] = append(perFile[b.source], b.docs...)
			}
			if len(perFile) != 5 || st.Documents.Load() != 200 || st.FilesFailed.Load() != 1 {
				t.Fatalf("files %d, documents %d, failed %d", len(perFile), st.Documents.Load(), st.FilesFailed.Load())
			}
			for src, docs := range perFile {
				if !slices.IsSortedFunc(docs, func(a, b string) int { return strings.Compare(logID(a), logID(b)) }) || len(docs) != 40 {
					t.Errorf("%s: %d documents, out of order", src, len(docs))
				}
			}
		})
	}
}

// TestPlan: files read at once and the workers each gets.
func TestPlan(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	for _, c := range []struct{ jobs, n, workers, files, perFile int }{
		{0, 5, 4, 1, 4},
		{1, 5, 4, 1, 4},
		{2, 5, 4, 2, 2},
		{3, 5, 4, 3, 1},
		{8, 5, 4, 5, 1},  // no more jobs than files
		{2, 1, 4, 1, 4},  // one file: all the workers
		{2, 0, 4, 1, 4},  // no file
		{-1, 5, 6, 1, 6}, // nonsense jobs: one at a time
		{2, 5, 1, 2, 1},  // fewer workers than jobs: one each
		{1, 5, 0, 1, procs},
		{2, 5, 0, 2, max(1, procs/2)},
		{2, 5, 9, 2, 4},
	} {
		files, per := plan(c.jobs, c.n, c.workers)
		if files != c.files || per != c.perFile {
			t.Errorf("plan(jobs %d, %d inputs, %d workers) = %d files, %d workers each; want %d, %d",
				c.jobs, c.n, c.workers, files, per, c.files, c.perFile)
		}
	}
}

// TestReplayParallelCancelled: cancelling stops handing out files.
func TestReplayParallelCancelled(t *testing.T) {
	dir := t.TempDir()
	var inputs []Input
	for f := range 4 {
		inputs = append(inputs, Input{Path: writeFile(t, dir, fmt.Sprintf("audit.%d.log", f), auditLine(fmt.Sprint(f), 1))})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := &batchSink{}
	var st Stats
	err := ReplayParallel(ctx, opts(t, s, filepath.Join(t.TempDir(), "dlq")), inputs, 2, &st)
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
	if n := st.Documents.Load(); n == 4 {
		t.Errorf("all %d documents replayed after cancellation", n)
	}
}

// logID returns the logId of a document.
func logID(doc string) string {
	_, rest, _ := strings.Cut(doc, `"logId":"`)
	id, _, _ := strings.Cut(rest, `"`)
	return id
}
