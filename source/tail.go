package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/nxadm/tail/watch"
	"gopkg.in/tomb.v1"
)

// TailConfig configures a Tailer.
type TailConfig struct {
	Dir     string // directory of the dated files
	Pattern string // glob of their names; default "audit.*.log"
	// Registry holds committed offsets; required.
	Registry *Registry
	// StartAtEnd applies to the very first start only, that is when no
	// registry file existed (Registry.FirstStart): every file of the first
	// directory listing then starts at the end of its last complete line
	// instead of its beginning. Files that appear later (new days), and
	// every file on any later start — even if the registry has become
	// empty — start at their beginning.
	StartAtEnd bool
	// PollInterval is how often files are discovered and the followed file
	// checked for rotation, truncation and deletion; default 1s. With
	// inotify the directory is watched and listed in full only every
	// minute; without (Poll, or no inotify instance) it is listed, every
	// file stat'ed, at most once per PollInterval. A file is opened and
	// identified again only when its stat changes.
	PollInterval time.Duration
	// IgnoreOlder, when positive, skips files whose modification time —
	// or the date in whose name — is older than now minus IgnoreOlder:
	// they are not read and their registry entries are dropped. A file
	// the registry holds as started and not done is finished whatever its
	// age (it became older while half-read). A skipped file that is
	// written again is no longer older and is read from its beginning.
	// With StartAtEnd, skipped files are not registered at their end.
	IgnoreOlder time.Duration
	// RotateGrace is the quiet period of a file that is no longer the
	// newest (a newer file appeared, it was renamed or deleted, or it is
	// found so at start): it is finished only once it has not grown and
	// its last modification is at least RotateGrace old (and, after a
	// newer file appeared, at least RotateGrace after that was seen); its
	// complete lines are read meanwhile. Default 5s.
	RotateGrace time.Duration
	// Poll makes nxadm/tail's change notifier poll the followed file
	// instead of using inotify.
	Poll    bool
	MaxLine int
	Logger  *slog.Logger
}

// Handler receives the lines of one file at a time, in file order.
type Handler interface {
	Line(f *Tracked, l Line) error
	TooLong(f *Tracked, e *LineTooLongError) error
	// Flush is called when no more lines are ready right now.
	Flush() error
}

// Tailer follows the dated audit files of a directory: older files are
// read to their end, oldest first, then the newest is followed. It does
// its own discovery and rotation handling and reads every file through
// its own descriptor with a LineReader (memory bounded by the maximum
// line length, whatever the length of a line), so that lines written
// before a rename, a deletion or the switch to the next day's file are
// drained from that descriptor, never lost. nxadm/tail's watcher
// (inotify, or polling) tells when the followed file changes.
//
// What it knows of each file (stat, identity, done) is kept between
// listings (see catalog): the cost of moving on to the next file does not
// grow with the number of files, so catching up N files costs O(N).
type Tailer struct {
	cfg          TailConfig
	cat          *catalog
	finished     map[FileID]bool // files read to the end in this run
	firstStart   bool            // StartAtEnd and Registry.FirstStart
	checkWarned  time.Time       // last "cannot check" warning (Run goroutine only)
	lastPrune    time.Time
	unterminated atomic.Int64
	ignored      atomic.Int64
	identified   atomic.Int64 // files opened and identified by next (for tests)

	mu    sync.Mutex           // guards files, read by Files from other goroutines
	files map[inode][]*Tracked // one per file identity
}

// pruneEvery bounds how long registry entries of files that are gone
// (or whose acknowledgements arrived after they were pruned) are kept.
const pruneEvery = time.Minute

// NewTailer returns a Tailer.
func NewTailer(cfg TailConfig) (*Tailer, error) {
	if cfg.Registry == nil {
		return nil, errors.New("tailer: no registry")
	}
	if cfg.Pattern == "" {
		cfg.Pattern = "audit.*.log"
	}
	if _, err := filepath.Match(cfg.Pattern, ""); err != nil {
		return nil, fmt.Errorf("tailer: pattern %q: %w", cfg.Pattern, err)
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.IgnoreOlder < 0 {
		return nil, fmt.Errorf("tailer: ignore_older %v: must not be negative", cfg.IgnoreOlder)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if !cfg.Poll {
		// nxadm/tail's inotify tracker exits the process when it cannot
		// create its watcher (fs.inotify.max_user_instances reached, a
		// common limit on busy Kubernetes nodes); find out first and poll
		// instead.
		if err := inotifyAvailable(); err != nil {
			cfg.Logger.Warn("inotify unavailable; polling the followed file instead", "err", err)
			cfg.Poll = true
		} else {
			startInotifyTracker()
		}
	}
	if cfg.RotateGrace <= 0 {
		cfg.RotateGrace = 5 * time.Second
	}
	first := cfg.StartAtEnd && cfg.Registry.FirstStart()
	return &Tailer{cfg: cfg, cat: newCatalog(cfg.Dir, cfg.Pattern, cfg.PollInterval),
		finished: map[FileID]bool{}, firstStart: first, files: map[inode][]*Tracked{}}, nil
}

// Files returns the files read in this run that still exist, one per
// file, by path (for lag reporting). It is safe to call while Run runs;
// the slice is a copy.
func (t *Tailer) Files() []*Tracked {
	t.mu.Lock()
	out := make([]*Tracked, 0, len(t.files))
	for _, trs := range t.files {
		out = append(out, trs...)
	}
	t.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// Unterminated returns how many files were finished with a last line
// without its newline, which was then taken as complete (passed to the
// handler like any line).
func (t *Tailer) Unterminated() int64 { return t.unterminated.Load() }

// IgnoredOlder returns how many files were skipped because they are
// older than IgnoreOlder (each time a file is found so).
func (t *Tailer) IgnoredOlder() int64 { return t.ignored.Load() }

// track records tr in the list of files, replacing an earlier Tracked of
// the same file.
func (t *Tailer) track(tr *Tracked) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := inode{tr.ID.Dev, tr.ID.Ino}
	trs := t.files[k]
	for i, o := range trs {
		if o.ID.Same(tr.ID) {
			trs[i] = tr
			return
		}
	}
	t.files[k] = append(trs, tr)
}

// Run follows the directory until ctx ends.
func (t *Tailer) Run(ctx context.Context, h Handler) error {
	if !t.cfg.Poll {
		if err := t.cat.watch(); err != nil {
			t.cfg.Logger.Warn("cannot watch the directory; listing it every poll_interval instead", "dir", t.cfg.Dir, "err", err)
		}
	}
	defer t.cat.close()
	for ctx.Err() == nil {
		f, tr, newest, err := t.next()
		if err != nil {
			return err
		}
		if f == nil {
			if err := h.Flush(); err != nil {
				return err
			}
			if !sleep(ctx, t.cfg.PollInterval) {
				break
			}
			continue
		}
		err = t.read(ctx, f, tr, newest, h)
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

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

type position struct{ offset, line int64 }

// fileReader reads one file through our own descriptor.
type fileReader struct {
	f   *os.File
	tr  *Tracked
	lr  *LineReader // holds an unterminated line until its newline (or the end)
	pos position    // just past the last line handed to the handler
}

// readOffset is how far the file has been read: the lines handed over and
// the unterminated line held.
func (rd *fileReader) readOffset() int64 { return rd.pos.offset + rd.lr.size }

// read reads tr from its committed offset: if it is not the newest file,
// to its end once it is quiet; else following it until it is superseded,
// renamed, deleted or truncated.
func (t *Tailer) read(ctx context.Context, f *os.File, tr *Tracked, newest bool, h Handler) error {
	start, _ := tr.Committed()
	tr.mu.Lock()
	line := tr.committed.line
	tr.mu.Unlock()
	if _, err := f.Seek(start, io.SeekStart); err != nil {
		return fmt.Errorf("%s: %w", tr.Path, err)
	}
	rd := &fileReader{f: f, tr: tr, pos: position{offset: start, line: line}}
	rd.lr = NewLineReader(f, t.cfg.MaxLine, start)
	rd.lr.number = line
	rd.lr.hold = true
	if !newest {
		// Superseded already (files that appeared while ingestd was
		// stopped, or the previous newest after a restart): its writer may
		// still be finishing it, so it gets the same quiet period, counted
		// from its last modification.
		return t.drainUntilQuiet(ctx, rd, h, time.Time{})
	}
	return t.follow(ctx, rd, h)
}

// readLines hands the lines available in rd to h, until the end of what
// is written (an unterminated line stays held in rd.lr unless its hold is
// cleared), until limit bytes (0: no limit; more is then true) or until
// ctx ends. It returns how many lines (or over-long lines) were handed.
func (t *Tailer) readLines(ctx context.Context, rd *fileReader, h Handler, limit int64) (n int, more bool, err error) {
	from := rd.pos.offset
	for ctx.Err() == nil {
		if limit > 0 && rd.pos.offset-from >= limit {
			return n, true, nil
		}
		l, err := rd.lr.Next()
		if err != nil {
			tl, ok := err.(*LineTooLongError)
			switch {
			case ok:
				if err := h.TooLong(rd.tr, tl); err != nil {
					return n, false, err
				}
				rd.pos = position{offset: tl.End, line: tl.Number}
				n++
				continue
			case errors.Is(err, io.EOF):
				return n, false, nil
			default:
				return n, false, fmt.Errorf("%s: %w", rd.tr.Path, err)
			}
		}
		if !l.Complete { // only at the final end, when hold is off
			t.unterminated.Add(1)
			t.cfg.Logger.Warn("file ends with a line without newline; taking it as complete", "file", rd.tr.Path, "line", l.Number, "offset", l.Offset)
		}
		if err := h.Line(rd.tr, l); err != nil {
			return n, false, err
		}
		rd.pos = position{offset: l.End, line: l.Number}
		n++
	}
	return n, false, nil
}

// finish reads rd to its end, taking an unterminated last line as
// complete (it goes to the handler like any line: indexed, or
// dead-lettered by the parser or as over-long; and it is counted, see
// Unterminated), and marks the file finished.
func (t *Tailer) finish(ctx context.Context, rd *fileReader, h Handler) error {
	rd.lr.hold = false
	if _, _, err := t.readLines(ctx, rd, h, 0); err != nil {
		return err
	}
	if err := h.Flush(); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return nil // not finished: read again at the next start
	}
	if strings.HasPrefix(rd.tr.ID.Fingerprint, partialPrefix) {
		// The first line was completed while we waited: file it under its
		// real fingerprint, or the next listing would read it again.
		if id, _, err := Identify(rd.f); err == nil && id.Fingerprint != "" {
			t.finished[rd.tr.ID] = true
			rd.tr.rekey(id)
		}
	}
	t.finished[rd.tr.ID] = true
	rd.tr.finish(rd.pos.offset)
	if fs := t.cat.state(rd.tr.Path); fs != nil && fs.stat.dev == rd.tr.ID.Dev && fs.stat.ino == rd.tr.ID.Ino {
		// Done until it changes: the next listing need not open it again
		// (a change since its last stat unsettles it again).
		fs.id, fs.identified = rd.tr.ID, true
		t.cat.settle(fs)
	}
	return nil
}

// followBurst bounds what follow reads before looking at its timers and
// notifications again.
const followBurst = 1 << 20

// follow tails the newest file until something ends it. It reads through
// rd; nxadm/tail's watcher only wakes it up when the file changes, and
// the poll ticker checks for rotation, truncation and newer files.
func (t *Tailer) follow(ctx context.Context, rd *fileReader, h Handler) error {
	n := t.notify(rd.tr.Path, rd.readOffset())
	defer func() { n.stop() }() // n may be replaced below
	tick := time.NewTicker(t.cfg.PollInterval)
	defer tick.Stop()
	idle := time.NewTimer(time.Hour)
	idle.Stop()
	defer idle.Stop()
	armed := false
	var newerSince time.Time
	for {
		got, more, err := t.readLines(ctx, rd, h, followBurst)
		if err != nil {
			return err
		}
		if got > 0 && !armed { // flush what is gathered once lines pause for a moment
			idle.Reset(flushDelay)
			armed = true
		}
		var again <-chan struct{}
		if more {
			again = ready
		}
		check := false
		select {
		case <-ctx.Done():
			return h.Flush()
		case <-again:
		case <-n.modified():
			if st, err := rd.f.Stat(); err == nil {
				rd.tr.Size.Store(st.Size())
				check = st.Size() < rd.readOffset()
			}
		case <-n.truncated():
			check = true
		case <-n.deleted():
			n.stop() // its watcher has ended
			check = true
		case <-idle.C:
			armed = false
			if err := h.Flush(); err != nil {
				return err
			}
		case <-tick.C:
			if err := h.Flush(); err != nil {
				return err
			}
			if st, err := rd.f.Stat(); err == nil {
				rd.tr.Size.Store(st.Size())
			}
			check = true
		}
		if !check {
			continue
		}
		switch t.check(rd) {
		case keep:
			if n.tomb == nil { // watch again after a deletion that was not one
				n = t.notify(rd.tr.Path, rd.readOffset())
			}
		case truncated:
			t.cfg.Logger.Info("file truncated or rewritten; reading it again from the start", "file", rd.tr.Path)
			return h.Flush() // next() finds it again under its new identity
		case replaced:
			// Renamed away or deleted: the writer may still append to it
			// for a moment; drain our descriptor until it is quiet.
			n.stop()
			return t.drainUntilQuiet(ctx, rd, h, time.Now())
		case superseded:
			if newerSince.IsZero() {
				newerSince = time.Now()
			}
			if time.Since(newerSince) >= t.cfg.RotateGrace {
				n.stop()
				return t.drainUntilQuiet(ctx, rd, h, newerSince)
			}
		}
	}
}

// ready is always ready to receive from.
var ready = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// drainUntilQuiet reads a file that is no longer the newest through our
// descriptor, its complete lines as they come, until it has been quiet for
// RotateGrace: no growth seen, and its last modification (capped at now)
// at least RotateGrace old; quiet counts from since at the earliest (when
// a newer file was seen or a rename noticed; zero for a file found
// superseded at start: from its last modification only). Only then is the
// file finished, an unterminated last line included.
func (t *Tailer) drainUntilQuiet(ctx context.Context, rd *fileReader, h Handler, since time.Time) error {
	quiet := since
	last := int64(-1)
	var lastMod time.Time
	for {
		if _, _, err := t.readLines(ctx, rd, h, 0); err != nil {
			return err
		}
		if err := h.Flush(); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
		now := time.Now()
		if st, err := rd.f.Stat(); err == nil {
			rd.tr.Size.Store(st.Size())
			if last >= 0 && st.Size() != last {
				quiet = now
			}
			last = st.Size()
			// A modification counts once, when its time changes: a time
			// "in the future" (clock stepped back, copied timestamps,
			// NFS skew) then counts as now, instead of holding the file
			// open — and the newer day unread — until the clock gets there.
			if mt := st.ModTime(); !mt.Equal(lastMod) {
				lastMod = mt
				if mt.After(now) {
					mt = now
				}
				if mt.After(quiet) {
					quiet = mt
				}
			}
		}
		left := t.cfg.RotateGrace - now.Sub(quiet)
		if left <= 0 {
			return t.finish(ctx, rd, h)
		}
		if !sleep(ctx, min(left, t.cfg.PollInterval)) {
			return h.Flush()
		}
	}
}

// flushDelay bounds how long a line waits in a partly filled chunk.
const flushDelay = 5 * time.Millisecond

type state int

const (
	keep state = iota
	truncated
	replaced
	superseded
)

// check looks at the followed file: is it shorter than what was read
// (copytruncate), rewritten (fingerprint changed), gone or replaced at its
// path, or has a newer file appeared?
func (t *Tailer) check(rd *fileReader) state {
	id, size, err := Identify(rd.f)
	if err == nil && (size < rd.readOffset() || (id.Fingerprint != "" && rd.tr.ID.Fingerprint != "" && id.Fingerprint != rd.tr.ID.Fingerprint)) {
		return truncated
	}
	if !t.stillCurrent(rd.tr) {
		return replaced
	}
	if err := t.cat.refresh(time.Now()); err == nil && t.cat.newest() > rd.tr.Path {
		return superseded
	}
	return keep
}

// stillCurrent reports whether tr's path still names tr's file. Only a
// path that is gone (ENOENT) or names another file says no: a passing
// error (EMFILE, EACCES, EIO) must not end the current day's file.
func (t *Tailer) stillCurrent(tr *Tracked) bool {
	g, err := os.Open(tr.Path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false
		}
		if time.Since(t.checkWarned) > time.Minute {
			t.checkWarned = time.Now()
			t.cfg.Logger.Warn("cannot check the followed file; keeping it", "file", tr.Path, "err", err)
		}
		return true
	}
	defer g.Close()
	st, err := g.Stat()
	if err != nil {
		return true
	}
	dev, ino := devIno(st)
	return dev == tr.ID.Dev && ino == tr.ID.Ino
}

// notifier wakes follow up when its file changes: nxadm/tail's file
// watcher (inotify, or polling with Poll). Without one (it could not be
// set up, or it ended with a deletion) the poll ticker still drives
// follow.
type notifier struct {
	path    string
	inotify bool
	tomb    *tomb.Tomb
	changes *watch.FileChanges
}

func (t *Tailer) notify(path string, pos int64) *notifier {
	n := &notifier{path: filepath.Clean(path), inotify: !t.cfg.Poll}
	var w watch.FileWatcher
	if t.cfg.Poll {
		w = watch.NewPollingFileWatcher(n.path)
	} else {
		w = watch.NewInotifyFileWatcher(n.path)
	}
	tb := new(tomb.Tomb)
	changes, err := w.ChangeEvents(tb, pos)
	if err != nil {
		t.cfg.Logger.Debug("no change notification; polling", "file", path, "err", err)
		return n
	}
	n.tomb, n.changes = tb, changes
	return n
}

// stop ends the watcher. The inotify watcher removes its watch of the
// path as it ends, asynchronously; wait (briefly) until it has, so that it
// cannot remove the watch of a next notifier of the same path.
func (n *notifier) stop() {
	if n.tomb == nil {
		return
	}
	n.tomb.Kill(nil)
	n.tomb, n.changes = nil, nil
	if n.inotify {
		for deadline := time.Now().Add(time.Second); watch.Events(n.path) != nil && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
	}
}

func (n *notifier) modified() <-chan bool {
	if n.changes == nil {
		return nil
	}
	return n.changes.Modified
}

func (n *notifier) truncated() <-chan bool {
	if n.changes == nil {
		return nil
	}
	return n.changes.Truncated
}

func (n *notifier) deleted() <-chan bool {
	if n.changes == nil {
		return nil
	}
	return n.changes.Deleted
}

func sleep(ctx context.Context, d time.Duration) bool {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// inotifyAvailable reports whether an inotify watcher can be created (a
// variable for tests).
var inotifyAvailable = func() error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	return w.Close()
}

// startInotifyTracker makes nxadm/tail create its shared inotify watcher
// now, right after inotifyAvailable succeeded, rather than lazily at the
// first follow (possibly much later, after a backlog): removing a watch
// that was never added starts the tracker and waits for it, and touches
// nothing else (the name is never watched).
func startInotifyTracker() {
	_ = watch.RemoveWatch("/nonexistent/ingestd-inotify-tracker-start")
}
