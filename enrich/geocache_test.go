package enrich

import (
	"fmt"
	"strings"
	"testing"
)

// TestGeoIPCacheHostileAddresses: clientIp is request data. Long texts
// (invalid, or a valid address with a long zone) are answered but never
// cached, so they cannot fill the cache with large keys.
func TestGeoIPCacheHostileAddresses(t *testing.T) {
	g, err := OpenGeoIP(testDB, 1000)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	long := strings.Repeat("9", 10<<10)
	for i := range 200 {
		if frag := g.lookup(fmt.Appendf(nil, "%d.%s", i, long)); frag != nil {
			t.Fatalf("invalid address rendered: %.80s", frag)
		}
	}
	zoned := "::ffff:111.202.167.58%" + strings.Repeat("z", 4<<10)
	frag := g.lookup([]byte(zoned))
	if !strings.Contains(string(frag), `"city_name":"Beijing"`) {
		t.Fatalf("address with a long zone: %.200s", frag)
	}
	if n := g.cur.Load().cache.Len(); n != 0 {
		t.Fatalf("%d long addresses cached", n)
	}
	if got := g.Stats.Invalid.Load(); got != 200 {
		t.Errorf("invalid counted %d, want 200", got)
	}
	// A short address is still cached.
	jsonEqual(t, g.lookup([]byte("111.202.167.58")), sampleGeo)
	if n := g.cur.Load().cache.Len(); n != 1 {
		t.Errorf("cache holds %d entries after one ordinary address, want 1", n)
	}
}

// TestCacheKeyBounds: an address text of exactly maxCachedAddr bytes and an
// agent of exactly maxCachedAgent bytes are cached, one byte more is not
// (the bounds the README's memory figures rest on).
func TestCacheKeyBounds(t *testing.T) {
	g, err := OpenGeoIP(testDB, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for _, c := range []struct {
		n    int
		want int
	}{{maxCachedAddr, 1}, {maxCachedAddr + 1, 1}} {
		g.lookup([]byte(strings.Repeat("9", c.n))) // invalid, cached as such
		if got := g.cur.Load().cache.Len(); got != c.want {
			t.Errorf("address of %d bytes: %d cached, want %d", c.n, got, c.want)
		}
	}
	u, err := NewUserAgents(10)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		n    int
		want int
	}{{maxCachedAgent, 1}, {maxCachedAgent + 1, 1}} {
		agent := "Mozilla/5.0 " + strings.Repeat("x", c.n-len("Mozilla/5.0 "))
		u.lookup([]byte(agent))
		if got := u.cache.Len(); got != c.want {
			t.Errorf("agent of %d bytes: %d cached, want %d", c.n, got, c.want)
		}
	}
}
