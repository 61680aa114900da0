package enrich

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// buildDB returns a database of dbType that places network in city.
func buildDB(t *testing.T, dbType, network, city string, epoch uint) []byte {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: dbType, RecordSize: 28, IPVersion: 6, BuildEpoch: int64(epoch),
		Description: map[string]string{"en": "reload test"}, Languages: []string{"en"}})
	if err != nil {
		t.Fatal(err)
	}
	_, n, err := net.ParseCIDR(network)
	if err != nil {
		t.Fatal(err)
	}
	rec := mmdbtype.Map{
		"country": mmdbtype.Map{"iso_code": mmdbtype.String("AU"), "names": mmdbtype.Map{"en": mmdbtype.String("Australia")}},
		"city":    mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(city)}},
	}
	if err := tree.Insert(n, rec); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := tree.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// settle runs Check until it stops saying Settling (at most a few times).
func settle(t *testing.T, g *GeoIP) (CheckResult, error) {
	t.Helper()
	for range 5 {
		res, err := g.Check()
		if res != Settling {
			return res, err
		}
	}
	t.Fatal("still settling after 5 checks")
	return 0, nil
}

func copyTestDB(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(testDB)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "GeoLite2-City.mmdb")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// replaceByRename does what geoipupdate does: write a temporary file, then
// rename it over the path.
func replaceByRename(t *testing.T, path string, b []byte) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestGeoIPReload(t *testing.T) {
	const gapIP = "1.1.1.1" // not in the test database
	sydney := buildDB(t, "GeoLite2-City", "1.1.1.0/24", "Sydney", 1700000000)
	country := buildDB(t, "GeoLite2-Country", "1.1.1.0/24", "Nowhere", 1700000001)
	corrupt := bytes.Clone(sydney)
	for i := 0; i < 64 && i < len(corrupt)/2; i++ { // damage the search tree
		corrupt[i] ^= 0xff
	}

	path := copyTestDB(t)
	g, err := OpenGeoIP(path, 16)
	if err != nil {
		t.Fatal(err)
	}
	if g.lookup([]byte(gapIP)) != nil {
		t.Fatal("the test database should not know " + gapIP)
	}
	if res, err := g.Check(); res != Unchanged || err != nil {
		t.Fatalf("unchanged file: %v %v", res, err)
	}

	replaceByRename(t, path, sydney)
	if res, _ := g.Check(); res != Settling {
		t.Fatalf("first sight of a replacement: %v, want Settling", res)
	}
	if res, err := g.Check(); res != Reloaded || err != nil {
		t.Fatalf("rename: %v %v", res, err)
	}
	if frag := g.lookup([]byte(gapIP)); !strings.Contains(string(frag), `"city_name":"Sydney"`) {
		t.Fatalf("after reload: %s", frag)
	}
	if got := g.Info().Built; !got.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("build time %v", got)
	}

	for _, bad := range []struct {
		name string
		b    []byte
		want string
	}{
		{"country database", country, "not a City database"},
		{"corrupt", corrupt, "geoip database"},
		{"truncated", sydney[:len(sydney)/3], "geoip database"},
		{"empty", nil, "geoip database"},
	} {
		replaceByRename(t, path, bad.b)
		res, err := settle(t, g)
		if res != Refused || err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Fatalf("%s: %v %v", bad.name, res, err)
		}
		if res, _ := g.Check(); res != Unchanged {
			t.Errorf("%s: a refused file is tried again: %v", bad.name, res)
		}
		if frag := g.lookup([]byte(gapIP)); !strings.Contains(string(frag), `"city_name":"Sydney"`) {
			t.Fatalf("%s: old database not kept: %s", bad.name, frag)
		}
	}

	// An in-place rewrite (same inode) back to the test database.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := os.ReadFile(testDB)
	if _, err := f.Write(orig); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if res, err := settle(t, g); res != Reloaded || err != nil {
		t.Fatalf("in-place rewrite: %v %v", res, err)
	}
	if g.lookup([]byte(gapIP)) != nil {
		t.Fatal("in-place rewrite not taken")
	}
	jsonEqual(t, g.lookup([]byte("111.202.167.58")), sampleGeo)

	// A removed file is not a change.
	os.Remove(path)
	if res, err := g.Check(); res != Unchanged || err != nil {
		t.Fatalf("removed: %v %v", res, err)
	}
	if ok, failed := g.Reloads(); ok != 2 || failed != 4 {
		t.Errorf("reloads %d ok, %d failed; want 2, 4", ok, failed)
	}
}

// TestGeoIPReloadConcurrent: lookups during swaps see the old or the new
// database, whole (run with -race).
func TestGeoIPReloadConcurrent(t *testing.T) {
	path := copyTestDB(t)
	g, err := OpenGeoIP(path, 4)
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := os.ReadFile(testDB)
	sydney := buildDB(t, "GeoLite2-City", "1.1.1.0/24", "Sydney", 1700000000)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if frag := g.lookup([]byte("1.1.1.1")); frag != nil && !strings.Contains(string(frag), "Sydney") {
					t.Errorf("half a database: %s", frag)
					return
				}
				g.lookup([]byte("111.202.167.58"))
			}
		}()
	}
	for i := range 20 {
		b := orig
		if i%2 == 0 {
			b = sydney
		}
		replaceByRename(t, path, b)
		if res, err := settle(t, g); res != Reloaded {
			t.Fatalf("swap %d: %v %v", i, res, err)
		}
	}
	close(stop)
	wg.Wait()
}

func TestTablesSwap(t *testing.T) {
	e := New(Config{Host: "h"})
	old := e.tables.Load()
	dir := &Directory{UserPools: map[string]string{"p": "Pool"}, DefaultPhotoURL: "https://x/y.png"}
	e.SetTables(nil, dir)
	tb := e.tables.Load()
	if tb == old || tb.dir != dir || string(tb.photoJS) != `"https://x/y.png"` || tb.dict == nil {
		t.Fatalf("tables not swapped whole: %+v", tb)
	}
}
