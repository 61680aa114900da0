package source

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"sync/atomic"
)

// File is an opened input: its decompressed content and what it is.
type File struct {
	io.Reader
	Path       string
	Compressed bool // gzip, detected by its magic bytes, not its name
	Size       int64
	f          *os.File
	gz         *gzip.Reader
}

// Open opens path for reading, transparently decompressing gzip.
func Open(path string) (*File, error) { return OpenCounting(path, nil) }

// countingReader adds the bytes read from the file itself (compressed
// bytes for an archive) to n, for progress reporting.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// OpenCounting is Open that also adds the bytes read from disk to n.
func OpenCounting(path string, n *atomic.Int64) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%s is a directory", path)
	}
	var raw io.Reader = f
	if n != nil {
		raw = countingReader{f, n}
	}
	br := bufio.NewReaderSize(raw, 64<<10)
	in := &File{Reader: br, Path: path, Size: st.Size(), f: f}
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: gzip: %w", path, err)
		}
		in.Reader, in.gz, in.Compressed = gz, gz, true
	}
	return in, nil
}

// Close closes the file.
func (f *File) Close() error {
	if f.gz != nil {
		f.gz.Close()
	}
	return f.f.Close()
}
