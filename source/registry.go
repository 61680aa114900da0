package source

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"
)

// Entry is the registry's record of one file.
type Entry struct {
	FileID
	Path    string    `json:"path"`
	Offset  int64     `json:"offset"` // every line before it is indexed or dead-lettered
	Line    int64     `json:"line"`   // number of the last line before Offset
	Done    bool      `json:"done"`   // read to the end and superseded by a newer file
	Updated time.Time `json:"updated"`
}

type registryFile struct {
	Version  int     `json:"version"`
	Files    []Entry `json:"files"`
	Checksum string  `json:"checksum"` // sha256 of the JSON of Files
}

// inode is a file's device and inode: the registry's index.
type inode struct{ dev, ino uint64 }

// record is one entry and its JSON, kept between saves so that a save
// encodes only the entries that changed since the last one.
type record struct {
	e   Entry
	enc []byte // json.Marshal(e); nil once e changed
}

// Registry keeps one committed offset per file, persisted atomically.
// Safe for concurrent use. Lookup and Set cost O(1) whatever the number
// of entries (they are indexed by device and inode); a save encodes only
// the entries changed since the previous one and writes the whole file
// (see Save for its cost).
type Registry struct {
	path  string
	log   *slog.Logger
	mu    sync.Mutex
	files map[inode][]*record // usually one per inode; more after inode reuse
	n     int                 // number of entries
	order []*record           // every record by path, for saves; nil when one came, went or moved
	dirty bool
	fresh bool // no registry file existed: the very first start

	saveMu sync.Mutex  // one save at a time
	onDisk diskVersion // what the last successful load or save left at path
}

// diskVersion identifies the registry file ingestd last read or wrote, so
// that a save need not read and check it again before keeping it as the
// backup.
type diskVersion struct {
	ino   uint64
	size  int64
	mtime time.Time
}

func statVersion(path string) (diskVersion, bool) {
	st, err := os.Stat(path)
	if err != nil {
		return diskVersion{}, false
	}
	_, ino := devIno(st)
	return diskVersion{ino: ino, size: st.Size(), mtime: st.ModTime()}, true
}

// ErrRegistryCorrupt is returned when neither the registry nor its backup
// can be read: ingestd then refuses to start rather than guess.
var ErrRegistryCorrupt = errors.New("registry corrupt")

// OpenRegistry loads the registry at path. A missing file is an empty
// registry; a corrupt or empty one is reported and its backup (path.bak)
// used; if both are unusable, ErrRegistryCorrupt.
func OpenRegistry(path string, log *slog.Logger) (*Registry, error) {
	if log == nil {
		log = slog.Default()
	}
	r := &Registry{path: path, log: log, files: map[inode][]*record{}}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	entries, err := readRegistry(path)
	if errors.Is(err, os.ErrNotExist) {
		if _, berr := os.Stat(path + ".bak"); berr != nil {
			// First start. Saved even while empty, so that a later start
			// is never taken for a first one (input.start_at: end).
			r.fresh, r.dirty = true, true
			return r, nil
		}
	}
	if err != nil {
		log.Error("registry unreadable; using the previous good copy", "path", path, "err", err)
		var berr error
		entries, berr = readRegistry(path + ".bak")
		if berr != nil {
			return nil, fmt.Errorf("%w: %s: %v; backup: %v (move both away to start over from the configured start position)", ErrRegistryCorrupt, path, err, berr)
		}
	} else if v, ok := statVersion(path); ok {
		r.onDisk = v
	}
	for _, e := range entries {
		r.setLocked(e)
	}
	r.dirty = false
	return r, nil
}

func readRegistry(path string) ([]Entry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, errors.New("empty file")
	}
	var rf registryFile
	if err := json.Unmarshal(b, &rf); err != nil {
		return nil, err
	}
	if rf.Version != 1 {
		return nil, fmt.Errorf("unknown version %d", rf.Version)
	}
	files, _ := json.Marshal(rf.Files)
	if sum := sha256.Sum256(files); hex.EncodeToString(sum[:]) != rf.Checksum {
		return nil, errors.New("checksum mismatch")
	}
	return rf.Files, nil
}

// FirstStart reports whether no registry (nor backup) existed when it was
// opened: ingestd never ran with this registry before. An existing but
// empty registry (every file pruned) is not a first start.
func (r *Registry) FirstStart() bool { return r.fresh }

// Len returns the number of entries.
func (r *Registry) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// Lookup returns the entry of the file with identity id.
func (r *Registry) Lookup(id FileID) (Entry, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range r.files[inode{id.Dev, id.Ino}] {
		if rec.e.Same(id) {
			return rec.e, true
		}
	}
	return Entry{}, false
}

// Set records an entry (replacing any entry of the same file).
func (r *Registry) Set(e Entry) {
	e.Updated = time.Now().UTC()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.setLocked(e)
}

func (r *Registry) setLocked(e Entry) {
	k := inode{e.Dev, e.Ino}
	recs := r.files[k]
	r.dirty = true
	if i := slices.IndexFunc(recs, func(rec *record) bool { return rec.e.Same(e.FileID) }); i >= 0 {
		if recs[i].e.Path != e.Path {
			r.order = nil
		}
		// A new encoding slice, never one changed in place: a save in
		// progress keeps the one it took.
		recs[i].e, recs[i].enc = e, nil
		if n := len(recs); slices.ContainsFunc(recs[i+1:], func(rec *record) bool { return rec.e.Same(e.FileID) }) {
			keep := recs[i]
			recs = slices.DeleteFunc(recs, func(rec *record) bool { return rec != keep && rec.e.Same(e.FileID) })
			r.files[k], r.n, r.order = recs, r.n-(n-len(recs)), nil
		}
		return
	}
	r.files[k] = append(recs, &record{e: e})
	r.n++
	r.order = nil
}

// Entries returns a copy of all entries, sorted by path.
func (r *Registry) Entries() []Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Entry, 0, r.n)
	for _, recs := range r.files {
		for _, rec := range recs {
			out = append(out, rec.e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// Forget drops entries for which keep returns false, and returns how many
// it dropped. It costs one call of keep per entry.
func (r *Registry) Forget(keep func(Entry) bool) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	dropped := 0
	for k, recs := range r.files {
		n := len(recs)
		recs = slices.DeleteFunc(recs, func(rec *record) bool { return !keep(rec.e) })
		if d := n - len(recs); d > 0 {
			dropped += d
			if len(recs) == 0 {
				delete(r.files, k)
			} else {
				r.files[k] = recs
			}
		}
	}
	if dropped > 0 {
		r.n -= dropped
		r.dirty, r.order = true, nil
	}
	return dropped
}

// Save writes the registry if it changed: to a temporary file, fsync,
// then the current file becomes the backup and the new one replaces it by
// rename, and the directory is fsynced. Mode 0600.
//
// Cost: only the entries changed since the previous save are encoded
// again; the file is written whole (one line per entry), so a save costs
// a write and an fsync of the file's size plus a SHA-256 over it —
// BenchmarkRegistrySave measures it at 10 000 entries (BENCHMARKS.md).
// The file ingestd itself wrote is not read back to check it before it
// becomes the backup; one changed behind its back is.
func (r *Registry) Save() error { return r.SaveAfter(nil) }

// SaveAfter is Save with a barrier: the offsets are taken first, then
// before runs (typically: fsync the dead-letter file, so that every
// dead-lettered line the offsets cover is on disk), and only if it succeeds
// are they written. When before fails nothing is written and the error is
// returned; the next call retries.
func (r *Registry) SaveAfter(before func() error) error {
	r.saveMu.Lock()
	defer r.saveMu.Unlock()
	r.mu.Lock()
	if !r.dirty {
		r.mu.Unlock()
		return nil
	}
	if r.order == nil {
		r.order = make([]*record, 0, r.n)
		for _, rs := range r.files {
			r.order = append(r.order, rs...)
		}
		sort.Slice(r.order, func(i, j int) bool { return r.order[i].e.Path < r.order[j].e.Path })
	}
	// The encodings are taken under the lock: a record's encoding is
	// replaced, never changed, so this is a consistent snapshot.
	encs := make([][]byte, len(r.order))
	for i, rec := range r.order {
		if rec.enc == nil {
			rec.enc, _ = json.Marshal(rec.e)
		}
		encs[i] = rec.enc
	}
	r.dirty = false
	r.mu.Unlock()
	if before != nil {
		if err := before(); err != nil {
			r.markDirty()
			return fmt.Errorf("registry not saved: %w", err)
		}
	}
	if err := r.write(encs); err != nil {
		r.markDirty()
		return fmt.Errorf("registry: %w", err)
	}
	return nil
}

func (r *Registry) markDirty() {
	r.mu.Lock()
	r.dirty = true
	r.mu.Unlock()
}

// write writes the encoded entries as the registry file: the JSON of a
// registryFile, one entry per line, whose checksum is that of the compact
// JSON array json.Marshal gives for Files.
func (r *Registry) write(encs [][]byte) error {
	size := 128
	for _, enc := range encs {
		size += len(enc) + 2
	}
	h := sha256.New()
	h.Write([]byte{'['})
	b := make([]byte, 0, size)
	b = append(b, "{\"version\":1,\"files\":[\n"...)
	for i, enc := range encs {
		if i > 0 {
			h.Write([]byte{','})
		}
		h.Write(enc)
		b = append(b, enc...)
		if i < len(encs)-1 {
			b = append(b, ',')
		}
		b = append(b, '\n')
	}
	h.Write([]byte{']'})
	b = append(b, "],\"checksum\":\""...)
	b = hex.AppendEncode(b, h.Sum(nil))
	b = append(b, "\"}\n"...)
	keepOld := func() bool {
		if v, ok := statVersion(r.path); ok && v == r.onDisk {
			return true
		}
		_, err := readRegistry(r.path)
		return err == nil
	}
	if err := writeAtomic(r.path, b, keepOld); err != nil {
		return err
	}
	if v, ok := statVersion(r.path); ok {
		r.onDisk = v
	}
	return nil
}

// writeAtomic replaces path with b; the current file is kept as path.bak
// first if keepOld says it is a good copy.
func writeAtomic(path string, b []byte, keepOld func() bool) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// Keep the current good copy as the backup, then replace.
	if keepOld() {
		os.Remove(path + ".bak")
		if err := os.Link(path, path+".bak"); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
