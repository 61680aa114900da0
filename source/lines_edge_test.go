package source

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestLineReaderAtMaxLine: a line of exactly max bytes (its newline not
// counted) is returned whole; one byte more is over the limit — with the
// line in the read buffer, spanning several reads, and as the last line
// without a newline.
func TestLineReaderAtMaxLine(t *testing.T) {
	t.Parallel()
	for _, max := range []int{16, 300 << 10} { // the second is larger than the 256 KiB read buffer
		for _, oneByte := range []bool{false, true} {
			name := fmt.Sprintf("max %d, one byte per read %v", max, oneByte)
			if oneByte && max > 1<<10 {
				continue
			}
			exact := strings.Repeat("a", max)
			over := strings.Repeat("b", max+1)
			input := exact + "\n" + over + "\n" + "x\n" + exact + "\r\n" + exact
			var r io.Reader = strings.NewReader(input)
			if oneByte {
				r = iotest.OneByteReader(r)
			}
			lr := NewLineReader(r, max, 1000)
			type res struct {
				n, off, end int64
				size        int
				long        bool
				complete    bool
			}
			var got []res
			for {
				l, err := lr.Next()
				var tl *LineTooLongError
				if errors.Is(err, io.EOF) {
					break
				}
				if errors.As(err, &tl) {
					got = append(got, res{tl.Number, tl.Offset, tl.End, len(tl.Head), true, false})
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, res{l.Number, l.Offset, l.End, len(l.Bytes), false, l.Complete})
			}
			o := int64(1000)
			m := int64(max)
			want := []res{
				{1, o, o + m + 1, max, false, true},
				{2, o + m + 1, o + 2*m + 3, min(max+2, 4096), true, false},
				{3, o + 2*m + 3, o + 2*m + 5, 1, false, true},
				// "\r" is content: max+1 bytes before the newline
				{4, o + 2*m + 5, o + 3*m + 7, min(max+2, 4096), true, false},
				{5, o + 3*m + 7, o + 4*m + 7, max, false, false},
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s:\n got %v\nwant %v", name, got, want)
			}
			if lr.Offset() != o+int64(len(input)) {
				t.Errorf("%s: Offset %d, want %d", name, lr.Offset(), o+int64(len(input)))
			}
		}
	}
	// Over the limit without a newline, at the end.
	lr := NewLineReader(strings.NewReader("abcde"), 4, 0)
	_, err := lr.Next()
	var tl *LineTooLongError
	if !errors.As(err, &tl) || tl.End != 5 || string(tl.Head) != "abcde" || tl.Error() != "line 1 is 5 bytes, over the limit" {
		t.Errorf("unterminated over-long line: %v", err)
	}
}

// TestLineReaderDefaults: a maximum of 0 or less means DefaultMaxLine, and
// a long line keeps only its first 4096 bytes as Head.
func TestLineReaderDefaults(t *testing.T) {
	t.Parallel()
	line := strings.Repeat("l", 10000)
	for _, max := range []int{0, -1} {
		lr := NewLineReader(strings.NewReader(line+"\n"), max, 0)
		l, err := lr.Next()
		if err != nil || len(l.Bytes) != len(line) {
			t.Errorf("max %d: %d bytes, %v", max, len(l.Bytes), err)
		}
	}
	lr := NewLineReader(strings.NewReader(line+"\n"+line), 9999, 0)
	for i := range 2 {
		_, err := lr.Next()
		var tl *LineTooLongError
		if !errors.As(err, &tl) || len(tl.Head) != 4096 || !bytes.Equal(tl.Head, []byte(line[:4096])) {
			t.Errorf("line %d: %v", i+1, err)
		}
	}
	if !errors.Is(&LineTooLongError{}, ErrLineTooLong) || errors.Is(&LineTooLongError{}, io.EOF) {
		t.Error("LineTooLongError.Is")
	}
}

// TestLineReaderHoldAtMax: with hold, an unterminated line of exactly max
// bytes waits for its newline and then comes back whole.
func TestLineReaderHoldAtMax(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	lr := NewLineReader(&buf, 8, 0)
	lr.hold = true
	buf.WriteString("12345678")
	if _, err := lr.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("unterminated line returned: %v", err)
	}
	buf.WriteString("\n123456789")
	l, err := lr.Next()
	if err != nil || string(l.Bytes) != "12345678" || !l.Complete || l.End != 9 {
		t.Fatalf("held line: %q %v", l.Bytes, err)
	}
	if _, err := lr.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("over-long unterminated line returned: %v", err)
	}
	buf.WriteString("\n")
	_, err = lr.Next()
	var tl *LineTooLongError
	if !errors.As(err, &tl) || tl.Offset != 9 || tl.End != 19 {
		t.Fatalf("held over-long line: %v", err)
	}
	lr.hold = false
	buf.WriteString("end")
	if l, err := lr.Next(); err != nil || string(l.Bytes) != "end" || l.Complete {
		t.Fatalf("last line without hold: %q %v", l.Bytes, err)
	}
}

// TestLineTooLongErrorText: the size in the message is the line's own,
// wherever it starts.
func TestLineTooLongErrorText(t *testing.T) {
	t.Parallel()
	e := &LineTooLongError{Number: 7, Offset: 1000, End: 1300}
	if got := e.Error(); got != "line 7 is 300 bytes, over the limit" {
		t.Errorf("Error() = %q", got)
	}
}
