package source

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nxadm/tail/watch"
)

// TestNotifier: with inotify the followed path is watched through
// nxadm/tail's shared inotify watcher, and no longer once the notifier is
// stopped (stop waits for that); with Poll it is polled instead (the
// shared watcher does not know the path). Either reports a modification.
// A path that cannot be watched gives a notifier without channels.
func TestNotifier(t *testing.T) {
	t.Parallel()
	for _, poll := range []bool{false, true} {
		dir := t.TempDir()
		path := filepath.Join(dir, "audit.2021-09-22.log")
		f := create(t, path)
		appendLines(t, f, "a", 0, 1)
		tl, err := NewTailer(TailConfig{Dir: dir, Registry: newRegistry(t), Poll: poll})
		if err != nil {
			t.Fatal(err)
		}
		n := tl.notify(path, 0)
		if n.tomb == nil || n.changes == nil || n.inotify == poll {
			t.Fatalf("poll %v: notifier %+v", poll, n)
		}
		if watched := watch.Events(n.path) != nil; watched == poll {
			t.Errorf("poll %v: in the shared inotify watcher: %v", poll, watched)
		}
		appendLines(t, f, "a", 1, 2)
		select {
		case <-n.modified():
		case <-n.truncated():
			t.Errorf("poll %v: a write reported as a truncation", poll)
		case <-n.deleted():
			t.Errorf("poll %v: a write reported as a deletion", poll)
		case <-time.After(10 * time.Second):
			t.Errorf("poll %v: no modification reported", poll)
		}
		n.stop()
		if watch.Events(n.path) != nil {
			t.Errorf("poll %v: still watched after stop", poll)
		}
		if n.tomb != nil || n.modified() != nil || n.truncated() != nil || n.deleted() != nil {
			t.Errorf("poll %v: a stopped notifier still has channels", poll)
		}
		n.stop() // twice is harmless

		missing := tl.notify(filepath.Join(dir, "missing.log"), 0)
		if missing.tomb != nil || missing.modified() != nil || missing.truncated() != nil || missing.deleted() != nil {
			t.Errorf("poll %v: a notifier for a missing file has channels", poll)
		}
		missing.stop()
	}
}

// inotifyInstances counts the process's inotify descriptors.
func inotifyInstances(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, fd := range fds {
		if l, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && l == "anon_inode:inotify" {
			n++
		}
	}
	return n
}

// TestInotifyAvailableCloses: finding out whether inotify is available
// leaves no inotify instance behind (each NewTailer does it; the limit is
// 128 per user by default). Serial: parallel tests open watchers.
func TestInotifyAvailableCloses(t *testing.T) {
	before := inotifyInstances(t)
	for range 20 {
		if err := inotifyAvailable(); err != nil {
			t.Fatal(err)
		}
	}
	if after := inotifyInstances(t); after > before {
		t.Errorf("%d inotify instances after 20 checks, %d before", after, before)
	}
}
