package source

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
)

// White-box tests of the catalog (issue 15: mutants of catalog.go that
// the tailer's tests cannot tell apart, because a catalog that polls
// instead of watching, or lists a moment later, delivers the same lines).

func touch(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("a line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCatalogWatch: watch sets up the directory watcher (it reports new
// names) or says why it cannot; a failed watch leaves no watcher.
func TestCatalogWatch(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := newCatalog(dir, DefaultPattern, time.Hour)
	if err := c.watch(); err != nil {
		t.Fatal(err)
	}
	if c.watcher == nil || c.pending == nil {
		t.Fatal("watch succeeded without a watcher")
	}
	touch(t, filepath.Join(dir, "audit.2021-09-22.log"))
	waitUntil(t, "the new name reported", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		_, ok := c.pending["audit.2021-09-22.log"]
		return ok
	})
	c.close()
	if c.watcher != nil {
		t.Error("close left the watcher")
	}
	c.close() // twice is harmless

	for name, c := range map[string]*catalog{
		"missing directory":         newCatalog(filepath.Join(dir, "missing"), DefaultPattern, time.Hour),
		"pattern spans directories": newCatalog(dir, "*/audit.*.log", time.Hour),
	} {
		if err := c.watch(); err == nil || c.watcher != nil {
			t.Errorf("%s: watch = %v, watcher %v; want an error and no watcher", name, err, c.watcher)
		}
	}
}

// collectOnce runs collect on a fake watcher, sends it events and errors,
// and waits until it has ended.
func collectOnce(c *catalog, names []string, errs int) {
	w := &fsnotify.Watcher{Events: make(chan fsnotify.Event), Errors: make(chan error)}
	c.stopped = make(chan struct{})
	go c.collect(w)
	for _, n := range names {
		w.Events <- fsnotify.Event{Name: filepath.Join(c.dir, n), Op: fsnotify.Create}
	}
	for range errs {
		w.Errors <- errors.New("queue overflow")
	}
	close(w.Events)
	<-c.stopped
}

// TestCatalogPendingBound: the watcher's reported names are bounded at
// 1<<16; past that the catalog lists the directory again instead.
func TestCatalogPendingBound(t *testing.T) {
	t.Parallel()
	const bound = 1 << 16
	fill := func(n int) map[string]struct{} {
		m := make(map[string]struct{}, n)
		for i := range n {
			m[fmt.Sprintf("audit.%06d.log", i)] = struct{}{}
		}
		return m
	}
	c := newCatalog(t.TempDir(), DefaultPattern, time.Hour)
	c.pending = fill(bound - 1)
	collectOnce(c, []string{"last.log"}, 0)
	if _, ok := c.pending["last.log"]; !ok || len(c.pending) != bound || c.full {
		t.Errorf("one name short of the bound: %d names, last one kept %v, full %v; want %d, true, false", len(c.pending), ok, c.full, bound)
	}
	collectOnce(c, []string{"over.log"}, 0)
	if _, ok := c.pending["over.log"]; ok || len(c.pending) != bound || !c.full {
		t.Errorf("at the bound: %d names, over one kept %v, full %v; want %d, false, true", len(c.pending), ok, c.full, bound)
	}

	c = newCatalog(t.TempDir(), DefaultPattern, time.Hour)
	c.pending = map[string]struct{}{}
	collectOnce(c, []string{"a.log", "sub/b.log"}, 0)
	if len(c.pending) != 2 || c.full {
		t.Errorf("pending %v, full %v; want the two base names, not full", c.pending, c.full)
	}
	for _, n := range []string{"a.log", "b.log"} {
		if _, ok := c.pending[n]; !ok {
			t.Errorf("pending %v lacks %s", c.pending, n)
		}
	}
	collectOnce(c, nil, 1)
	if !c.full {
		t.Error("a watcher error did not make the catalog list again")
	}
}

// TestCatalogListingDue: without a watcher the directory is listed again
// once pollEvery has passed, exactly; with one, only the reported names
// are looked at until rescanEvery has passed, exactly, or the watcher lost
// events.
func TestCatalogListingDue(t *testing.T) {
	t.Parallel()
	t0 := time.Now()
	for _, watched := range []bool{false, true} {
		dir := t.TempDir()
		every := 10 * time.Second
		if watched {
			every = rescanEvery
		}
		c := newCatalog(dir, DefaultPattern, 10*time.Second)
		if watched {
			c.watcher, c.pending = &fsnotify.Watcher{}, map[string]struct{}{}
		}
		a := filepath.Join(dir, "audit.2021-09-21.log")
		touch(t, a)
		if err := c.refresh(t0); err != nil || c.state(a) == nil {
			t.Fatalf("watched %v: the first refresh did not list: %v", watched, err)
		}
		b := filepath.Join(dir, "audit.2021-09-22.log")
		touch(t, b)
		if err := c.refresh(t0.Add(every - 1)); err != nil || c.state(b) != nil {
			t.Fatalf("watched %v: listed again before it was due (%v)", watched, err)
		}
		if err := c.refresh(t0.Add(every)); err != nil || c.state(b) == nil {
			t.Fatalf("watched %v: not listed again when due (%v)", watched, err)
		}
		if !watched {
			continue
		}
		// Reported names are stat'ed without a listing; a lost event
		// makes the next refresh list.
		d := filepath.Join(dir, "audit.2021-09-23.log")
		e := filepath.Join(dir, "audit.2021-09-24.log")
		touch(t, d)
		touch(t, e)
		c.pending["audit.2021-09-23.log"] = struct{}{}
		c.pending["other.txt"] = struct{}{}
		if err := c.refresh(t0.Add(every + time.Second)); err != nil || c.state(d) == nil || c.state(e) != nil {
			t.Fatalf("the reported name: listed %v, the unreported one %v; want true, false (%v)", c.state(d) != nil, c.state(e) != nil, err)
		}
		if len(c.pending) != 0 {
			t.Errorf("pending %v after a refresh, want none", c.pending)
		}
		c.full = true
		if err := c.refresh(t0.Add(every + 2*time.Second)); err != nil || c.state(e) == nil || c.full {
			t.Fatalf("after lost events: listed %v, full %v; want a listing (%v)", c.state(e) != nil, c.full, err)
		}
	}
}

// TestCatalogSettledRestat: a listing without a watcher stats settled
// files only once rescanEvery has passed since the last one that did,
// exactly; with a watcher every listing stats them.
func TestCatalogSettledRestat(t *testing.T) {
	t.Parallel()
	t0 := time.Now()
	for _, watched := range []bool{false, true} {
		dir := t.TempDir()
		c := newCatalog(dir, DefaultPattern, time.Nanosecond) // every refresh lists
		if watched {
			c.watcher, c.pending = &fsnotify.Watcher{}, map[string]struct{}{}
		}
		a := filepath.Join(dir, "audit.2021-09-21.log")
		touch(t, a)
		if err := c.refresh(t0); err != nil || c.state(a) == nil {
			t.Fatalf("watched %v: the first refresh did not list: %v", watched, err)
		}
		c.ordered()
		c.settle(c.state(a))
		if err := os.WriteFile(a, []byte("a longer line than before\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		restat := func(at time.Time) bool {
			t.Helper()
			c.full = true // with the watcher: a listing all the same
			if err := c.refresh(at); err != nil {
				t.Fatal(err)
			}
			return !c.state(a).settled
		}
		if watched {
			if !restat(t0.Add(time.Second)) {
				t.Error("watched: a listing did not stat the settled file")
			}
			continue
		}
		if restat(t0.Add(rescanEvery - 1)) {
			t.Error("a settled file stat'ed again before rescanEvery")
		}
		if !restat(t0.Add(rescanEvery)) {
			t.Error("a settled file not stat'ed again at rescanEvery")
		}
	}
}

// TestCatalogChanged: changed (the registry is pruned) is set when a file
// comes, goes or its path names another inode, not when a file grows.
func TestCatalogChanged(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := newCatalog(dir, DefaultPattern, time.Hour)
	a := filepath.Join(dir, "audit.2021-09-21.log")
	touch(t, a)
	c.update(a, false)
	if !c.changed {
		t.Error("a new file did not set changed")
	}
	c.changed = false
	f, err := os.OpenFile(a, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, f, "more\n")
	f.Close()
	c.update(a, false)
	if c.changed || c.state(a).stat.size != int64(len("a line\nmore\n")) {
		t.Errorf("a file that grew: changed %v, size %d", c.changed, c.state(a).stat.size)
	}
	c.state(a).identified = true
	c.update(a, true) // reported, same stat: identified again, no change
	if c.changed || c.state(a).identified {
		t.Errorf("a reported file: changed %v, identified %v; want false, false", c.changed, c.state(a).identified)
	}
	other := filepath.Join(dir, "other")
	touch(t, other)
	if err := os.Rename(other, a); err != nil {
		t.Fatal(err)
	}
	c.update(a, false)
	if !c.changed {
		t.Error("the path names another inode: changed not set")
	}
	c.changed = false
	if err := os.Remove(a); err != nil {
		t.Fatal(err)
	}
	c.update(a, false)
	if !c.changed || c.state(a) != nil {
		t.Errorf("a removed file: changed %v, still listed %v", c.changed, c.state(a) != nil)
	}
}

// TestCatalogSettle: lo counts the settled files at the start of the
// sorted list, up to all of them; newest is the last by path.
func TestCatalogSettle(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := newCatalog(dir, DefaultPattern, time.Hour)
	if c.newest() != "" {
		t.Errorf("newest of nothing = %q", c.newest())
	}
	var paths []string
	for _, d := range []string{"23", "21", "22"} {
		p := filepath.Join(dir, "audit.2021-09-"+d+".log")
		touch(t, p)
		c.update(p, false)
		paths = append(paths, p)
	}
	if got, want := c.newest(), paths[0]; got != want {
		t.Errorf("newest = %q, want %q", got, want)
	}
	for _, step := range []struct {
		path string
		lo   int
	}{{paths[2], 0}, {paths[1], 2}, {paths[0], 3}} {
		c.settle(c.state(step.path))
		if c.lo != step.lo {
			t.Errorf("settled %s: lo = %d, want %d", filepath.Base(step.path), c.lo, step.lo)
		}
	}
	c.unsettle(c.state(paths[2]))
	if c.lo != 0 || c.state(paths[2]).settled {
		t.Errorf("unsettled: lo = %d, settled %v", c.lo, c.state(paths[2]).settled)
	}
}
