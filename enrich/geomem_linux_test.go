//go:build linux

package enrich

import (
	"bytes"
	"os"
	"testing"
)

// TestGeoIPCopyInMemfd: on Linux the database copy is a memfd mapping
// (RssShmem, apart from the heap; README "Memory"), read-only once filled.
func TestGeoIPCopyInMemfd(t *testing.T) {
	g, err := OpenGeoIP(copyTestDB(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, l := range bytes.Split(maps, []byte("\n")) {
		if bytes.Contains(l, []byte("/memfd:ingestd-geoip")) {
			found = true
			if f := bytes.Fields(l); len(f) < 2 || string(f[1][:2]) != "r-" {
				t.Errorf("copy not read-only: %s", l)
			}
		}
	}
	if !found {
		t.Fatalf("no memfd:ingestd-geoip mapping in /proc/self/maps")
	}
}
