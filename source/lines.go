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
type LineReader struct {
	br     *bufio.Reader
	max    int
	long   []byte // accumulates lines longer than the bufio buffer
	offset int64
	number int64
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
	frag, err := r.br.ReadSlice('\n')
	if err == nil {
		return r.emit(frag[:len(frag)-1], len(frag), true), nil
	}
	if !errors.Is(err, bufio.ErrBufferFull) {
		if len(frag) > 0 {
			if len(frag) > r.max {
				return Line{}, r.tooLong(frag, len(frag))
			}
			return r.emit(frag, len(frag), false), nil
		}
		return Line{}, err
	}
	// A line longer than the buffer: gather it, up to the maximum.
	r.long = append(r.long[:0], frag...)
	size := len(frag)
	for {
		frag, err = r.br.ReadSlice('\n')
		size += len(frag)
		if len(r.long) <= r.max {
			r.long = append(r.long, frag...)
		}
		if err == nil || !errors.Is(err, bufio.ErrBufferFull) {
			break
		}
	}
	complete := err == nil
	if err != nil && !errors.Is(err, io.EOF) {
		return Line{}, err
	}
	content := size
	if complete {
		content--
	}
	if content > r.max {
		return Line{}, r.tooLong(r.long, size)
	}
	b := r.long
	if complete {
		b = b[:len(b)-1]
	}
	return r.emit(b, size, complete), nil
}

func (r *LineReader) emit(b []byte, size int, complete bool) Line {
	r.number++
	l := Line{Bytes: b, Number: r.number, Offset: r.offset, End: r.offset + int64(size), Complete: complete}
	r.offset = l.End
	return l
}

func (r *LineReader) tooLong(head []byte, size int) error {
	r.number++
	e := &LineTooLongError{Number: r.number, Offset: r.offset, End: r.offset + int64(size)}
	n := min(len(head), 4096)
	e.Head = bytes.Clone(head[:n])
	r.offset = e.End
	return e
}
