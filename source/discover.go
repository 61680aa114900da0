package source

// Discovery, identification and pruning: which file to read next, from
// the catalog of the directory (catalog.go), in a cost per file that does
// not grow with the number of files.

import (
	"bytes"
	"os"
	"slices"
	"time"
)

// pruneEvery bounds how long registry entries of files that are gone
// (or whose acknowledgements arrived after they were pruned) are kept.
const pruneEvery = time.Minute

// next opens the oldest file that still has lines to read. Files known to
// need nothing (settled) are skipped without being opened, so its cost
// does not grow with the number of files already done.
func (t *Tailer) next() (*os.File, *Tracked, bool, error) {
	now := time.Now()
	if err := t.cat.refresh(now); err != nil {
		return nil, nil, false, err
	}
	if t.firstStart {
		t.firstStart = false
		t.startAtEnd(now)
	}
	f, tr, newest := t.nextFile(now)
	if t.cat.changed || now.Sub(t.lastPrune) >= pruneEvery {
		t.prune(now)
	}
	return f, tr, newest, nil
}

// nextFile looks for the oldest file with lines to read, from the first
// file that is not settled.
func (t *Tailer) nextFile(now time.Time) (*os.File, *Tracked, bool) {
	files := t.cat.ordered()
	for i := t.cat.lo; i < len(files); i++ {
		fs := files[i]
		if fs.settled {
			continue
		}
		newest := i == len(files)-1
		if f, tr := t.open(fs, newest, now); f != nil {
			return f, tr, newest
		}
	}
	return nil, nil, false
}

// open opens fs if it has lines to read, else settles it (or leaves it
// for later: the newest file without a complete first line, a file that
// cannot be opened right now).
func (t *Tailer) open(fs *fileState, newest bool, now time.Time) (*os.File, *Tracked) {
	if t.skipOlder(fs, now) {
		return nil, nil
	}
	f, err := os.Open(fs.path)
	if err != nil {
		return nil, nil // gone since the listing, or a passing error: later
	}
	t.identified.Add(1)
	id, size, err := Identify(f)
	if err == nil && id.Fingerprint == "" && !newest {
		// An older day's file whose only line is unterminated: it is
		// read (and finished after the quiet period) like any other.
		id, size, err = IdentifyPartial(f)
	}
	if err != nil || id.Fingerprint == "" {
		// The newest file without a complete first line yet (come back
		// later), or an empty older one (settled until it changes).
		f.Close()
		if err == nil && !newest {
			t.cat.settle(fs)
		}
		return nil, nil
	}
	fs.id, fs.identified = id, true
	if t.finished[id] {
		f.Close()
		t.cat.settle(fs)
		return nil, nil
	}
	e, known := t.cfg.Registry.Lookup(id)
	if known && e.Done {
		t.finished[id] = true
		f.Close()
		t.cat.settle(fs)
		return nil, nil
	}
	if !known {
		e = Entry{FileID: id, Path: fs.path}
		t.cfg.Registry.Set(e)
	}
	if e.Offset > size {
		t.cfg.Logger.Warn("file shorter than its committed offset; reading it from the start", "file", fs.path, "offset", e.Offset, "size", size)
		e.Offset, e.Line = 0, 0
	}
	tr := newTracked(fs.path, id, t.cfg.Registry, e)
	tr.Size.Store(size)
	t.track(tr)
	return f, tr
}

// skipOlder applies IgnoreOlder to fs: a file older than it is skipped
// (settled, counted, and its registry entry dropped at the next prune)
// unless the registry holds it as started and not done — a file that
// became older while half-read is finished.
func (t *Tailer) skipOlder(fs *fileState, now time.Time) bool {
	if t.cfg.IgnoreOlder <= 0 || !olderThan(fs.path, time.Unix(0, fs.stat.mtime), now.Add(-t.cfg.IgnoreOlder)) {
		return false
	}
	if e, ok := t.cfg.Registry.Lookup(FileID{Dev: fs.stat.dev, Ino: fs.stat.ino}); ok && !e.Done {
		return false
	}
	if !fs.ignored {
		fs.ignored = true
		t.ignored.Add(1)
		t.cat.changed = true // its registry entry goes
		t.cfg.Logger.Debug("ignore_older: skipping", "file", fs.path)
	}
	t.cat.settle(fs)
	return true
}

// startAtEnd applies StartAtEnd to the first listing: each file the
// registry does not know is registered at the end of its last complete
// line (an unterminated last line is read once complete). A file without
// a complete first line yet has no identity; it starts at 0, which is
// that end too. Line numbers of such files count from where reading
// starts. Files older than IgnoreOlder are left alone.
func (t *Tailer) startAtEnd(now time.Time) {
	for _, fs := range t.cat.ordered() {
		if t.cfg.IgnoreOlder > 0 && olderThan(fs.path, time.Unix(0, fs.stat.mtime), now.Add(-t.cfg.IgnoreOlder)) {
			continue
		}
		f, err := os.Open(fs.path)
		if err != nil {
			continue
		}
		id, size, err := Identify(f)
		if err == nil && id.Fingerprint != "" {
			if _, known := t.cfg.Registry.Lookup(id); !known {
				if end, err := lastLineEnd(f, size); err == nil {
					t.cfg.Registry.Set(Entry{FileID: id, Path: fs.path, Offset: end})
					t.cfg.Logger.Info("start_at end: skipping what the file already holds", "file", fs.path, "offset", end)
				}
			}
		}
		f.Close()
	}
}

// lastLineEnd returns the offset just past the last newline before size,
// 0 if there is none.
func lastLineEnd(f *os.File, size int64) (int64, error) {
	buf := make([]byte, 64<<10)
	for end := size; end > 0; {
		start := max(0, end-int64(len(buf)))
		b := buf[:end-start]
		if _, err := f.ReadAt(b, start); err != nil {
			return 0, err
		}
		if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
			return start + int64(i) + 1, nil
		}
		end = start
	}
	return 0, nil
}

// prune forgets registry entries of files that are no longer listed (or
// whose inode now holds another file, or that ignore_older skips), so the
// registry does not grow forever, and drops them from Files. It runs when
// the listing changed and every pruneEvery, in O(files + entries): the
// listing's device and inode say which entries may still be live, without
// opening any file.
func (t *Tailer) prune(now time.Time) {
	t.cat.changed, t.lastPrune = false, now
	live := make(map[inode]*fileState, len(t.cat.files))
	for _, fs := range t.cat.files {
		if !fs.ignored {
			live[inode{fs.stat.dev, fs.stat.ino}] = fs
		}
	}
	isLive := func(id FileID) bool {
		if t.reading != nil && t.reading.ID.Same(id) {
			return true // being read, even if renamed away meanwhile
		}
		fs, ok := live[inode{id.Dev, id.Ino}]
		// Not identified since it changed: its inode is enough (it is
		// identified, and a stale entry dropped, when it is read).
		return ok && (!fs.identified || fs.id.Same(id))
	}
	if n := t.cfg.Registry.Forget(func(e Entry) bool { return isLive(e.FileID) }); n > 0 {
		t.cfg.Logger.Debug("registry: forgot files that are gone or skipped", "entries", n)
	}
	t.mu.Lock()
	for k, trs := range t.files {
		trs = slices.DeleteFunc(trs, func(tr *Tracked) bool { return !isLive(tr.ID) })
		if len(trs) == 0 {
			delete(t.files, k)
		} else {
			t.files[k] = trs
		}
	}
	t.mu.Unlock()
}
