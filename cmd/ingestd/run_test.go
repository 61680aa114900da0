package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExampleConfigIsValid(t *testing.T) {
	c, err := loadConfig("../../deploy/ingestd.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	def := defaultDaemonConfig()
	if c.Input.Pattern != def.Input.Pattern || c.Output.Index != def.Output.Index || c.ShutdownTimeout != def.ShutdownTimeout {
		t.Errorf("example differs from the defaults it documents: %+v", c)
	}
}

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("input:\n  dir: "+dir+"\nregistry:\n  path: "+dir+"/reg.json\noutput:\n  urls: [http://127.0.0.1:9]\n"), 0o600)
	out, _, err := runCmd(t, "check-config", good)
	if err != nil || !strings.Contains(out, "OK") {
		t.Fatalf("good config: %v %s", err, out)
	}

	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("input:\n  dir: /no/such/dir\n  start_at: middle\noutput:\n  op_type: upsert\n  index: Bad Index\nenrich:\n  lang: fr\n"), 0o600)
	_, stderr, err := runCmd(t, "check-config", bad)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 1 {
		t.Fatalf("bad config: err = %v", err)
	}
	for _, want := range []string{"input.dir", "input.start_at", "output.urls", "output.op_type", "output.index", "unknown language"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("check-config does not report %s:\n%s", want, stderr)
		}
	}
	if n := strings.Count(stderr, "bad.yaml:"); n != 6 {
		t.Errorf("want one line per problem (6), got %d:\n%s", n, stderr)
	}

	unknown := filepath.Join(dir, "unknown.yaml")
	os.WriteFile(unknown, []byte("input:\n  directory: /x\n"), 0o600)
	if _, stderr, err := runCmd(t, "check-config", unknown); err == nil || !strings.Contains(stderr, "directory") {
		t.Errorf("unknown key accepted: %v %s", err, stderr)
	}
}

// TestRunFlagsOverrideConfig: flags given on the command line win over the
// file; the rest comes from the file.
func TestRunFlagsOverrideConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("input:\n  dir: /no/such/dir\n  pattern: \"x.*.log\"\noutput:\n  urls: [http://a:1]\n"), 0o600)
	cmd := newRootCmd(context.Background())
	cmd.SetArgs([]string{"run", "--config", cfg, "--dir", "/also/missing", "--es", "http://b:2"})
	var errb strings.Builder
	cmd.SetErr(&errb)
	err := cmd.Execute()
	if err == nil || !strings.Contains(err.Error(), "/also/missing") || strings.Contains(err.Error(), "/no/such/dir") {
		t.Fatalf("err = %v: the --dir flag should override input.dir", err)
	}
}
