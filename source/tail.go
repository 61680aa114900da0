package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/nxadm/tail"
)

// TailConfig configures a Tailer.
type TailConfig struct {
	Dir     string // directory of the dated files
	Pattern string // glob of their names; default "audit.*.log"
	// Registry holds committed offsets; required.
	Registry *Registry
	// StartAtEnd makes never-seen files start at their current end instead
	// of their beginning (the default).
	StartAtEnd bool
	// PollInterval is how often files are discovered and the followed file
	// checked for rotation, truncation and deletion; default 1s.
	PollInterval time.Duration
	// RotateGrace is how long the followed file keeps being read after a
	// newer file appears, for the writer's last lines; default 5s.
	RotateGrace time.Duration
	// Poll makes nxadm/tail poll for changes instead of using inotify.
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
// read to their end, oldest first, then the newest is followed with
// nxadm/tail. It does its own discovery and rotation handling and keeps
// its own descriptor of the followed file, so that lines written before a
// rename, a deletion or the switch to the next day's file are drained from
// that descriptor, never lost.
type Tailer struct {
	cfg      TailConfig
	finished map[FileID]bool // files read to the end in this run
	current  *Tracked
	files    []*Tracked
	first    bool
}

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
	if cfg.RotateGrace <= 0 {
		cfg.RotateGrace = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Tailer{cfg: cfg, finished: map[FileID]bool{}, first: true}, nil
}

// Files returns the files read in this run (for lag reporting).
func (t *Tailer) Files() []*Tracked { return t.files }

// discover lists the matching files, oldest first (dated names sort by
// date; equal names cannot occur).
func (t *Tailer) discover() ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(t.cfg.Dir, t.cfg.Pattern))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Run follows the directory until ctx ends.
func (t *Tailer) Run(ctx context.Context, h Handler) error {
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

// next opens the oldest file that still has lines to read.
func (t *Tailer) next() (*os.File, *Tracked, bool, error) {
	paths, err := t.discover()
	if err != nil {
		return nil, nil, false, err
	}
	first := t.first
	t.first = false
	t.prune(paths)
	for i, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			continue // gone since the listing
		}
		id, size, err := Identify(f)
		if err != nil || id.Fingerprint == "" || t.finished[id] {
			// Not finished but no complete first line yet: only the newest
			// file can be in that state; come back later.
			f.Close()
			continue
		}
		e, known := t.cfg.Registry.Lookup(id)
		if known && e.Done {
			t.finished[id] = true
			f.Close()
			continue
		}
		if !known {
			e = Entry{FileID: id, Path: p}
			if t.cfg.StartAtEnd && first {
				e.Offset = size // files present at the very first start
			}
			t.cfg.Registry.Set(e)
		}
		if e.Offset > size {
			t.cfg.Logger.Warn("file shorter than its committed offset; reading it from the start", "file", p, "offset", e.Offset, "size", size)
			e.Offset, e.Line = 0, 0
		}
		tr := newTracked(p, id, t.cfg.Registry, e)
		tr.Size.Store(size)
		t.files = append(t.files, tr)
		return f, tr, i == len(paths)-1, nil
	}
	return nil, nil, false, nil
}

// prune forgets registry entries of files that no longer exist (or whose
// inode now holds another file), so the registry does not grow forever.
func (t *Tailer) prune(paths []string) {
	var live []FileID
	for _, p := range paths {
		if f, err := os.Open(p); err == nil {
			if id, _, err := Identify(f); err == nil {
				live = append(live, id)
			}
			f.Close()
		}
	}
	t.cfg.Registry.Forget(func(e Entry) bool {
		for _, id := range live {
			if id.Same(e.FileID) {
				return true
			}
		}
		return false
	})
}

// read reads tr from its committed offset: to the end if it is not the
// newest file, else following it until it is superseded, renamed,
// deleted or truncated.
func (t *Tailer) read(ctx context.Context, f *os.File, tr *Tracked, newest bool, h Handler) error {
	start, _ := tr.Committed()
	tr.mu.Lock()
	line := tr.committed.line
	tr.mu.Unlock()
	pos := position{offset: start, line: line}
	if !newest {
		return t.drain(ctx, f, tr, &pos, h, true)
	}
	return t.follow(ctx, f, tr, &pos, h)
}

type position struct{ offset, line int64 }

// drain reads f from pos to its end. With final, a last line without a
// newline is taken as complete and the file is finished.
func (t *Tailer) drain(ctx context.Context, f *os.File, tr *Tracked, pos *position, h Handler, final bool) error {
	if _, err := f.Seek(pos.offset, io.SeekStart); err != nil {
		return fmt.Errorf("%s: %w", tr.Path, err)
	}
	lr := NewLineReader(f, t.cfg.MaxLine, pos.offset)
	lr.number = pos.line
	for ctx.Err() == nil {
		l, err := lr.Next()
		var tl *LineTooLongError
		switch {
		case errors.As(err, &tl):
			if err := h.TooLong(tr, tl); err != nil {
				return err
			}
			pos.offset, pos.line = tl.End, tl.Number
			continue
		case errors.Is(err, io.EOF):
			if err := h.Flush(); err != nil {
				return err
			}
			if final {
				t.finished[tr.ID] = true
				tr.finish(pos.offset)
			}
			return nil
		case err != nil:
			return fmt.Errorf("%s: %w", tr.Path, err)
		}
		if !l.Complete && !final {
			return h.Flush() // an unfinished line: read again later
		}
		if err := h.Line(tr, l); err != nil {
			return err
		}
		pos.offset, pos.line = l.End, l.Number
	}
	return h.Flush()
}

// follow tails the newest file with nxadm/tail until something ends it.
func (t *Tailer) follow(ctx context.Context, f *os.File, tr *Tracked, pos *position, h Handler) error {
	tl, err := tail.TailFile(tr.Path, tail.Config{
		Location: &tail.SeekInfo{Offset: pos.offset, Whence: io.SeekStart},
		Follow:   true, ReOpen: false, MustExist: true, CompleteLines: true,
		Poll: t.cfg.Poll, Logger: tail.DiscardingLogger,
	})
	if err != nil {
		return fmt.Errorf("tail %s: %w", tr.Path, err)
	}
	stopTail := func() {
		tl.Stop()
		tl.Cleanup()
	}
	// nxadm/tail may have opened a different file than f if the path was
	// replaced in between: check, and fall back to draining f.
	tick := time.NewTicker(t.cfg.PollInterval)
	defer tick.Stop()
	var newerSince time.Time
	var buf []byte
	idle := time.NewTimer(time.Hour)
	idle.Stop()
	defer idle.Stop()
	armed := false
	for {
		select {
		case <-ctx.Done():
			stopTail()
			return h.Flush()
		case l, ok := <-tl.Lines:
			if !ok || l.Err != nil {
				// nxadm/tail stopped (e.g. the file went away): finish
				// from our own descriptor.
				stopTail()
				if t.stillCurrent(tr) {
					return t.drain(ctx, f, tr, pos, h, false)
				}
				return t.drainUntilQuiet(ctx, f, tr, pos, h)
			}
			n := int64(len(l.Text)) + 1
			// Check the line against our own descriptor at our offset:
			// nxadm/tail silently reopens a truncated file, after which its
			// lines are no longer at the offsets we track.
			if cap(buf) < int(n) {
				buf = make([]byte, n)
			}
			buf = buf[:n]
			if _, err := f.ReadAt(buf, pos.offset); err != nil || string(buf[:n-1]) != l.Text || buf[n-1] != '\n' {
				t.cfg.Logger.Info("file changed under the reader; reading it again", "file", tr.Path)
				stopTail()
				if err := h.Flush(); err != nil {
					return err
				}
				if t.stillCurrent(tr) {
					return nil // next() finds it again (truncated or rewritten)
				}
				return t.drainUntilQuiet(ctx, f, tr, pos, h)
			}
			ln := Line{Bytes: buf[:n-1], Number: pos.line + 1, Offset: pos.offset, End: pos.offset + n, Complete: true}
			if t.cfg.MaxLine > 0 && len(l.Text) > t.maxLine() {
				err = h.TooLong(tr, &LineTooLongError{Number: ln.Number, Offset: ln.Offset, End: ln.End, Head: ln.Bytes[:min(4096, len(ln.Bytes))]})
			} else {
				err = h.Line(tr, ln)
			}
			if err != nil {
				stopTail()
				return err
			}
			pos.offset, pos.line = ln.End, ln.Number
			if !armed { // flush what is gathered once lines pause for a moment
				idle.Reset(flushDelay)
				armed = true
			}
		case <-idle.C:
			armed = false
			if err := h.Flush(); err != nil {
				stopTail()
				return err
			}
		case <-tick.C:
			if err := h.Flush(); err != nil {
				stopTail()
				return err
			}
			st, err := f.Stat()
			if err == nil {
				tr.Size.Store(st.Size())
			}
			switch t.check(f, tr, pos) {
			case keep:
			case truncated:
				t.cfg.Logger.Info("file truncated; reading it again from the start", "file", tr.Path)
				stopTail()
				return nil // next() finds it again under its new identity
			case replaced:
				// Renamed away or deleted: the writer may still append to
				// it for a moment; drain our descriptor until it is quiet.
				stopTail()
				return t.drainUntilQuiet(ctx, f, tr, pos, h)
			case superseded:
				if newerSince.IsZero() {
					newerSince = time.Now()
				}
				if time.Since(newerSince) >= t.cfg.RotateGrace {
					stopTail()
					return t.drain(ctx, f, tr, pos, h, true)
				}
			}
		}
	}
}

// drainUntilQuiet reads a renamed or deleted file through our descriptor
// until it has not grown for RotateGrace, then finishes it.
func (t *Tailer) drainUntilQuiet(ctx context.Context, f *os.File, tr *Tracked, pos *position, h Handler) error {
	quietSince := time.Now()
	for {
		before := pos.offset
		if err := t.drain(ctx, f, tr, pos, h, false); err != nil {
			return err
		}
		if pos.offset != before {
			quietSince = time.Now()
		}
		if time.Since(quietSince) >= t.cfg.RotateGrace || ctx.Err() != nil {
			return t.drain(ctx, f, tr, pos, h, true)
		}
		if !sleep(ctx, t.cfg.PollInterval) {
			return h.Flush()
		}
	}
}

// flushDelay bounds how long a line waits in a partly filled chunk.
const flushDelay = 5 * time.Millisecond

func (t *Tailer) maxLine() int {
	if t.cfg.MaxLine <= 0 {
		return DefaultMaxLine
	}
	return t.cfg.MaxLine
}

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
func (t *Tailer) check(f *os.File, tr *Tracked, pos *position) state {
	id, size, err := Identify(f)
	if err == nil && (size < pos.offset || (id.Fingerprint != "" && tr.ID.Fingerprint != "" && id.Fingerprint != tr.ID.Fingerprint)) {
		return truncated
	}
	if !t.stillCurrent(tr) {
		return replaced
	}
	paths, err := t.discover()
	if err == nil && len(paths) > 0 && paths[len(paths)-1] > tr.Path {
		return superseded
	}
	return keep
}

// stillCurrent reports whether tr's path still names tr's file.
func (t *Tailer) stillCurrent(tr *Tracked) bool {
	g, err := os.Open(tr.Path)
	if err != nil {
		return false
	}
	defer g.Close()
	id, _, err := Identify(g)
	return err == nil && id.Dev == tr.ID.Dev && id.Ino == tr.ID.Ino
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
