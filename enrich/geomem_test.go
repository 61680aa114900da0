package enrich

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// TestGeoIPSnapshotRelease: a snapshot's bytes stay mapped while a lookup
// holds it, across a swap, and are freed by the last release; Close frees
// the current one and later lookups find nothing instead of faulting.
func TestGeoIPSnapshotRelease(t *testing.T) {
	path := copyTestDB(t)
	g, err := OpenGeoIP(path, 1)
	if err != nil {
		t.Fatal(err)
	}
	old := g.cur.Load()
	if runtime.GOOS == "linux" && !old.mem.off {
		t.Fatal("database copy is on the Go heap")
	}
	if !old.tryRef() { // a lookup in flight on the old snapshot
		t.Fatal("tryRef on the current snapshot failed")
	}
	replaceByRename(t, path, buildDB(t, "GeoLite2-City", "1.1.1.0/24", "Sydney", 1700000000))
	if res, err := settle(t, g); res != Reloaded {
		t.Fatalf("swap: %v %v", res, err)
	}
	if old.refs.Load() != 1 || old.mem.b == nil {
		t.Fatalf("old snapshot released under a lookup: refs %d", old.refs.Load())
	}
	jsonEqual(t, old.resolve([]byte("111.202.167.58")).frag, sampleGeo) // still readable
	old.unref()
	if old.refs.Load() != 0 || old.mem.b != nil {
		t.Fatalf("old snapshot not freed by its last release: refs %d", old.refs.Load())
	}
	if old.tryRef() {
		t.Fatal("tryRef succeeded on a freed snapshot")
	}
	// A lookup that loaded the old pointer before the swap moves on to the
	// current snapshot instead of reading freed bytes.
	if e, db := g.resolve(old, []byte("1.1.1.1")); db != g.cur.Load() || !strings.Contains(string(e.frag), "Sydney") {
		t.Fatalf("lookup on a released snapshot: %s", e.frag)
	}

	cur := g.cur.Load()
	for range 2 {
		if err := g.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if cur.refs.Load() != 0 || cur.mem.b != nil {
		t.Fatalf("Close did not free the database: refs %d", cur.refs.Load())
	}
	if frag := g.lookup([]byte("2.2.2.2")); frag != nil {
		t.Fatalf("lookup after Close: %s", frag)
	}
	if res, err := g.Check(); res != Unchanged || err != nil {
		t.Fatalf("Check after Close: %v %v", res, err)
	}
}

// TestGeoIPPrivateCopy: a database rewritten in place with other bytes
// does not change lookups until Check takes it (the copy is private).
func TestGeoIPPrivateCopy(t *testing.T) {
	path := copyTestDB(t)
	g, err := OpenGeoIP(path, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	st, _ := os.Stat(path)
	if err := os.WriteFile(path, make([]byte, st.Size()), 0o644); err != nil { // same inode, zeros
		t.Fatal(err)
	}
	jsonEqual(t, g.lookup([]byte("111.202.167.58")), sampleGeo)
}

// TestGeoIPSwapDuringLookups: every lookup misses the cache and reads the
// database while snapshots are swapped and freed underneath (run with
// -race; a read of unmapped bytes faults). Afterwards every snapshot has
// been freed exactly when its last reader left.
func TestGeoIPSwapDuringLookups(t *testing.T) {
	path := copyTestDB(t)
	g, err := OpenGeoIP(path, 1)
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := os.ReadFile(testDB)
	sydney := buildDB(t, "GeoLite2-City", "1.1.1.0/24", "Sydney", 1700000000)
	snaps := []*geoDB{g.cur.Load()}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var lookups atomic.Int64
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				// A distinct address each time: cache size 1 never hits.
				g.lookup(fmt.Appendf(nil, "111.202.%d.%d", w, i%250))
				if frag := g.lookup([]byte("1.1.1.1")); frag != nil && !strings.Contains(string(frag), "Sydney") {
					t.Errorf("half a database: %s", frag)
					return
				}
				lookups.Add(2)
			}
		}()
	}
	for i := range 30 {
		b := orig
		if i%2 == 0 {
			b = sydney
		}
		replaceByRename(t, path, b)
		if res, err := settle(t, g); res != Reloaded {
			t.Fatalf("swap %d: %v %v", i, res, err)
		}
		snaps = append(snaps, g.cur.Load())
	}
	close(stop)
	wg.Wait()
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	for i, s := range snaps {
		if s.refs.Load() != 0 || s.mem.b != nil {
			t.Errorf("snapshot %d not freed: refs %d", i, s.refs.Load())
		}
	}
	if lookups.Load() < 100 {
		t.Errorf("only %d lookups ran during the swaps", lookups.Load())
	}
}
