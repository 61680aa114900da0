package enrich

import (
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"

	"github.com/oschwald/geoip2-golang/v2"
)

// DefaultGeoIPPaths are searched, in order, when no database is given:
// the places geoipupdate and distribution packages use, then the cache
// that scripts/fetch-geolite.sh fills ($INGESTD_CACHE or the user cache
// directory, under ingestd/geoip).
var DefaultGeoIPPaths = defaultGeoIPPaths()

func defaultGeoIPPaths() []string {
	paths := []string{
		"/usr/share/GeoIP/GeoLite2-City.mmdb",
		"/var/lib/GeoIP/GeoLite2-City.mmdb",
	}
	if c := os.Getenv("INGESTD_CACHE"); c != "" {
		paths = append(paths, filepath.Join(c, "geoip", "GeoLite2-City.mmdb"))
	} else if c, err := os.UserCacheDir(); err == nil {
		paths = append(paths, filepath.Join(c, "ingestd", "geoip", "GeoLite2-City.mmdb"))
	}
	return paths
}

// FindGeoIPDatabase returns the first of DefaultGeoIPPaths that exists, or "".
func FindGeoIPDatabase() string {
	for _, p := range DefaultGeoIPPaths {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// GeoIPStats counts lookups by outcome.
type GeoIPStats struct {
	Found    atomic.Int64 // a geoip block was added
	Private  atomic.Int64 // private, loopback, link-local or reserved address
	NotFound atomic.Int64 // a public address the database does not cover
	Invalid  atomic.Int64 // clientIp missing, "null" or not an address
}

type geoResult uint8

const (
	geoFound geoResult = iota
	geoPrivate
	geoNotFound
	geoInvalid
)

type geoEntry struct {
	frag   []byte // the rendered "geoip" object, nil unless found
	result geoResult
}

// GeoIP resolves client addresses to Logstash's legacy geoip layout. It is
// safe for concurrent use; results are cached per address text.
//
// The database in use is an immutable snapshot (reader, cache and build
// metadata) behind an atomic pointer: Reload swaps in a new one while
// lookups go on, and each lookup uses exactly one snapshot. Databases are
// copied into memory outside the Go heap (dbMem) rather than mapped, so a
// file rewritten in place can never fault a running lookup, and an old
// snapshot's bytes are unmapped once the last lookup holding a reference to
// it returns (geoDB.refs).
type GeoIP struct {
	path      string
	cacheSize int
	cur       atomic.Pointer[geoDB]
	Stats     GeoIPStats
	reload    geoReloadState // see geoipreload.go
}

// OpenGeoIP opens a MaxMind City database (GeoLite2-City or GeoIP2-City).
func OpenGeoIP(path string, cacheSize int) (*GeoIP, error) {
	if cacheSize <= 0 {
		cacheSize = 1
	}
	db, err := loadGeoDB(path, cacheSize, false)
	if err != nil {
		return nil, err
	}
	g := &GeoIP{path: path, cacheSize: cacheSize}
	g.cur.Store(db)
	return g, nil
}

func containsCity(dbType string) bool {
	for i := 0; i+4 <= len(dbType); i++ {
		if dbType[i:i+4] == "City" {
			return true
		}
	}
	return false
}

// Close releases the database once the lookups in flight return; later
// lookups answer from the cache or find nothing. Safe to call more than
// once and concurrently with lookups and Check.
func (g *GeoIP) Close() error {
	st := &g.reload
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.closed {
		st.closed = true
		g.cur.Load().unref()
	}
	return nil
}

// GeoIP cache bounds. clientIp comes from the request and may be any
// text: an address longer than maxCachedAddr (the longest IPv6 text is 45
// bytes; a zone can make it arbitrarily long) is resolved every time
// (parsing fails or succeeds in linear time), and a rendered object over
// maxCachedGeo is not kept. With the GeoLite2 City database, rendered
// objects for 100 000 random public IPv4 addresses were 258 bytes on
// average (370 at most) and an entry (key, object, LRU list and map)
// cost 544 bytes of heap: the default cache_size of 100 000 entries holds
// ~52 MiB once full; the worst case is ~1.35 KiB an entry (~130 MiB for
// 100 000). The cache belongs to its snapshot and goes with it on reload.
const (
	maxCachedAddr = 64
	maxCachedGeo  = 1 << 10
)

// lookup returns the rendered geoip object for ip, or nil.
func (g *GeoIP) lookup(ip []byte) []byte {
	db := g.cur.Load()
	cacheable := len(ip) <= maxCachedAddr
	e, ok := geoEntry{}, false
	if cacheable {
		e, ok = db.cache.Get(lookupKey(ip))
	}
	if !ok {
		e, db = g.resolve(db, ip)
		if db != nil && cacheable && len(e.frag) <= maxCachedGeo {
			db.cache.Add(string(ip), e)
		}
	}
	switch e.result {
	case geoFound:
		g.Stats.Found.Add(1)
	case geoPrivate:
		g.Stats.Private.Add(1)
	case geoNotFound:
		g.Stats.NotFound.Add(1)
	default:
		g.Stats.Invalid.Add(1)
	}
	return e.frag
}

// resolve looks ip up in db, or in the snapshot that replaced it if db was
// released meanwhile, holding a reference for the lookup's duration. It
// returns the snapshot used, nil after Close (geoNotFound, not cached).
func (g *GeoIP) resolve(db *geoDB, ip []byte) (geoEntry, *geoDB) {
	for !db.tryRef() {
		next := g.cur.Load()
		if next == db {
			return geoEntry{result: geoNotFound}, nil
		}
		db = next
	}
	defer db.unref()
	return db.resolve(ip), db
}

func (g *geoDB) resolve(ip []byte) geoEntry {
	addr, err := netip.ParseAddr(string(ip))
	if err != nil {
		return geoEntry{result: geoInvalid}
	}
	addr = addr.Unmap()
	if isReserved(addr) {
		return geoEntry{result: geoPrivate}
	}
	rec, err := g.r.City(addr)
	if err != nil || !rec.HasData() {
		return geoEntry{result: geoNotFound}
	}
	return geoEntry{frag: renderGeo(ip, rec), result: geoFound}
}

// renderGeo writes the record in the layout of Logstash's geoip filter with
// ECS compatibility disabled; empty values are left out.
func renderGeo(ip []byte, c *geoip2.City) []byte {
	b := []byte{'{'}
	b = appendKey(b, "ip")
	b, _ = appendString(b, ip)
	str := func(name, v string) {
		if v != "" {
			b = append(b, ',')
			b = appendKey(b, name)
			b = appendStr(b, v)
		}
	}
	str("country_code2", c.Country.ISOCode)
	str("country_code3", c.Country.ISOCode) // Logstash writes the 2-letter code here too
	str("country_name", c.Country.Names.English)
	str("continent_code", c.Continent.Code)
	if len(c.Subdivisions) > 0 {
		str("region_code", c.Subdivisions[0].ISOCode)
		str("region_name", c.Subdivisions[0].Names.English)
	}
	str("city_name", c.City.Names.English)
	if c.Location.Latitude != nil && c.Location.Longitude != nil {
		lat := strconv.AppendFloat(nil, *c.Location.Latitude, 'f', -1, 64)
		lon := strconv.AppendFloat(nil, *c.Location.Longitude, 'f', -1, 64)
		b = append(b, `,"latitude":`...)
		b = append(b, lat...)
		b = append(b, `,"longitude":`...)
		b = append(b, lon...)
		b = append(b, `,"location":{"lat":`...)
		b = append(b, lat...)
		b = append(b, `,"lon":`...)
		b = append(b, lon...)
		b = append(b, '}')
	}
	str("timezone", c.Location.TimeZone)
	str("postal_code", c.Postal.Code)
	if c.Location.MetroCode != 0 {
		b = append(b, `,"dma_code":`...)
		b = strconv.AppendUint(b, uint64(c.Location.MetroCode), 10)
	}
	return append(b, '}')
}

// reservedPrefixes are special-purpose ranges (RFC 6890 and friends) that
// netip's predicates do not cover.
var reservedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001:db8::/32"),
}

func isReserved(a netip.Addr) bool {
	if a.IsPrivate() || a.IsLoopback() || a.IsUnspecified() || a.IsLinkLocalUnicast() ||
		a.IsMulticast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() {
		return true
	}
	for _, p := range reservedPrefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
