package source

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// fileState is what the tailer knows of one file of the directory between
// listings: its stat and, while that stat holds, its identity and whether
// it needs anything. A file is identified (opened, first line hashed) again
// only when its stat changes or the directory watcher reports it.
type fileState struct {
	path string
	stat fileStat
	// id is the file's identity, valid while identified.
	id         FileID
	identified bool
	// settled: nothing to do until the file changes (done, skipped by
	// ignore_older, or an empty older file).
	settled bool
	ignored bool // skipped by ignore_older (and counted) while settled
}

// fileStat is the part of a stat that says a file may have changed.
type fileStat struct {
	dev, ino     uint64
	size         int64
	mtime, ctime int64 // ns
}

func statOf(st os.FileInfo) fileStat {
	s := fileStat{size: st.Size(), mtime: st.ModTime().UnixNano()}
	s.dev, s.ino = devIno(st)
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		s.ctime = sys.Ctim.Nano()
	}
	return s
}

// catalog lists the directory's matching files and keeps their state
// between listings. With a directory watcher (inotify) it lists the
// directory in full only at the start, after a queue overflow and every
// rescanEvery; in between it stats only the names the watcher reported.
// Without one (input.poll, or no inotify instance available) it lists and
// stats every file at most once per poll interval. Used by the Run
// goroutine only, except the watcher's goroutine, which only fills
// pending.
type catalog struct {
	dir, pattern string
	pollEvery    time.Duration

	files    map[string]*fileState
	sorted   []*fileState // by path; nil when it must be rebuilt
	lo       int          // sorted[:lo] are settled
	lastList time.Time    // last full listing
	lastStat time.Time    // last full listing that stat'ed every file
	changed  bool         // files came, went or changed inode since the last prune
	listed   bool         // a full listing was made

	watcher *fsnotify.Watcher
	stopped chan struct{}
	mu      sync.Mutex          // guards pending and overflow
	pending map[string]struct{} // names the watcher reported
	full    bool                // the watcher lost events: list again
}

// rescanEvery bounds how long a change the directory watcher missed (a
// network file system, an event the kernel dropped) goes unseen.
const rescanEvery = time.Minute

func newCatalog(dir, pattern string, poll time.Duration) *catalog {
	return &catalog{dir: dir, pattern: pattern, pollEvery: poll, files: map[string]*fileState{}}
}

// watch starts the directory watcher; on failure the catalog polls.
func (c *catalog) watch() error {
	if strings.ContainsRune(c.pattern, filepath.Separator) {
		return errors.New("the pattern spans directories")
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	if err := w.Add(c.dir); err != nil {
		w.Close()
		return err
	}
	c.watcher, c.pending, c.stopped = w, map[string]struct{}{}, make(chan struct{})
	go c.collect(w)
	return nil
}

// collect records the names the watcher reports, until it is closed.
func (c *catalog) collect(w *fsnotify.Watcher) {
	defer close(c.stopped)
	for {
		select {
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			name := filepath.Base(ev.Name)
			c.mu.Lock()
			if len(c.pending) < 1<<16 {
				c.pending[name] = struct{}{}
			} else {
				c.full = true
			}
			c.mu.Unlock()
		case _, ok := <-w.Errors:
			if !ok {
				return
			}
			c.mu.Lock()
			c.full = true // overflow, or the directory went: list again
			c.mu.Unlock()
		}
	}
}

// close stops the watcher.
func (c *catalog) close() {
	if c.watcher != nil {
		c.watcher.Close()
		<-c.stopped
		c.watcher = nil
	}
}

// refresh brings the catalog up to date: a full listing when due, else the
// names the watcher reported.
func (c *catalog) refresh(now time.Time) error {
	var names map[string]struct{}
	full := !c.listed
	if c.watcher == nil {
		full = full || now.Sub(c.lastList) >= c.pollEvery
	} else {
		c.mu.Lock()
		names, c.pending = c.pending, map[string]struct{}{}
		full = full || c.full || now.Sub(c.lastList) >= rescanEvery
		c.full = false
		c.mu.Unlock()
	}
	if full {
		return c.list(now, names)
	}
	for name := range names {
		if ok, _ := filepath.Match(c.pattern, name); ok {
			c.update(filepath.Join(c.dir, name), true)
		}
	}
	return nil
}

// list lists the directory in full. Names the watcher reported are
// identified again even if their stat looks the same. Without a watcher,
// files that need nothing (settled) are stat'ed only every rescanEvery:
// new and removed names are seen at every listing, a settled file
// rewritten in place within rescanEvery.
func (c *catalog) list(now time.Time, reported map[string]struct{}) error {
	paths, err := filepath.Glob(filepath.Join(c.dir, c.pattern))
	if err != nil {
		return err
	}
	statAll := c.watcher != nil || now.Sub(c.lastStat) >= rescanEvery
	seen := make(map[string]struct{}, len(paths))
	for _, p := range paths {
		seen[p] = struct{}{}
		if fs := c.files[p]; fs != nil && fs.settled && !statAll {
			continue
		}
		_, ev := reported[filepath.Base(p)]
		c.update(p, ev)
	}
	if statAll {
		c.lastStat = now
	}
	for p := range c.files {
		if _, ok := seen[p]; !ok {
			c.remove(p)
		}
	}
	c.listed, c.lastList = true, now
	return nil
}

// update stats path and records what changed. reported: the watcher saw
// an event for it, so it is identified again whatever its stat.
func (c *catalog) update(path string, reported bool) {
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		c.remove(path) // gone, or not a regular file
		return
	}
	s := statOf(st)
	fs := c.files[path]
	if fs == nil {
		c.files[path] = &fileState{path: path, stat: s}
		c.sorted, c.changed = nil, true
		return
	}
	if fs.stat == s && !reported {
		return
	}
	if fs.stat.dev != s.dev || fs.stat.ino != s.ino {
		c.changed = true
	}
	fs.stat, fs.identified, fs.ignored = s, false, false
	c.unsettle(fs)
}

func (c *catalog) remove(path string) {
	if _, ok := c.files[path]; ok {
		delete(c.files, path)
		c.sorted, c.changed = nil, true
	}
}

// unsettle makes next look at fs again.
func (c *catalog) unsettle(fs *fileState) {
	fs.settled = false
	c.lo = 0
}

// ordered returns the files by path, oldest first (dated names sort by
// date).
func (c *catalog) ordered() []*fileState {
	if c.sorted == nil {
		c.sorted = make([]*fileState, 0, len(c.files))
		for _, fs := range c.files {
			c.sorted = append(c.sorted, fs)
		}
		sort.Slice(c.sorted, func(i, j int) bool { return c.sorted[i].path < c.sorted[j].path })
		c.lo = 0
	}
	return c.sorted
}

// newest returns the path of the newest file, "" if there is none.
func (c *catalog) newest() string {
	l := c.ordered()
	if len(l) == 0 {
		return ""
	}
	return l[len(l)-1].path
}

// settle records that fs needs nothing until it changes.
func (c *catalog) settle(fs *fileState) {
	fs.settled = true
	for c.lo < len(c.sorted) && c.sorted[c.lo].settled {
		c.lo++
	}
}

// state returns the state of path, nil if it is not listed.
func (c *catalog) state(path string) *fileState { return c.files[path] }
