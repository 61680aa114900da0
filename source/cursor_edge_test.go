package source

import (
	"path/filepath"
	"testing"
)

func testRegistry(t *testing.T) *Registry {
	t.Helper()
	r, err := OpenRegistry(filepath.Join(t.TempDir(), "registry.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRekeyKeepsOtherFiles: re-keying one file moves its own entry and
// leaves every other file's offset alone.
func TestRekeyKeepsOtherFiles(t *testing.T) {
	t.Parallel()
	r := testRegistry(t)
	a := FileID{Dev: 1, Ino: 1, Fingerprint: "fa"}
	b := FileID{Dev: 1, Ino: 2, Fingerprint: "fb"}
	c := FileID{Dev: 1, Ino: 3}
	r.Set(Entry{FileID: a, Path: "a.log", Offset: 10, Line: 1, Done: true})
	r.Set(Entry{FileID: b, Path: "b.log", Offset: 20, Line: 2})
	r.Set(Entry{FileID: c, Path: "c.log", Offset: 30, Line: 3})
	tr := newTracked("b.log", b, r, Entry{Offset: 20, Line: 2})
	b2 := FileID{Dev: 1, Ino: 2, Fingerprint: "fb-completed"}
	tr.rekey(b2)
	if tr.ID != b2 {
		t.Errorf("ID = %+v", tr.ID)
	}
	got := map[string]Entry{}
	for _, e := range r.Entries() {
		got[e.Path] = e
	}
	if len(got) != 3 || r.Len() != 3 {
		t.Fatalf("entries %+v", r.Entries())
	}
	if e := got["a.log"]; e.FileID != a || e.Offset != 10 || e.Line != 1 || !e.Done {
		t.Errorf("a.log = %+v", e)
	}
	if e := got["c.log"]; e.FileID != c || e.Offset != 30 || e.Line != 3 || e.Done {
		t.Errorf("c.log = %+v", e)
	}
	if e := got["b.log"]; e.FileID != b2 || e.Offset != 20 || e.Line != 2 || e.Done {
		t.Errorf("b.log = %+v", e)
	}
	if _, ok := r.Lookup(b); ok {
		t.Error("the old identity is still registered")
	}
	// Without a registry, rekey only changes the identity.
	tr = newTracked("x.log", a, nil, Entry{})
	tr.rekey(b)
	if tr.ID != b {
		t.Errorf("ID = %+v", tr.ID)
	}
}

// TestCursorAcks: the committed offset advances over contiguous
// acknowledged positions only, in file order, carrying the newest event
// time; the file is done once finished and fully acknowledged.
func TestCursorAcks(t *testing.T) {
	t.Parallel()
	r := testRegistry(t)
	id := FileID{Dev: 9, Ino: 9, Fingerprint: "f"}
	tr := newTracked("a.log", id, r, Entry{Offset: 5, Line: 1})
	check := func(step string, off, ms int64, done bool) {
		t.Helper()
		gotOff, gotMs := tr.Committed()
		e, _ := r.Lookup(id)
		finished := false
		select {
		case <-tr.Finished():
			finished = true
		default:
		}
		if gotOff != off || gotMs != ms || finished != done || (r.Len() > 0 && (e.Offset != off || e.Done != done)) {
			t.Errorf("%s: committed %d (%d ms), finished %v, entry %+v; want %d (%d ms), finished %v", step, gotOff, gotMs, finished, e, off, ms, done)
		}
	}
	check("start", 5, 0, false)
	tr.Sent(10, 2)
	tr.Sent(20, 3)
	tr.Sent(30, 4)
	tr.Ack(20, 200)
	check("ack of the second", 5, 0, false)
	tr.Ack(99, 999) // not a sent position
	check("unknown ack", 5, 0, false)
	tr.Ack(10, 100)
	check("ack of the first", 20, 200, false)
	if e, _ := r.Lookup(id); e.Line != 3 {
		t.Errorf("line %d, want 3", e.Line)
	}
	tr.finish(30)
	check("finished, one pending", 20, 200, false)
	tr.Ack(30, 300)
	check("all acknowledged", 30, 300, true)
	tr.finish(30) // again: no second close
	check("finished twice", 30, 300, true)
}

// TestCursorEmptyFile: a file finished at its start (empty, or nothing
// new since the registry's offset) is done at once.
func TestCursorEmptyFile(t *testing.T) {
	t.Parallel()
	for _, start := range []int64{0, 42} {
		r := testRegistry(t)
		id := FileID{Dev: 1, Ino: uint64(start) + 1}
		tr := newTracked("e.log", id, r, Entry{Offset: start})
		tr.finish(start)
		select {
		case <-tr.Finished():
		default:
			t.Errorf("start %d: finished file with nothing to read not done", start)
		}
		if e, ok := r.Lookup(id); !ok || !e.Done || e.Offset != start {
			t.Errorf("start %d: entry %+v %v", start, e, ok)
		}
	}
	// Finished before its end is acknowledged: not done.
	r := testRegistry(t)
	tr := newTracked("p.log", FileID{Ino: 7}, r, Entry{Offset: 10})
	tr.finish(11)
	select {
	case <-tr.Finished():
		t.Error("done before the end was acknowledged")
	default:
	}
	if r.Len() != 0 {
		t.Errorf("registry written without progress: %+v", r.Entries())
	}
}
