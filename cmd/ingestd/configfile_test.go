package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ingestd/ingestd/internal/exitcode"
)

// TestConfigProblemsInUsersWords: check-config and run report every
// problem of a file in one run, in the user's words, with the line of its
// key where the file sets it.
func TestConfigProblemsInUsersWords(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name string
		yaml string
		want []string // every line of the report, in order
	}{
		{"misspelt key, empty urls, negative flush_docs",
			"input:\n  dir: " + dir + "\n  pattrn: \"audit.*.log\"\nregistry:\n  path: " + dir + "/reg.json\noutput:\n  urls: []\n  flush_docs: -1\n",
			[]string{
				`input.pattrn (line 3): unknown key; did you mean "pattern"?`,
				`output.urls (line 7): at least one engine URL is required`,
				`output.flush_docs (line 8): -1: must be positive`,
			}},
		{"mistyped values are reported with the checks",
			"input:\n  dir: " + dir + "\n  poll_interval: often\nregistry:\n  path: " + dir + "/reg.json\noutput:\n  urls: [http://127.0.0.1:9]\n  max_in_flight: two\n  op_type: upsert\nworkerz: 2\n",
			[]string{
				`input.poll_interval (line 3): "often" is not a duration such as 1s, 5m or 720h`,
				`output.max_in_flight (line 8): "two" is not a whole number`,
				`workerz (line 10): unknown key; did you mean "workers"?`,
				`output.op_type (line 9): "upsert": want index or create`,
			}},
		{"a key the file does not set has no line",
			"input:\n  dir: " + dir + "\nregistry:\n  path: " + dir + "/reg.json\n",
			[]string{`output.urls: at least one engine URL is required`}},
		{"a section given a value",
			"input: " + dir + "\nregistry:\n  path: " + dir + "/reg.json\noutput:\n  urls: [http://127.0.0.1:9]\n",
			[]string{`input (line 1): "` + dir + `" is not a section of keys`, `input.dir: /var/log/authing-server is not a readable directory`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			var want strings.Builder
			for _, w := range tt.want {
				want.WriteString(path + ": " + w + "\n")
			}
			_, stderr, err := runCmd(t, "check-config", path)
			var ee *exitcode.Error
			if !errors.As(err, &ee) || ee.Code != 1 {
				t.Errorf("check-config: err = %v, want exit 1", err)
			}
			if stderr != want.String() {
				t.Errorf("check-config reported\n%s\nwant\n%s", stderr, want.String())
			}
			_, _, err = runCmd(t, "run", "--config", path)
			if !errors.As(err, &ee) || ee.Code != 2 {
				t.Fatalf("run: err = %v, want exit 2", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), "\n  "+w) {
					t.Errorf("run does not report %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestRunReportsEnrichFilesWithLines: a setting whose file or value only
// fails when the daemon opens it is reported like the others, with its line.
func TestRunReportsEnrichFilesWithLines(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	os.WriteFile(path, []byte("input:\n  dir: "+dir+"\nregistry:\n  path: "+dir+"/reg.json\noutput:\n  urls: [http://127.0.0.1:9]\n"+
		"enrich:\n  no_geoip: true\n  directory: "+dir+"/missing.yaml\n"), 0o600)
	_, _, err := runCmd(t, "run", "--config", path)
	var ee *exitcode.Error
	if !errors.As(err, &ee) || ee.Code != 2 || !strings.Contains(err.Error(), "enrich.directory (line 9): ") {
		t.Errorf("err = %v, want exit 2 naming enrich.directory (line 9)", err)
	}
}
