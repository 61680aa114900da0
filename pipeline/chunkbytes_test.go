package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestChunkBytes: a chunk ends once its raw lines reach ChunkBytes
// (DefaultChunkBytes bounds pooled memory, issue 12).
func TestChunkBytes(t *testing.T) {
	dir := t.TempDir()
	pad := func(id string) string {
		l := auditLine(id, 1) + " operationParam="
		return l + strings.Repeat("x", 1000-len(l))
	}
	f := writeFile(t, dir, "a.log", pad("a1"), pad("a2"), pad("a3"), pad("a4"), pad("a5"))
	s := &batchSink{}
	o := opts(t, s, filepath.Join(dir, "dlq"))
	o.ChunkBytes = 2000 // two 1000-byte lines (plus newline) fill a chunk
	if err := Replay(context.Background(), o, []Input{{Path: f}}, &Stats{}); err != nil {
		t.Fatal(err)
	}
	if got := s.sizes(); fmt.Sprint(got) != "[2 2 1]" {
		t.Errorf("ChunkBytes 2000: batches of %v, want [2 2 1]", got)
	}
}
