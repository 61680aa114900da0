package source

import (
	"sync"
	"sync/atomic"
)

// Tracked is a file the tailer reads; the pipeline carries it with each
// chunk and acknowledges positions back through its cursor.
type Tracked struct {
	Path string
	ID   FileID
	Size atomic.Int64 // last observed size, for lag

	reg       *Registry
	mu        sync.Mutex
	pending   []mark // flushed positions in file order, not yet all acknowledged
	committed mark
	finalEnd  int64 // set when the file is finished; -1 while it may grow
	done      chan struct{}
}

type mark struct {
	end, line, eventMilli int64
	acked                 bool
}

func newTracked(path string, id FileID, reg *Registry, start Entry) *Tracked {
	t := &Tracked{Path: path, ID: id, reg: reg, finalEnd: -1, done: make(chan struct{})}
	t.committed = mark{end: start.Offset, line: start.Line}
	return t
}

// Sent records, in file order, that the lines up to end (line number line)
// went to the sink.
func (t *Tracked) Sent(end, line int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pending = append(t.pending, mark{end: end, line: line})
}

// Ack records that the lines up to end are indexed or dead-lettered. The
// committed offset advances over every contiguous acknowledged position,
// and the registry is updated. eventMilli is the newest event time in the
// acknowledged chunk (for lag).
func (t *Tracked) Ack(end, eventMilli int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range t.pending {
		if t.pending[i].end == end {
			t.pending[i].acked = true
			t.pending[i].eventMilli = eventMilli
			break
		}
	}
	moved := false
	for len(t.pending) > 0 && t.pending[0].acked {
		t.committed = t.pending[0]
		t.pending = t.pending[1:]
		moved = true
	}
	if moved {
		t.commitLocked()
	}
}

func (t *Tracked) commitLocked() {
	finished := t.finalEnd >= 0 && t.committed.end >= t.finalEnd && len(t.pending) == 0
	if t.reg != nil {
		t.reg.Set(Entry{FileID: t.ID, Path: t.Path, Offset: t.committed.end, Line: t.committed.line, Done: finished})
	}
	if finished {
		select {
		case <-t.done:
		default:
			close(t.done)
		}
	}
}

// finish marks the file complete at end: once everything before end is
// acknowledged its registry entry is marked done.
func (t *Tracked) finish(end int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.finalEnd = end
	if len(t.pending) == 0 && t.committed.end >= end {
		t.commitLocked()
	}
}

// Committed returns the committed offset and the newest event time
// acknowledged (Unix ms, 0 if unknown).
func (t *Tracked) Committed() (offset, eventMilli int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.committed.end, t.committed.eventMilli
}

// Finished is closed when the file was finished and fully acknowledged.
func (t *Tracked) Finished() <-chan struct{} { return t.done }

// rekey gives the file a new identity (an older file first identified by
// IdentifyPartial whose first line has since been completed), moving its
// registry entry so that the next listing recognises it.
func (t *Tracked) rekey(id FileID) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.ID
	t.ID = id
	if t.reg != nil {
		t.reg.Forget(func(e Entry) bool { return e.FileID != old })
		t.reg.Set(Entry{FileID: id, Path: t.Path, Offset: t.committed.end, Line: t.committed.line})
	}
}
