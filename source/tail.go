package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"
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
	reading      *Tracked // the file read now (Run goroutine only)
	unterminated atomic.Int64
	ignored      atomic.Int64
	identified   atomic.Int64 // files opened and identified by next (for tests)

	mu    sync.Mutex           // guards files, read by Files from other goroutines
	files map[inode][]*Tracked // one per file identity
}

// NewTailer returns a Tailer.
func NewTailer(cfg TailConfig) (*Tailer, error) {
	if cfg.Registry == nil {
		return nil, errors.New("tailer: no registry")
	}
	if cfg.Pattern == "" {
		cfg.Pattern = DefaultPattern
	}
	if err := checkPattern(cfg.Pattern); err != nil {
		return nil, fmt.Errorf("tailer: pattern %q: %w", cfg.Pattern, err)
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.IgnoreOlder < 0 {
		return nil, fmt.Errorf("tailer: ignore_older %w", checkIgnoreOlder(cfg.IgnoreOlder, 0))
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
		cfg.RotateGrace = DefaultRotateGrace
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
