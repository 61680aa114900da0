package source

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxLine is the longest line read whole: 8 MiB.
const DefaultMaxLine = 8 << 20

// Line is one line of input.
type Line struct {
	Bytes    []byte // without the trailing "\n" (a "\r" before it is kept)
	Number   int64  // 1-based line number
	Offset   int64  // byte offset of the line's first byte
	End      int64  // byte offset just past the line and its newline
	Complete bool   // the line ended with "\n"
}

// LineTooLongError reports a line over the maximum; Head holds its first
// bytes. The reader has already skipped the rest of the line.
type LineTooLongError struct {
	Number      int64
	Offset, End int64
	Head        []byte
}

func (e *LineTooLongError) Error() string {
	return fmt.Sprintf("line %d is %d bytes, over the limit", e.Number, e.End-e.Offset)
}

// ErrLineTooLong is matched by every *LineTooLongError with errors.Is.
var ErrLineTooLong = errors.New("line too long")

// Is makes errors.Is(err, ErrLineTooLong) true.
func (e *LineTooLongError) Is(target error) bool { return target == ErrLineTooLong }

// LineReader splits a stream into lines.
//
// Memory is bounded by the maximum line length whatever the input: a line
// is gathered in a buffer of at most max+1 bytes, and the bytes of an
// over-long line beyond that are counted and dropped as they are read.
type LineReader struct {
	br     *bufio.Reader
	max    int
	long   []byte // the current line's bytes when it spans several reads (at most max+1)
	size   int64  // bytes of the current, unfinished line read so far (0: none)
	offset int64
	number int64
	// hold keeps an unterminated line inside the reader at the end of the
	// input instead of returning it: Next returns io.EOF and, once more
	// bytes are appended, goes on with the same line. Used when tailing a
	// file that is still being written, so that a line (over-long or not)
	// is returned once, whole, when its newline arrives, however many
	// writes it took. Clear it to take the unterminated line as final.
	hold bool
}

// NewLineReader reads lines of at most maxLine bytes (DefaultMaxLine if <= 0)
// from r, numbering from 1 and counting offsets from start.
func NewLineReader(r io.Reader, maxLine int, start int64) *LineReader {
	if maxLine <= 0 {
		maxLine = DefaultMaxLine
	}
	return &LineReader{br: bufio.NewReaderSize(r, 256<<10), max: maxLine, offset: start}
}

// Offset returns the offset just past the last line returned.
func (r *LineReader) Offset() int64 { return r.offset }

// Next returns the next line, io.EOF at the end, a *LineTooLongError for an
// over-long line (reading may go on), or the underlying read error.
func (r *LineReader) Next() (Line, error) {
	for {
		frag, err := r.br.ReadSlice('\n')
		if err == nil && r.size == 0 {
			// The whole line is in the buffer: no copy.
			if len(frag)-1 > r.max {
				return Line{}, r.tooLong(frag, int64(len(frag)))
			}
			return r.emit(frag[:len(frag)-1], int64(len(frag)), true), nil
		}
		if len(frag) > 0 {
			r.size += int64(len(frag))
			if room := r.max + 1 - len(r.long); room > 0 {
				r.long = append(r.long, frag[:min(room, len(frag))]...)
			}
		}
		switch {
		case err == nil: // the newline of a line gathered over several reads
			return r.finish(true)
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case r.size > 0 && errors.Is(err, io.EOF) && r.hold:
			return Line{}, io.EOF // unterminated: wait for the rest
		case r.size > 0 && !r.hold:
			// The last line, without its newline. A read error other
			// than EOF comes back with the next call.
			return r.finish(false)
		default:
			return Line{}, err
		}
	}
}

// finish returns the gathered line.
func (r *LineReader) finish(complete bool) (Line, error) {
	size, b := r.size, r.long
	r.size, r.long = 0, r.long[:0]
	content := size
	if complete {
		content--
	}
	if content > int64(r.max) {
		return Line{}, r.tooLong(b, size)
	}
	if complete {
		b = b[:len(b)-1]
	}
	return r.emit(b, size, complete), nil
}

func (r *LineReader) emit(b []byte, size int64, complete bool) Line {
	r.number++
	l := Line{Bytes: b, Number: r.number, Offset: r.offset, End: r.offset + size, Complete: complete}
	r.offset = l.End
	return l
}

func (r *LineReader) tooLong(head []byte, size int64) error {
	r.number++
	e := &LineTooLongError{Number: r.number, Offset: r.offset, End: r.offset + size}
	n := min(len(head), 4096)
	e.Head = bytes.Clone(head[:n])
	r.offset = e.End
	return e
}
