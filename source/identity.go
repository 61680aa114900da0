package source

// A file's identity: device, inode and a fingerprint of its first line.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"syscall"
)

// FileID identifies a file across renames: device, inode, and a
// fingerprint of its first line, so that a reused inode or a file
// truncated and rewritten is recognised as a different file.
type FileID struct {
	Dev         uint64 `json:"dev"`
	Ino         uint64 `json:"ino"`
	Fingerprint string `json:"fingerprint"` // sha256 of the first line, hex; "" while it has none
}

// maxFingerprint bounds the bytes hashed when the first line is longer.
const maxFingerprint = 4096

// Identify returns the identity of the open file f.
func Identify(f *os.File) (FileID, int64, error) {
	st, err := f.Stat()
	if err != nil {
		return FileID{}, 0, err
	}
	id := FileID{}
	id.Dev, id.Ino = devIno(st)
	buf := make([]byte, maxFingerprint)
	n, err := f.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return FileID{}, 0, err
	}
	if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
		n = i + 1
	} else if n < maxFingerprint {
		return id, st.Size(), nil // no complete first line yet
	}
	sum := sha256.Sum256(buf[:n])
	id.Fingerprint = hex.EncodeToString(sum[:16])
	return id, st.Size(), nil
}

// partialPrefix marks the fingerprint of a file without a complete line.
const partialPrefix = "partial-"

// devIno returns the device and inode of st (zero where the platform has
// none).
func devIno(st os.FileInfo) (dev, ino uint64) {
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		return uint64(sys.Dev), uint64(sys.Ino)
	}
	return 0, 0
}

// IdentifyPartial is Identify for a file that is finished although its
// only line has no newline (an older day's file): the fingerprint covers
// what there is, marked "partial-". Should the line be completed later,
// the fingerprint changes and the file is read again as a new one
// (duplicates are absorbed by the documents' ids) rather than matched by
// device and inode alone.
func IdentifyPartial(f *os.File) (FileID, int64, error) {
	id, size, err := Identify(f)
	if err != nil || id.Fingerprint != "" || size == 0 {
		return id, size, err
	}
	buf := make([]byte, min(size, maxFingerprint))
	n, err := f.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return FileID{}, 0, err
	}
	sum := sha256.Sum256(buf[:n])
	id.Fingerprint = partialPrefix + hex.EncodeToString(sum[:16])
	return id, size, nil
}

// Same reports whether a and b are the same file. A file without a
// fingerprint yet matches on device and inode only.
func (a FileID) Same(b FileID) bool {
	if a.Dev != b.Dev || a.Ino != b.Ino {
		return false
	}
	return a.Fingerprint == "" || b.Fingerprint == "" || a.Fingerprint == b.Fingerprint
}
