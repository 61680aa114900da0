package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckConfigGeoIPCheckInterval(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ingestd.yaml")
	body := "input:\n  dir: " + dir + "\nregistry:\n  path: " + filepath.Join(dir, "r.json") +
		"\noutput:\n  urls: [http://127.0.0.1:1]\nenrich:\n  no_geoip: true\n  geoip_check_interval: -1s\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := runCmd(t, "check-config", cfg)
	if err == nil || !strings.Contains(stderr, "enrich.geoip_check_interval (line 9): -1s: must not be negative") {
		t.Fatalf("err %v, stderr %q", err, stderr)
	}
}
