package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/ingestd/ingestd/enrich"
	"github.com/ingestd/ingestd/internal/exitcode"
	"github.com/ingestd/ingestd/parser"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

const td = "../../testdata/"

// runCmd runs ingestd with args and returns stdout, stderr and the error.
func runCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	cmd := newRootCmd(context.Background())
	var out, errb bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), errb.String(), err
}

func replayArgs(dlq string, files ...string) []string {
	return append([]string{"replay", "--host", "logstash-ds-q4xg9",
		"--geoip-db", td + "GeoLite2-City-Test.mmdb", "--directory", td + "directory.yaml",
		"--path-dir", "/var/log/authing-server", "--dlq", dlq, "--workers", "2"}, files...)
}

// sampleDocument returns the reference sample's document with the fields
// the sample redacted replaced by the values of its own message (a), and
// @timestamp as the event time (b).
func sampleDocument(t *testing.T) map[string]any {
	t.Helper()
	var sample struct {
		Data struct {
			List []map[string]any `json:"list"`
		} `json:"data"`
	}
	b, err := os.ReadFile(td + "sample-response.zh-CN.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sample); err != nil {
		t.Fatal(err)
	}
	want := sample.Data.List[0]
	// (a) redacted in the sample: use the values of its own message.
	var ev parser.Event
	if err := parser.Parse([]byte(want["message"].(string)), &ev); err != nil {
		t.Fatal(err)
	}
	for _, k := range []parser.Key{parser.UserID, parser.LogID, parser.RequestID, parser.UserPoolID, parser.UserName} {
		v, _ := ev.Get(k)
		want[k.String()] = string(v)
	}
	// (b) @timestamp is the event time, not Logstash's ingest time.
	want["@timestamp"] = "2021-09-22T07:47:21.559Z"
	return want
}

// compareWithSample checks the replay output (one document) against want
// field by field; the only extra field allowed is codes (the raw codes).
func compareWithSample(t *testing.T, out string, want map[string]any) {
	t.Helper()
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not one JSON document: %v\n%s", err, out)
	}
	for k, w := range want {
		if !reflect.DeepEqual(got[k], w) {
			t.Errorf("%s = %#v, want %#v", k, got[k], w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok && k != "codes" {
			t.Errorf("unexpected field %q = %v", k, got[k])
		}
	}
	wantCodes := map[string]any{"eventType": "createUser", "operationType": "create", "resourceType": "DATA",
		"resourceName": "user", "roleName": "admin", "eventResultCode": "success", "operationMode": "sdk"}
	if !reflect.DeepEqual(got["codes"], wantCodes) {
		t.Errorf("codes = %v, want %v", got["codes"], wantCodes)
	}
}

// TestSeedLineMatchesSample is the golden test: the seed line's
// document equals the reference sample field by field, except the fields
// the sample redacted (taken from its own message), @timestamp (event time,
// a documented deviation) and host (given with --host). The log host's
// context comes from flags, as in the README's run command: the GeoIP
// database, the directory file (userPoolName is not on the line) and the
// directory the file had on the log host (path).
func TestSeedLineMatchesSample(t *testing.T) {
	out, stderr, err := runCmd(t, replayArgs(filepath.Join(t.TempDir(), "dlq"), td+"audit.2021-09-22.log")...)
	if err != nil {
		t.Fatalf("replay: %v\n%s", err, stderr)
	}
	compareWithSample(t, out, sampleDocument(t))
}

// TestSeedLineBareCommand runs the bare command of the acceptance
// (`replay --host logstash-ds-q4xg9 FILE`). Without the log host's context
// three fields necessarily differ from the sample, and only these: path is
// the file's own absolute path, userPoolName is absent (it comes from a
// directory file), and geoip is present only when a database is found in
// the default places (the cache scripts/fetch-geolite.sh fills is one).
func TestSeedLineBareCommand(t *testing.T) {
	out, stderr, err := runCmd(t, "replay", "--host", "logstash-ds-q4xg9", "--dlq", filepath.Join(t.TempDir(), "dlq"), td+"audit.2021-09-22.log")
	if err != nil {
		t.Fatalf("replay: %v\n%s", err, stderr)
	}
	want := sampleDocument(t)
	abs, _ := filepath.Abs(td + "audit.2021-09-22.log")
	want["path"] = abs
	delete(want, "userPoolName")
	if db := enrich.FindGeoIPDatabase(); db == "" {
		delete(want, "geoip")
		t.Logf("no GeoIP database in %v: compared without geoip", enrich.DefaultGeoIPPaths)
	} else {
		t.Logf("GeoIP database found: %s", db)
	}
	compareWithSample(t, out, want)
}

var timeField = regexp.MustCompile(`"time":"[^"]*",`)

// TestGoldenCases replays testdata/cases.log, which covers every parser and
// enricher case, and compares documents and dead letters with the golden
// files (go test ./cmd/ingestd -update rewrites them).
func TestGoldenCases(t *testing.T) {
	dlq := filepath.Join(t.TempDir(), "dlq.ndjson")
	out, stderr, err := runCmd(t, replayArgs(dlq, td+"cases.log")...)
	var ee *exitcode.Error
	if !errors.As(err, &ee) || ee.Code != 1 || !strings.Contains(err.Error(), "3 line(s) dead-lettered") {
		t.Fatalf("replay: err = %v, want exit status 1 for the dead letters\n%s", err, stderr)
	}
	letters, err := os.ReadFile(dlq)
	if err != nil {
		t.Fatal(err)
	}
	letters = timeField.ReplaceAll(letters, nil)
	letters = bytes.ReplaceAll(letters, []byte(`"source":"`+td), []byte(`"source":"testdata/`))
	golden(t, "cases.ndjson", []byte(out))
	golden(t, "cases.deadletters.ndjson", letters)

	for i, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if !json.Valid([]byte(l)) {
			t.Errorf("document %d is not valid JSON: %s", i+1, l)
		}
	}
	if want := "14 lines, 10 documents, 3 dead-lettered, 1 blank"; !strings.Contains(stderr, want) {
		t.Errorf("summary %q does not say %q", stderr, want)
	}
	if want := "2 document(s) with a repeated or out-of-order key (tagged _ambiguous_keys), 1 of them with an ambiguous userPoolId"; !strings.Contains(stderr, want) {
		t.Errorf("summary %q does not say %q", stderr, want)
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(td, "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/ingestd -update)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs at line %d:\n got: %s\nwant: %s", path, i+1, g, w)
			}
		}
	}
}

// TestUnreadableInput: a missing file gives exit status 1, and the other
// inputs are still replayed.
func TestUnreadableInput(t *testing.T) {
	out, stderr, err := runCmd(t, replayArgs(filepath.Join(t.TempDir(), "dlq"), td+"no-such-file.log", td+"audit.2021-09-22.log")...)
	var ee *exitcode.Error
	if !errors.As(err, &ee) || ee.Code != 1 {
		t.Fatalf("err = %v, want exit status 1", err)
	}
	if strings.Count(out, "\n") != 1 {
		t.Errorf("want the readable file's 1 document, got %q", out)
	}
	if !strings.Contains(stderr, "1 failed") {
		t.Errorf("summary does not report the failed input: %s", stderr)
	}
}

// TestGzipInput: an archive is detected by its magic bytes, not its name,
// and a truncated archive yields its readable lines plus an error.
func TestGzipInput(t *testing.T) {
	plain, err := os.ReadFile(td + "cases.log")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	gz := filepath.Join(dir, "audit.2021-09-22.log") // no .gz suffix on purpose
	writeGzip(t, gz, plain)
	out, _, err := runCmd(t, append(replayArgs(filepath.Join(dir, "dlq"), gz), "--allow-dead-letters")...)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out, "\n"); n != 10 {
		t.Fatalf("gzip input gave %d documents, want 10", n)
	}

	full, _ := os.ReadFile(gz)
	cut := filepath.Join(dir, "cut.log.gz")
	if err := os.WriteFile(cut, full[:len(full)-12], 0o644); err != nil { // drop the trailer
		t.Fatal(err)
	}
	out, stderr, err := runCmd(t, replayArgs(filepath.Join(dir, "dlq"), cut)...)
	var ee *exitcode.Error
	if !errors.As(err, &ee) || ee.Code != 1 {
		t.Fatalf("truncated archive: err = %v, want exit status 1\n%s", err, stderr)
	}
	if n := strings.Count(out, "\n"); n == 0 {
		t.Fatalf("truncated archive gave no documents; want those before the damage")
	}
}

// TestLangNone keeps raw codes and eventDetails.
func TestLangNone(t *testing.T) {
	out, stderr, err := runCmd(t, append(replayArgs(filepath.Join(t.TempDir(), "dlq"), td+"audit.2021-09-22.log"), "--lang", "none")...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"eventType": "createUser", "resourceType": "DATA", "eventResultCode": "success", "eventDetails": "null", "roleName": "admin"} {
		if doc[k] != want {
			t.Errorf("%s = %v, want %s", k, doc[k], want)
		}
	}
}

// TestReplayDirsGlobsDatesJobs: directories and globs expand to files,
// --from/--to select by the date in the name, -j replays files in
// parallel, and every line arrives once.
func TestReplayDirsGlobsDatesJobs(t *testing.T) {
	dir := t.TempDir()
	seed, err := os.ReadFile(td + "audit.2021-09-22.log")
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(seed))
	for _, day := range []string{"2021-09-20", "2021-09-21", "2021-09-22", "2021-09-23"} {
		var b strings.Builder
		for i := range 50 {
			b.WriteString(strings.Replace(line, "logId=c72c118e", fmt.Sprintf("logId=%s-%03d", day, i), 1) + "\n")
		}
		name := filepath.Join(dir, "audit."+day+".log")
		if day == "2021-09-21" {
			writeGzip(t, name+".gz", []byte(b.String()))
			continue
		}
		os.WriteFile(name, []byte(b.String()), 0o644)
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not an audit file\n"), 0o644)
	dlq := filepath.Join(dir, "dlq")
	tests := []struct {
		args []string
		want int
	}{
		{[]string{dir}, 200},
		{[]string{dir, "-j", "3"}, 200},
		{[]string{filepath.Join(dir, "audit.*.log")}, 150},
		{[]string{dir, "--from", "2021-09-21", "--to", "2021-09-22"}, 100},
		{[]string{dir, "--from", "2021-09-23", "-j", "2"}, 50},
	}
	for _, tt := range tests {
		out, stderr, err := runCmd(t, append(replayArgs(dlq), tt.args...)...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", tt.args, err, stderr)
		}
		ids := map[string]bool{}
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var d struct {
				LogID string `json:"logId"`
			}
			json.Unmarshal([]byte(l), &d)
			ids[d.LogID] = true
		}
		if len(ids) != tt.want || strings.Count(out, "\n") != tt.want {
			t.Errorf("%v: %d documents (%d distinct), want %d", tt.args, strings.Count(out, "\n"), len(ids), tt.want)
		}
	}
	if _, _, err := runCmd(t, append(replayArgs(dlq), dir, "--from", "22-09-2021")...); err == nil {
		t.Error("bad --from accepted")
	}
}

// TestReplayInterrupted: a replay stopped by a signal exits 130, never 0.
func TestReplayInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cmd := newRootCmd(context.Background())
	var out, errb bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetArgs(replayArgs(filepath.Join(t.TempDir(), "dlq"), td+"cases.log"))
	err := cmd.ExecuteContext(ctx)
	var ee *exitcode.Error
	if !errors.As(err, &ee) || ee.Code != 130 || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("err = %v, want exit status 130 (interrupted)", err)
	}
}

// TestReplayDirectoryFollowsSymlinks: a directory argument includes log
// files that are symbolic links (as some logrotate setups make them).
func TestReplayDirectoryFollowsSymlinks(t *testing.T) {
	dir := t.TempDir()
	abs, _ := filepath.Abs(td + "audit.2021-09-22.log")
	if err := os.Symlink(abs, filepath.Join(dir, "audit.2021-09-22.log")); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := runCmd(t, "replay", "--host", "h", "--dlq", filepath.Join(t.TempDir(), "dlq"), dir)
	if err != nil || strings.Count(out, "\n") != 1 {
		t.Fatalf("replay of a directory with a symlinked file: %v, %d documents\n%s", err, strings.Count(out, "\n"), stderr)
	}
}
