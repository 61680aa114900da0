package source

// The change notifier of the followed file: nxadm/tail's watcher.

import (
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/nxadm/tail/watch"
	"gopkg.in/tomb.v1"
)

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
