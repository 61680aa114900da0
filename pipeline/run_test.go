package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ingestd/ingestd/sink"
	"github.com/ingestd/ingestd/source"
)

// batchSink records every batch it is given: documents, metadata, source
// and a copy of its Position token.
type batchSink struct {
	mu      sync.Mutex
	batches []recorded
	fail    error // returned from the first Write on
	release chan struct{}
}

type recorded struct {
	docs   []string
	ids    []string
	meta   []sink.DocMeta
	source string
	pos    Position
}

func (s *batchSink) Write(_ context.Context, b *sink.Batch) error {
	if s.release != nil {
		<-s.release
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	r := recorded{source: b.Source, meta: append([]sink.DocMeta(nil), b.Meta...), pos: *b.Token.(*Position)}
	for i := range b.Len() {
		r.docs = append(r.docs, string(b.Doc(i)))
		r.ids = append(r.ids, string(b.ID(i)))
	}
	s.batches = append(s.batches, r)
	return nil
}

func (s *batchSink) Close() error { return nil }

func (s *batchSink) sizes() []int {
	var n []int
	for _, b := range s.batches {
		n = append(n, len(b.docs))
	}
	return n
}

// auditLine is a valid line with logId id at second sec.
func auditLine(id string, sec int) string {
	return fmt.Sprintf("[2021-09-22T07:47:%02d.559-0000] logId=%s userId=u clientIp=10.0.0.1 eventType=login", sec, id)
}

func writeFile(t *testing.T, dir, name string, lines ...string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func opts(t *testing.T, s sink.Sink, dlq string) Options {
	return Options{Enricher: enricher(t), Sink: s, DeadLetters: sink.NewDeadLetters(dlq), Workers: 2}
}

// TestChunking: a chunk closes at ChunkLines lines (2048 by default), at
// DefaultChunkBytes of raw lines, and at the end of each input.
func TestChunking(t *testing.T) {
	dir := t.TempDir()
	var lines []string
	for i := range 5 {
		lines = append(lines, auditLine(fmt.Sprintf("id-%d", i), i))
	}
	a := writeFile(t, dir, "a.log", lines...)
	b := writeFile(t, dir, "b.log", lines[:1]...)
	for _, tt := range []struct {
		chunk int
		want  []int
	}{
		{0, []int{5, 1}},
		{-1, []int{5, 1}},
		{1, []int{1, 1, 1, 1, 1, 1}},
		{2, []int{2, 2, 1, 1}},
		{5, []int{5, 1}},
		{6, []int{5, 1}},
	} {
		s := &batchSink{}
		o := opts(t, s, filepath.Join(dir, "dlq"))
		o.ChunkLines = tt.chunk
		if err := Replay(context.Background(), o, []Input{{Path: a}, {Path: b, DocPath: "/doc/b"}}, &Stats{}); err != nil {
			t.Fatal(err)
		}
		if got := s.sizes(); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("ChunkLines %d: batches of %v, want %v", tt.chunk, got, tt.want)
		}
		last := s.batches[len(s.batches)-1]
		if last.source != b || !strings.Contains(last.docs[0], `"path":"/doc/b"`) {
			t.Errorf("ChunkLines %d: last batch from %s: %s", tt.chunk, last.source, last.docs[0])
		}
		if first := s.batches[0]; first.source != a || !strings.Contains(first.docs[0], `"path":"`+a+`"`) {
			t.Errorf("ChunkLines %d: first batch from %s: %s", tt.chunk, first.source, first.docs[0])
		}
	}

	// DefaultChunkBytes: two lines of exactly half of it fill a chunk.
	pad := func(id string) string {
		l := auditLine(id, 1) + " operationParam="
		return l + strings.Repeat("x", DefaultChunkBytes/2-len(l))
	}
	big := writeFile(t, dir, "big.log", pad("b1"), pad("b2"), pad("b3"))
	s := &batchSink{}
	if err := Replay(context.Background(), opts(t, s, filepath.Join(dir, "dlq")), []Input{{Path: big}}, &Stats{}); err != nil {
		t.Fatal(err)
	}
	if got := s.sizes(); fmt.Sprint(got) != "[2 1]" {
		t.Errorf("%d-byte chunks: batches of %v, want [2 1]", DefaultChunkBytes, got)
	}
}

// TestAccounting: every line is a document, a dead letter or blank, and
// each chunk's Position says where it ends and what it held.
func TestAccounting(t *testing.T) {
	dir := t.TempDir()
	long := auditLine("long", 9) + strings.Repeat("y", 300)
	p := writeFile(t, dir, "a.log",
		auditLine("id-1", 3), // 1
		"",                   // 2 blank
		"garbage",            // 3 parse error
		auditLine("id-4", 7), // 4 newest event
		"\r",                 // 5 blank (CRLF file)
		long,                 // 6 over the limit
		"\r\r",               // 7 not blank: parse error
		auditLine("id-8", 5), // 8
	)
	size := fileSize(t, p)
	s := &batchSink{}
	o := opts(t, s, filepath.Join(dir, "dlq"))
	o.MaxLine = 200
	var st Stats
	if err := Replay(context.Background(), o, []Input{{Path: p}}, &st); err != nil {
		t.Fatal(err)
	}
	o.DeadLetters.Close()
	got := [8]int64{st.Files.Load(), st.FilesFailed.Load(), st.Bytes.Load(), st.Lines.Load(), st.Documents.Load(), st.DeadLetters.Load(), st.Blank.Load(), st.DiskBytes.Load()}
	if want := [8]int64{1, 0, size, 8, 3, 3, 2, size}; got != want {
		t.Errorf("stats %v, want %v (files, failed, bytes, lines, documents, dead letters, blank, disk bytes)", got, want)
	}
	if len(s.batches) != 1 {
		t.Fatalf("%d batches", len(s.batches))
	}
	b := s.batches[0]
	wantPos := Position{End: size, Line: 8, EventMilli: 1632296827559, DeadLetters: 3, Blank: 2}
	b.pos.Input = nil
	if b.pos != wantPos {
		t.Errorf("position %+v, want %+v", b.pos, wantPos)
	}
	if fmt.Sprint(b.ids) != "[id-1 id-4 id-8]" {
		t.Errorf("ids %v", b.ids)
	}
	offsets := lineOffsets(t, p)
	for i, n := range []int64{1, 4, 8} {
		if m := b.meta[i]; m.Line != n || m.Date != 20210922 || m.Offset != offsets[n-1] {
			t.Errorf("meta %d = %+v, want line %d offset %d", i, m, n, offsets[n-1])
		}
	}
	// Over-long lines are dead-lettered by the reader, parse errors by the
	// workers: the file is not in line order.
	letters := map[int64]sink.DeadLetter{}
	for _, l := range readLetters(t, filepath.Join(dir, "dlq")) {
		letters[l.Line] = l
	}
	wantReason := fmt.Sprintf("line 6 is %d bytes, over the limit; first %d bytes kept", len(long)+1, len(long)+1)
	if l := letters[3]; len(letters) != 3 || l.Stage != "parse" || l.Offset != offsets[2] || l.Raw != "garbage" ||
		!strings.Contains(l.Reason, "does not start with a [timestamp]") {
		t.Errorf("letter of line 3: %+v", l)
	}
	if l := letters[6]; l.Stage != "read" || l.Reason != wantReason || l.Offset != offsets[5] || l.Raw != long+"\n" {
		t.Errorf("letter of line 6: %+v, want reason %q", l, wantReason)
	}
	if l := letters[7]; l.Stage != "parse" || l.Raw != "\r\r" || l.Source != p {
		t.Errorf("letter of line 7: %+v", l)
	}
}

// TestTooLongPositions: an over-long line moves the position of the chunk
// it falls in, or starts a chunk of its own that carries only it.
func TestTooLongPositions(t *testing.T) {
	dir := t.TempDir()
	long := strings.Repeat("z", 300)
	for _, tt := range []struct {
		name  string
		lines []string
		sizes string
		pos   []Position // End filled from the file
	}{
		{"alone", []string{long}, "[0]", []Position{{Line: 1, DeadLetters: 1}}},
		{"first", []string{long, auditLine("a", 1)}, "[1]", []Position{{Line: 2, DeadLetters: 1, EventMilli: 1632296821559}}},
		{"last", []string{auditLine("a", 1), long}, "[1]", []Position{{Line: 2, DeadLetters: 1, EventMilli: 1632296821559}}},
		{"two", []string{long, long}, "[0]", []Position{{Line: 2, DeadLetters: 2}}},
	} {
		p := writeFile(t, dir, tt.name+".log", tt.lines...)
		s := &batchSink{}
		o := opts(t, s, filepath.Join(dir, tt.name+".dlq"))
		o.MaxLine = 200
		var st Stats
		if err := Replay(context.Background(), o, []Input{{Path: p}}, &st); err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(s.sizes()); got != tt.sizes {
			t.Errorf("%s: batches %s, want %s", tt.name, got, tt.sizes)
		}
		for i, want := range tt.pos {
			want.End = fileSize(t, p)
			got := s.batches[i].pos
			got.Input = nil
			if got != want {
				t.Errorf("%s: position %+v, want %+v", tt.name, got, want)
			}
		}
		if st.Lines.Load() != int64(len(tt.lines)) || st.Bytes.Load() != fileSize(t, p) {
			t.Errorf("%s: lines %d bytes %d", tt.name, st.Lines.Load(), st.Bytes.Load())
		}
	}
}

// TestTooLongDeadLetterFailure: an over-long line that cannot be
// dead-lettered fails the input.
func TestTooLongDeadLetterFailure(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "a.log", auditLine("a", 1), strings.Repeat("z", 300))
	o := opts(t, &batchSink{}, filepath.Join(dir, "missing", "dlq"))
	o.MaxLine = 200
	var st Stats
	err := Replay(context.Background(), o, []Input{{Path: p}}, &st)
	if !errors.Is(err, fs.ErrNotExist) || st.FilesFailed.Load() != 1 || st.DeadLetters.Load() != 0 {
		t.Errorf("err %v, failed %d, dead letters %d", err, st.FilesFailed.Load(), st.DeadLetters.Load())
	}
}

// TestReplayUnreadableInputs: inputs that cannot be opened or read to the
// end are reported (all of them), the others are still read; the lines
// of a corrupt archive before the damage are delivered.
func TestReplayUnreadableInputs(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.log", auditLine("g1", 1), auditLine("g2", 2))
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	for i := range 200 {
		fmt.Fprintln(w, auditLine(fmt.Sprintf("z%d", i), 1))
	}
	w.Close()
	corrupt := filepath.Join(dir, "cut.log.gz")
	os.WriteFile(corrupt, gz.Bytes()[:gz.Len()-12], 0o644) // no trailer: unexpected EOF
	missing := filepath.Join(dir, "missing.log")
	s := &batchSink{}
	var st Stats
	err := Replay(context.Background(), opts(t, s, filepath.Join(dir, "dlq")), []Input{{Path: missing}, {Path: corrupt}, {Path: good}}, &st)
	if err == nil || !strings.Contains(err.Error(), "2 input(s) could not be read") || !errors.Is(err, fs.ErrNotExist) ||
		!strings.Contains(err.Error(), corrupt) {
		t.Fatalf("err = %v", err)
	}
	if st.Files.Load() != 1 || st.FilesFailed.Load() != 2 {
		t.Errorf("files %d failed %d", st.Files.Load(), st.FilesFailed.Load())
	}
	docs := 0
	for _, b := range s.batches {
		docs += len(b.docs)
	}
	if docs < 2+150 || int64(docs) != st.Documents.Load() {
		t.Errorf("%d documents delivered (Documents %d), want the good file and most of the archive", docs, st.Documents.Load())
	}
	if last := s.batches[len(s.batches)-1]; last.source != good || len(last.docs) != 2 {
		t.Errorf("last batch from %s with %d documents", last.source, len(last.docs))
	}
}

// TestRunErrors: Run joins the producer's error with the sink's, counts
// what the failed chunks held, and a sink failure does not come back as
// a cancellation.
func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	in := &Input{Path: "x.log", DocPath: "x.log"}
	line := func(n int64) source.Line {
		b := []byte(auditLine(fmt.Sprint(n), 1))
		return source.Line{Bytes: b, Number: n, Offset: (n - 1) * 100, End: n * 100}
	}
	readErr := errors.New("disk gone")
	s := &batchSink{}
	var st Stats
	err := Run(context.Background(), opts(t, s, filepath.Join(dir, "dlq")), &st, func(ctx context.Context, f *Feeder) error {
		if err := f.Line(in, line(1)); err != nil {
			return err
		}
		return readErr
	})
	if !errors.Is(err, readErr) || len(s.batches) != 1 || st.Documents.Load() != 1 {
		t.Errorf("producer error: %v, %d batches, %d documents", err, len(s.batches), st.Documents.Load())
	}

	// The sink fails on a chunk while the producer holds the next one and
	// then ends without error: the error is the sink's alone.
	full := errors.New("disk full")
	for range 20 {
		s := &batchSink{fail: full, release: make(chan struct{})}
		o := opts(t, s, filepath.Join(dir, "dlq"))
		o.Workers = 1
		var st Stats
		err := Run(context.Background(), o, &st, func(ctx context.Context, f *Feeder) error {
			f.Line(in, line(1))
			f.Flush()
			f.Line(in, line(2)) // a chunk taken before the sink fails
			close(s.release)
			<-ctx.Done()
			return nil
		})
		if !errors.Is(err, full) || errors.Is(err, context.Canceled) || st.Documents.Load() != 0 {
			t.Fatalf("sink failure: err %v, documents %d", err, st.Documents.Load())
		}
	}
}

// TestRunCancelledBeforeLastChunk: when the caller cancels after the
// producer read its last line, that line is either delivered or the run
// fails with the cancellation — never a clean return without it.
func TestRunCancelledBeforeLastChunk(t *testing.T) {
	dir := t.TempDir()
	in := &Input{Path: "x.log", DocPath: "x.log"}
	delivered, failed := 0, 0
	for range 40 {
		s := &batchSink{}
		var st Stats
		ctx, cancel := context.WithCancel(context.Background())
		err := Run(ctx, opts(t, s, filepath.Join(dir, "dlq")), &st, func(ctx context.Context, f *Feeder) error {
			if err := f.Line(in, source.Line{Bytes: []byte(auditLine("last", 1)), Number: 1, End: 10}); err != nil {
				return err
			}
			cancel()
			return nil
		})
		switch {
		case err == nil && st.Documents.Load() == 1:
			delivered++
		case errors.Is(err, context.Canceled) && st.Documents.Load() == 0 && strings.Contains(err.Error(), "last chunk not delivered"):
			failed++
		default:
			t.Fatalf("err %v with %d documents delivered", err, st.Documents.Load())
		}
	}
	t.Logf("delivered %d, reported %d", delivered, failed)
}

func fileSize(t *testing.T, p string) int64 {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func lineOffsets(t *testing.T, p string) []int64 {
	t.Helper()
	b, _ := os.ReadFile(p)
	offs := []int64{0}
	for i, c := range b {
		if c == '\n' && i+1 < len(b) {
			offs = append(offs, int64(i+1))
		}
	}
	return offs
}

func readLetters(t *testing.T, path string) []sink.DeadLetter {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []sink.DeadLetter
	for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var d sink.DeadLetter
		if err := json.Unmarshal(l, &d); err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}
