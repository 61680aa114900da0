package enrich

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/oschwald/geoip2-golang/v2"
)

// GeoIPInfo describes a database.
type GeoIPInfo struct {
	Path  string
	Type  string    // e.g. GeoLite2-City
	Built time.Time // the database's build_epoch, UTC
}

// geoDB is one immutable database snapshot: never changed once stored.
//
// Its bytes (mem) are outside the Go heap and freed explicitly, so they
// are reference counted: one reference while the snapshot is current (or,
// for ReadGeoIPInfo, while it is being read), one per database lookup in
// flight. The last unref unmaps them. A lookup takes its reference with
// tryRef, which fails once the count has reached zero, so no lookup can
// start on freed bytes; the cache and the struct itself are ordinary heap
// memory and stay valid for anyone still holding the pointer.
type geoDB struct {
	r     *geoip2.Reader
	mem   *dbMem
	refs  atomic.Int64
	cache *lru.Cache[string, geoEntry]
	info  GeoIPInfo
	id    fileID
}

// tryRef takes a reference unless the snapshot has been released.
func (g *geoDB) tryRef() bool {
	for {
		n := g.refs.Load()
		if n <= 0 {
			return false
		}
		if g.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// unref drops a reference; the last one closes the reader and frees the
// bytes.
func (g *geoDB) unref() {
	if g.refs.Add(-1) == 0 {
		_ = g.r.Close()
		_ = g.mem.free()
	}
}

// fileID tells versions of a file apart: a rename over the path changes
// the inode, an in-place rewrite the size or modification time.
type fileID struct {
	dev, ino uint64
	size     int64
	mtime    int64
}

func idOf(st os.FileInfo) fileID {
	id := fileID{size: st.Size(), mtime: st.ModTime().UnixNano()}
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		id.dev, id.ino = uint64(s.Dev), uint64(s.Ino)
	}
	return id
}

// errGeoIPChanging means the file changed while it was read; it is
// tried again at the next check rather than refused.
var errGeoIPChanging = errors.New("file changed while it was read")

// probeAddrs are looked up in a replacement before it is taken: a lookup
// error (not a miss) means a damaged search tree or data section. A full
// maxminddb Verify would be stricter but costs about 25 s of CPU on the
// GeoLite2 City database; lookups in a damaged database fail, they do not
// crash.
var probeAddrs = []netip.Addr{
	netip.MustParseAddr("1.1.1.1"), netip.MustParseAddr("8.8.8.8"), netip.MustParseAddr("81.2.69.142"),
	netip.MustParseAddr("111.202.167.58"), netip.MustParseAddr("2001:4860:4860::8888"), netip.MustParseAddr("2a02:598::1"),
}

// loadGeoDB copies the database at path into memory outside the Go heap
// (dbMem) and opens it; the snapshot returned holds one reference. With
// probe, a few lookups must succeed too (a replacement is not taken on the
// strength of its metadata alone).
func loadGeoDB(path string, cacheSize int, probe bool) (*geoDB, error) {
	mem, id, err := readGeoFile(path)
	if err != nil {
		return nil, fmt.Errorf("geoip database %s: %w", path, err)
	}
	db, err := openGeoDB(mem, cacheSize, probe)
	if err != nil {
		_ = mem.free()
		return nil, fmt.Errorf("geoip database %s: %w", path, err)
	}
	db.info.Path, db.id = path, id
	return db, nil
}

// readGeoFile copies the file at path, refusing a file that changed while
// it was read (errGeoIPChanging).
func readGeoFile(path string) (*dbMem, fileID, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fileID{}, err
	}
	defer f.Close()
	before, err := f.Stat()
	if err != nil {
		return nil, fileID{}, err
	}
	mem, err := readDBMem(f, before.Size())
	if err != nil {
		return nil, fileID{}, err
	}
	after, err := f.Stat()
	if err != nil {
		_ = mem.free()
		return nil, fileID{}, err
	}
	id := idOf(after)
	if id != idOf(before) || int64(len(mem.b)) != after.Size() {
		_ = mem.free()
		return nil, fileID{}, errGeoIPChanging
	}
	return mem, id, nil
}

// openGeoDB opens a reader on mem and checks it is a City database.
func openGeoDB(mem *dbMem, cacheSize int, probe bool) (*geoDB, error) {
	r, err := geoip2.OpenBytes(mem.b)
	if err != nil {
		return nil, err
	}
	md := r.Metadata()
	if !containsCity(md.DatabaseType) {
		return nil, fmt.Errorf("type %q is not a City database", md.DatabaseType)
	}
	if probe {
		for _, a := range probeAddrs {
			if _, err := r.City(a); err != nil {
				return nil, fmt.Errorf("corrupt: lookup of %s: %w", a, err)
			}
		}
	}
	cache, err := lru.New[string, geoEntry](cacheSize)
	if err != nil {
		return nil, err
	}
	db := &geoDB{r: r, mem: mem, cache: cache,
		info: GeoIPInfo{Type: md.DatabaseType, Built: time.Unix(int64(md.BuildEpoch), 0).UTC()}}
	db.refs.Store(1)
	return db, nil
}

// ReadGeoIPInfo returns the metadata of the database at path without
// keeping it open.
func ReadGeoIPInfo(path string) (GeoIPInfo, error) {
	db, err := loadGeoDB(path, 1, false)
	if err != nil {
		return GeoIPInfo{}, err
	}
	db.unref()
	return db.info, nil
}

// geoReloadState is GeoIP's reload bookkeeping.
type geoReloadState struct {
	mu      sync.Mutex // serialises Check and Close
	closed  bool       // Close was called: Check takes nothing more
	seen    fileID     // last version observed but not yet taken
	refused fileID     // last version refused: not tried again
	// Reloads and Failures count replacements taken and refused.
	reloads, failures atomic.Int64
}

// Info describes the database in use.
func (g *GeoIP) Info() GeoIPInfo { return g.cur.Load().info }

// Reloads returns how many replacements were taken and refused.
func (g *GeoIP) Reloads() (ok, failed int64) {
	return g.reload.reloads.Load(), g.reload.failures.Load()
}

// CheckResult is what one Check did.
type CheckResult int

// Check results.
const (
	Unchanged CheckResult = iota // same file, or a refused one again, or gone
	Settling                     // changed since the last check: taken once it holds still
	Reloaded                     // a new database is in use
	Refused                      // the new file is not a usable City database; the old one stays
)

// Check looks at the configured path and swaps in a replaced database. A
// changed file is taken only once it is seen unchanged on two consecutive
// checks (an in-place rewrite may be half done; a rename is complete at
// once and merely waits one interval). A replacement that does not open,
// fails verification or is not a City database is refused (err says why)
// and not tried again until the file changes once more. A missing file is
// not a change: geoipupdate renames a complete file into place.
func (g *GeoIP) Check() (CheckResult, error) {
	st := &g.reload
	st.mu.Lock()
	defer st.mu.Unlock()
	fi, err := os.Stat(g.path)
	if err != nil || st.closed {
		return Unchanged, nil
	}
	id := idOf(fi)
	if id == g.cur.Load().id || id == st.refused {
		st.seen = fileID{}
		return Unchanged, nil
	}
	if id != st.seen {
		st.seen = id
		return Settling, nil
	}
	db, err := loadGeoDB(g.path, g.cacheSize, true)
	if errors.Is(err, errGeoIPChanging) {
		st.seen = fileID{}
		return Settling, nil
	}
	if err != nil {
		st.refused = id
		st.failures.Add(1)
		return Refused, err
	}
	old := g.cur.Swap(db)
	old.unref() // freed once the lookups in flight on it return
	st.seen = fileID{}
	st.reloads.Add(1)
	return Reloaded, nil
}

// Watch calls Check every interval until ctx ends, logging one line per
// database taken or refused.
func (g *GeoIP) Watch(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		old := g.Info()
		switch res, err := g.Check(); res {
		case Reloaded:
			n := g.Info()
			log.Info("geoip database reloaded", "path", n.Path, "type", n.Type, "built", n.Built.Format(time.DateOnly),
				"previous_built", old.Built.Format(time.DateOnly))
		case Refused:
			log.Error("geoip database replacement refused; keeping the one in use", "err", err,
				"in_use_built", old.Built.Format(time.DateOnly))
		}
	}
}
