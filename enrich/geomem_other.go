//go:build !linux

package enrich

import (
	"fmt"
	"io"
	"os"
)

// dbMem holds a private copy of a database file. Off Linux it is on the Go
// heap (see geomem_linux.go for the off-heap copy).
type dbMem struct {
	b   []byte
	m   []byte
	off bool
}

// readDBMem reads the open file f (size bytes when opened, plus one to see
// growth) into memory.
func readDBMem(f *os.File, size int64) (*dbMem, error) {
	if size < 0 || size > 1<<40 {
		return nil, fmt.Errorf("size %d out of range", size)
	}
	b := make([]byte, size+1)
	n, err := io.ReadFull(f, b)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, err
	}
	return &dbMem{b: b[:n:n]}, nil
}

// free drops the reference; the garbage collector frees the bytes.
func (m *dbMem) free() error {
	m.b = nil
	return nil
}
