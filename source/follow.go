package source

// The follower: reading one file through its own descriptor, following
// the newest, draining a superseded, renamed or deleted one until it is
// quiet, and finishing it.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"
)

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
	t.reading = tr
	defer func() { t.reading = nil }()
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
	// If its path still names it, the file is settled: the next listings
	// need not open it again. A new file under the path (renamed away and
	// replaced) is left for next to find.
	t.cat.update(rd.tr.Path, false)
	if fs := t.cat.state(rd.tr.Path); fs != nil && fs.stat.dev == rd.tr.ID.Dev && fs.stat.ino == rd.tr.ID.Ino {
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
	now := time.Now()
	err = t.cat.refresh(now)
	if t.cat.changed || now.Sub(t.lastPrune) >= pruneEvery {
		t.prune(now) // files removed while the newest is followed leave now
	}
	if err == nil && t.cat.newest() > rd.tr.Path {
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
