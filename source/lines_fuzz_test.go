package source

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// FuzzLineReader: whatever the input and the limit, the lines and
// over-long lines returned tile the input exactly (offsets contiguous,
// numbers consecutive), a returned line is at most max bytes and is the
// input's text, an over-long one is over max and its Head is its first
// bytes (at most 4096), and only the last line may lack its newline.
func FuzzLineReader(f *testing.F) {
	f.Add([]byte("a\nbb\n\nccc"), uint16(2), false)
	f.Add([]byte("12345678\n123456789\n"), uint16(8), true)
	f.Add([]byte("\r\n\r\n"), uint16(0), false)
	f.Add(bytes.Repeat([]byte("x"), 5000), uint16(4095), true)
	f.Fuzz(func(t *testing.T, in []byte, max16 uint16, oneByte bool) {
		max := int(max16)
		var r io.Reader = bytes.NewReader(in)
		if oneByte {
			r = iotest.OneByteReader(r)
		}
		lr := NewLineReader(r, max, 7)
		if max <= 0 {
			max = DefaultMaxLine
		}
		off, num := int64(7), int64(0)
		for {
			l, err := lr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			num++
			var tl *LineTooLongError
			if errors.As(err, &tl) {
				text := in[tl.Offset-7 : tl.End-7]
				content := bytes.TrimSuffix(text, []byte("\n"))
				if tl.Number != num || tl.Offset != off || len(content) <= max || len(tl.Head) > 4096 ||
					!bytes.HasPrefix(text, tl.Head) || len(tl.Head) < min(len(text), max+1, 4096) {
					t.Fatalf("over-long line %d at %d (want %d at %d): head %d bytes of %d, max %d", tl.Number, tl.Offset, num, off, len(tl.Head), len(text), max)
				}
				off = tl.End
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if l.Number != num || l.Offset != off || len(l.Bytes) > max {
				t.Fatalf("line %d at %d (want %d at %d), %d bytes, max %d", l.Number, l.Offset, num, off, len(l.Bytes), max)
			}
			want := in[l.Offset-7 : l.End-7]
			if l.Complete {
				if want[len(want)-1] != '\n' {
					t.Fatalf("complete line %d without newline", num)
				}
				want = want[:len(want)-1]
			} else if l.End-7 != int64(len(in)) {
				t.Fatalf("line %d without newline before the end", num)
			}
			if !bytes.Equal(l.Bytes, want) || bytes.IndexByte(l.Bytes, '\n') >= 0 {
				t.Fatalf("line %d = %q, want %q", num, l.Bytes, want)
			}
			off = l.End
		}
		if off != int64(len(in))+7 || lr.Offset() != off {
			t.Fatalf("lines end at %d (reader %d), input at %d", off, lr.Offset(), len(in)+7)
		}
	})
}
