package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunIgnoreOlder: with input.ignore_older, a file older than it (by
// its name's date here) is not read and is counted in /metrics; today's
// file is read.
func TestRunIgnoreOlder(t *testing.T) {
	addr := freeAddr(t)
	d := newDaemon(t, "", fakeES(t, 201).URL, "", "metrics:\n  listen: "+addr+"\n")
	b, err := os.ReadFile(td + "cases.log")
	if err != nil {
		t.Fatal(err)
	}
	logs := filepath.Dir(d.file)
	today := filepath.Join(logs, "audit."+time.Now().UTC().Format("2006-01-02")+".log")
	for _, p := range []string{d.file, today} { // d.file is audit.2021-09-22.log
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := os.ReadFile(d.cfg)
	if err != nil {
		t.Fatal(err)
	}
	withIgnore := strings.Replace(string(cfg), "input:\n", "input:\n  ignore_older: 72h\n", 1)
	if err := os.WriteFile(d.cfg, []byte(withIgnore), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := d.start(ctx)
	want := []string{
		"ingestd_files_ignored_older_total 1\n",
		"ingestd_engine_indexed_total 10\n", // the 10 documents of today's copy of cases.log only
	}
	_, body := scrape("http://"+addr+"/metrics", want...)
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("/metrics lacks %q", w)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if _, body := scrape("http://" + addr + "/metrics"); !strings.Contains(body, "ingestd_engine_indexed_total 10\n") {
		t.Errorf("more documents indexed than today's file holds")
	}
	cancel()
	wantExit(t, <-done, 0)

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("input:\n  dir: "+logs+"\n  ignore_older: 2s\n  rotate_grace: 5s\nregistry:\n  path: "+d.registry+
		"\noutput:\n  urls: [http://127.0.0.1:9]\n"), 0o600)
	if _, stderr, err := runCmd(t, "check-config", bad); err == nil || !strings.Contains(stderr, "input.ignore_older") {
		t.Errorf("ignore_older shorter than rotate_grace accepted: %v %s", err, stderr)
	}
}
