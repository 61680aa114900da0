package source

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

type got struct {
	text     string
	number   int64
	offset   int64
	complete bool
	tooLong  bool
}

func readAllLines(t *testing.T, r io.Reader, max int) []got {
	t.Helper()
	lr := NewLineReader(r, max, 0)
	var out []got
	for {
		l, err := lr.Next()
		var tl *LineTooLongError
		switch {
		case errors.Is(err, io.EOF):
			return out
		case errors.As(err, &tl):
			if !errors.Is(err, ErrLineTooLong) {
				t.Fatal("LineTooLongError does not match ErrLineTooLong")
			}
			out = append(out, got{text: string(tl.Head[:min(8, len(tl.Head))]), number: tl.Number, offset: tl.Offset, tooLong: true})
		case err != nil:
			t.Fatal(err)
		default:
			out = append(out, got{string(l.Bytes), l.Number, l.Offset, l.Complete, false})
		}
	}
}

func TestLineReader(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 1<<20+5) // over the bufio buffer, under the limit
	huge := strings.Repeat("y", 3<<20)  // over a 2 MiB limit
	tests := []struct {
		name string
		in   string
		max  int
		want []got
	}{
		{"plain", "a\nbb\n", 0, []got{{"a", 1, 0, true, false}, {"bb", 2, 2, true, false}}},
		{"CRLF kept for the parser", "a\r\nb\r\n", 0, []got{{"a\r", 1, 0, true, false}, {"b\r", 2, 3, true, false}}},
		{"partial last line", "a\nb", 0, []got{{"a", 1, 0, true, false}, {"b", 2, 2, false, false}}},
		{"empty lines", "\n\na\n", 0, []got{{"", 1, 0, true, false}, {"", 2, 1, true, false}, {"a", 3, 2, true, false}}},
		{"NUL bytes", "a\x00b\n", 0, []got{{"a\x00b", 1, 0, true, false}}},
		{"1 MiB line", big + "\nz\n", 0, []got{{big, 1, 0, true, false}, {"z", 2, int64(len(big) + 1), true, false}}},
		{"over the limit, then resync", "a\n" + huge + "\nb\n", 2 << 20, []got{
			{"a", 1, 0, true, false}, {"yyyyyyyy", 2, 2, false, true}, {"b", 3, int64(2 + len(huge) + 1), true, false}}},
		{"over the limit at EOF", huge, 2 << 20, []got{{"yyyyyyyy", 1, 0, false, true}}},
		{"over a limit smaller than the buffer", "a\n" + strings.Repeat("z", 10_000) + "\nb\n", 2048, []got{
			{"a", 1, 0, true, false}, {"zzzzzzzz", 2, 2, false, true}, {"b", 3, 2 + 10_001, true, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(tt.in), iotest.OneByteReader(strings.NewReader(tt.in))} {
				if len(tt.in) > 1<<20 {
					r = iotest.HalfReader(strings.NewReader(tt.in))
				}
				res := readAllLines(t, r, tt.max)
				if len(res) != len(tt.want) {
					t.Fatalf("got %d lines, want %d", len(res), len(tt.want))
				}
				for i := range res {
					if res[i] != tt.want[i] {
						g, w := res[i], tt.want[i]
						g.text, w.text = g.text[:min(20, len(g.text))], w.text[:min(20, len(w.text))]
						t.Errorf("line %d: got %+v, want %+v", i, g, w)
					}
				}
			}
		})
	}
}

func TestOpenDetectsGzip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("one\ntwo\n"))
	zw.Close()
	gz := filepath.Join(dir, "audit.log") // the name does not say gzip
	os.WriteFile(gz, buf.Bytes(), 0o644)
	plain := filepath.Join(dir, "audit.log.gz") // the name lies
	os.WriteFile(plain, []byte("one\ntwo\n"), 0o644)

	for _, p := range []string{gz, plain} {
		f, err := Open(p)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(f)
		f.Close()
		if err != nil || string(b) != "one\ntwo\n" {
			t.Errorf("%s: %q, %v", p, b, err)
		}
		if f.Compressed != (p == gz) {
			t.Errorf("%s: Compressed = %v", p, f.Compressed)
		}
	}

	// A corrupt archive: the lines before the damage are read, then an error.
	var big bytes.Buffer
	zw = gzip.NewWriter(&big)
	for i := 0; i < 20000; i++ {
		zw.Write([]byte("line of an archive that gets cut\n"))
	}
	zw.Close()
	cut := filepath.Join(dir, "cut.gz")
	os.WriteFile(cut, big.Bytes()[:big.Len()/2], 0o644)
	f, err := Open(cut)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lr := NewLineReader(f, 0, 0)
	n := 0
	for {
		_, err := lr.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				t.Fatal("corrupt archive read to a clean EOF")
			}
			break
		}
		n++
	}
	if n == 0 || n >= 20000 {
		t.Errorf("read %d lines of a half archive", n)
	}

	if _, err := Open(dir); err == nil {
		t.Error("opening a directory succeeded")
	}
}

// growing is a file being written: a read at the end of what is written so
// far returns io.EOF; more may be appended later.
type growing struct {
	data []byte
	pos  int
}

func (g *growing) Read(p []byte) (int, error) {
	if g.pos == len(g.data) {
		return 0, io.EOF
	}
	n := copy(p, g.data[g.pos:])
	g.pos += n
	return n, nil
}

// TestLineReaderHold: in tail mode (hold) a line is returned once, whole,
// when its newline arrives, however many writes it took and however often
// it was read while incomplete; an over-long one is one LineTooLongError
// spanning the whole physical line; the gathered bytes stay within the
// maximum. With hold cleared the unterminated last line is returned.
func TestLineReaderHold(t *testing.T) {
	t.Parallel()
	const max = 1024
	long := strings.Repeat("y", 5000)
	ok := "[2021-09-22T07:47:21.559-0000] logId=" + strings.Repeat("0", 900) // under the limit, over several writes
	for _, writes := range [][]string{
		{"a\n" + long + "\n" + ok + "\nb\n"},
		{"a\n", long[:600], long[600:1500], long[1500:], "\n", ok[:300], ok[300:], "\nb", "\n"},
		{"a\n" + long[:2000], long[2000:4999], long[4999:] + "\n" + ok[:10], ok[10:] + "\nb\n"},
	} {
		in := &growing{}
		lr := NewLineReader(in, max, 0)
		lr.hold = true
		var res []got
		var longEnd int64
		for _, w := range writes {
			in.data = append(in.data, w...)
			for {
				l, err := lr.Next()
				var tl *LineTooLongError
				if errors.As(err, &tl) {
					res = append(res, got{text: string(tl.Head[:8]), number: tl.Number, offset: tl.Offset, tooLong: true})
					longEnd = tl.End
					continue
				}
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				res = append(res, got{string(l.Bytes), l.Number, l.Offset, l.Complete, false})
			}
			if len(lr.long) > max+1 {
				t.Fatalf("%d bytes gathered, over the maximum", len(lr.long))
			}
		}
		want := []got{{"a", 1, 0, true, false}, {"yyyyyyyy", 2, 2, false, true},
			{ok, 3, 5003, true, false}, {"b", 4, 5003 + int64(len(ok)) + 1, true, false}}
		if len(res) != len(want) {
			t.Fatalf("writes %q: got %d lines %v, want %d", writes, len(res), res, len(want))
		}
		for i := range res {
			if res[i] != want[i] {
				t.Errorf("writes %q: line %d: got %+v, want %+v", writes, i, res[i], want[i])
			}
		}
		if longEnd != 5003 {
			t.Errorf("over-long line ends at %d, want 5003", longEnd)
		}
		end := 5003 + int64(len(ok)) + 3
		in.data = append(in.data, "unterminated"...)
		if _, err := lr.Next(); !errors.Is(err, io.EOF) {
			t.Fatalf("unterminated line returned in hold mode: %v", err)
		}
		lr.hold = false
		l, err := lr.Next()
		if err != nil || string(l.Bytes) != "unterminated" || l.Complete || l.Offset != end || l.Number != 5 {
			t.Fatalf("final line: %+v %v", l, err)
		}
	}
}
