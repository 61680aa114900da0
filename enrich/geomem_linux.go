//go:build linux

package enrich

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// dbMem holds a private copy of a database file outside the Go heap, so
// that the garbage collector neither scans it nor counts it in the heap
// whose growth GOGC doubles (a 61 MB GeoLite2 City database cost ~120 MB
// of RSS on the heap; issue 12). The copy is made once when the database
// is loaded, so a file rewritten in place never changes or faults a
// running lookup, unlike a mapping of the file itself.
//
// The copy lives in a memfd (it shows as RssShmem in
// /proc/PID/status, apart from the heap's RssAnon); where memfd_create is
// missing or refused, in an anonymous private mapping (RssAnon). Either
// way the pages are made read-only once filled, so a stray write faults
// instead of corrupting lookups.
type dbMem struct {
	b   []byte // the file's bytes, a prefix of m
	m   []byte // the whole mapping, for munmap
	off bool   // false: b is on the Go heap (fallback off Linux)
}

// readDBMem copies the open file f, whose size was size when it was
// opened, into a fresh mapping. It reads one byte more than size so that a
// file that grew meanwhile is seen (the caller compares len(b) with the
// size after reading).
func readDBMem(f *os.File, size int64) (*dbMem, error) {
	if size < 0 || size > 1<<40 {
		return nil, fmt.Errorf("size %d out of range", size)
	}
	m, err := mapShared(int(size) + 1)
	if err != nil {
		m, err = unix.Mmap(-1, 0, int(size)+1, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
		if err != nil {
			return nil, fmt.Errorf("mapping %d bytes: %w", size+1, err)
		}
	}
	n, err := io.ReadFull(f, m)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		_ = unix.Munmap(m)
		return nil, err
	}
	if err := unix.Mprotect(m, unix.PROT_READ); err != nil {
		_ = unix.Munmap(m)
		return nil, fmt.Errorf("write-protecting the copy: %w", err)
	}
	return &dbMem{b: m[:n:n], m: m, off: true}, nil
}

// mapShared returns a writable shared mapping of a new memfd of n bytes.
// The descriptor is closed at once; the mapping keeps the memory.
func mapShared(n int) ([]byte, error) {
	fd, err := unix.MemfdCreate("ingestd-geoip", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	if err := unix.Ftruncate(fd, int64(n)); err != nil {
		return nil, err
	}
	return unix.Mmap(fd, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
}

// free releases the mapping. Nothing may read b afterwards: the caller
// (geoDB.unref) guarantees no lookup is in flight.
func (m *dbMem) free() error {
	if !m.off || m.m == nil {
		return nil
	}
	err := unix.Munmap(m.m)
	m.b, m.m = nil, nil
	return err
}
