package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// verifyResult is the part of `verify --json` the test reads.
type verifyResult struct {
	Lines        int64  `json:"lines"`
	Expected     int64  `json:"expected"`
	Present      int64  `json:"present"`
	Missing      int64  `json:"missing"`
	Altered      int64  `json:"altered"`
	Extra        *int64 `json:"extra"`
	DeadLettered int64  `json:"dead_lettered"`
	Repaired     *int64 `json:"repaired"`
	RepairFailed *int64 `json:"repair_failed"`
	Complete     bool   `json:"complete"`
}

type finding struct {
	Status string `json:"status"`
	File   string `json:"file"`
	Line   int64  `json:"line"`
	Offset *int64 `json:"offset"`
	ID     string `json:"_id"`
	Index  string `json:"index"`
	Diff   []struct {
		Field string `json:"field"`
	} `json:"diff"`
}

// archiveLine is a line of the test archive with what verify must say.
type archiveLine struct {
	number int64
	offset int64
	id     string
	index  string
}

var (
	logIDRe = regexp.MustCompile(`logId=(\S+)`)
	tsRe    = regexp.MustCompile(`^\[(\d{4})-(\d{2})-(\d{2})T`)
)

// verifyArchive writes n generated lines with garbage lines (dead
// letters) at fixed places, gzipped if gz, and returns the file and its
// audit lines by line number.
func verifyArchive(t *testing.T, n int, gz bool, prefix string) (string, []archiveLine, int) {
	t.Helper()
	raw, err := os.ReadFile(generate(t, n, 7))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	var lines []archiveLine
	garbage := 0
	var number, offset int64
	add := func(l string) {
		number++
		if m := logIDRe.FindStringSubmatch(l); m != nil && strings.HasPrefix(l, "[") {
			d := tsRe.FindStringSubmatch(l)
			lines = append(lines, archiveLine{number: number, offset: offset, id: m[1], index: prefix + d[1] + "." + d[2] + "." + d[3]})
		}
		buf.WriteString(l + "\n")
		offset += int64(len(l)) + 1
	}
	for i, l := range strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n") {
		if i%1000 == 500 {
			add("this is not an audit line") // dead-lettered by replay
			garbage++
		}
		add(l)
	}
	name := filepath.Join(t.TempDir(), "audit.2021-09-22.log")
	data := buf.Bytes()
	if gz {
		name += ".gz"
		var z bytes.Buffer
		w := gzip.NewWriter(&z)
		w.Write(data)
		w.Close()
		data = z.Bytes()
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return name, lines, garbage
}

// runVerify runs `ingestd verify` and returns its JSON result, report and
// exit status.
func runVerify(t *testing.T, ctx context.Context, args ...string) (verifyResult, []finding, int) {
	t.Helper()
	report := filepath.Join(t.TempDir(), "report.ndjson")
	out, err := run(t, ctx, append([]string{"verify", "--json", "--report", report}, args...)...)
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	var res verifyResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("verify --json printed %q: %v", out, err)
	}
	f, err := os.Open(report)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var fs []finding
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var x finding
		if err := json.Unmarshal(sc.Bytes(), &x); err != nil {
			t.Fatalf("report line %q: %v", sc.Text(), err)
		}
		fs = append(fs, x)
	}
	return res, fs, code
}

func byStatus(fs []finding, status string) []finding {
	var out []finding
	for _, f := range fs {
		if f.Status == status {
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out
}

// TestVerifyTamperAndRepair is issue 13's acceptance test: 5 000 lines
// replayed; 3 documents deleted, the message of one and the userPoolId of
// another changed, a foreign document with the files' path and host
// injected. verify exits 1 and reports exactly those, with their line
// numbers; dead-lettered lines are not missing; --repair restores the
// documents and a second verify exits 0. For a plain and a gzip archive.
func TestVerifyTamperAndRepair(t *testing.T) {
	base := strings.TrimRight(need(t, "INGESTD_ENGINE_URL"), "/")
	for _, gz := range []bool{false, true} {
		t.Run(fmt.Sprintf("gz=%v", gz), func(t *testing.T) { verifyScenario(t, base, gz) })
	}
}

func verifyScenario(t *testing.T, base string, gz bool) {
	const n = 5000
	prefix := uniquePrefix("verify")
	file, lines, garbage := verifyArchive(t, n, gz, prefix)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	common := []string{"--es", base, "--index", prefix + "%{+yyyy.MM.dd}", "--host", "e2e", "--path-dir", "/var/log/authing-server",
		"--geoip-db", "../testdata/GeoLite2-City-Test.mmdb", "--dlq", filepath.Join(t.TempDir(), "dlq")}
	ingestd(t, ctx, append(append([]string{"replay", "--allow-dead-letters"}, common...), file)...)
	verifyCommon := append(slices.Clone(common), file)

	// An untouched index verifies.
	res, fs, code := runVerify(t, ctx, append([]string{"--extra"}, verifyCommon...)...)
	if code != 0 || res.Present != n || res.Expected != n || res.DeadLettered != int64(garbage) || len(fs) != 0 || !res.Complete {
		t.Fatalf("untouched index: exit %d, %+v, findings %v", code, res, fs)
	}

	// Tamper.
	deleted := []archiveLine{lines[10], lines[2500], lines[4999]}
	for _, l := range deleted {
		call(t, http.MethodDelete, base+"/"+l.index+"/_doc/"+l.id+"?refresh=true", nil, nil)
	}
	msg, pool := lines[100], lines[3001]
	call(t, http.MethodPost, base+"/"+msg.index+"/_update/"+msg.id+"?refresh=true", strings.NewReader(`{"doc":{"message":"nothing happened here"}}`), nil)
	call(t, http.MethodPost, base+"/"+pool.index+"/_update/"+pool.id+"?refresh=true", strings.NewReader(`{"doc":{"userPoolId":"000000000000000000000000"}}`), nil)
	foreign := `{"@timestamp":"2021-09-22T23:55:00.000Z","host":"e2e","path":"/var/log/authing-server/audit.2021-09-22.log","message":"[2021-09-22T23:55:00.000+0000] logId=forged","logId":"forged"}`
	call(t, http.MethodPut, base+"/"+lines[0].index+"/_doc/forged-1?refresh=true", strings.NewReader(foreign), nil)

	res, fs, code = runVerify(t, ctx, append([]string{"--extra"}, verifyCommon...)...)
	if code != 1 {
		t.Errorf("tampered index: exit %d, want 1", code)
	}
	if res.Missing != 3 || res.Altered != 2 || res.Extra == nil || *res.Extra != 1 || res.Present != n-5 || res.DeadLettered != int64(garbage) {
		t.Errorf("tampered index: %+v, want 3 missing, 2 altered, 1 extra, %d present, %d dead-lettered", res, n-5, garbage)
	}
	missing := byStatus(fs, "missing")
	if len(missing) != 3 {
		t.Fatalf("missing findings %+v", missing)
	}
	for i, l := range deleted {
		f := missing[i]
		if f.Line != l.number || f.Offset == nil || *f.Offset != l.offset || f.ID != l.id || f.Index != l.index || f.File != file {
			t.Errorf("missing finding %+v, want line %d offset %d id %s index %s", f, l.number, l.offset, l.id, l.index)
		}
	}
	altered := byStatus(fs, "altered")
	if len(altered) != 2 || altered[0].Line != msg.number || altered[1].Line != pool.number ||
		len(altered[0].Diff) != 1 || altered[0].Diff[0].Field != "message" ||
		len(altered[1].Diff) != 1 || altered[1].Diff[0].Field != "userPoolId" {
		t.Errorf("altered findings %+v, want line %d (message) and line %d (userPoolId)", altered, msg.number, pool.number)
	}
	if extra := byStatus(fs, "extra"); len(extra) != 1 || extra[0].ID != "forged-1" {
		t.Errorf("extra findings %+v, want forged-1", extra)
	}

	// Repair, then verify again.
	res, fs, code = runVerify(t, ctx, append([]string{"--repair"}, verifyCommon...)...)
	if code != 0 || res.Repaired == nil || *res.Repaired != 5 || *res.RepairFailed != 0 || len(byStatus(fs, "repaired")) != 5 {
		t.Errorf("repair: exit %d, %+v, findings %+v; want 5 repaired", code, res, fs)
	}
	res, fs, code = runVerify(t, ctx, verifyCommon...)
	if code != 0 || res.Present != n || res.Missing != 0 || res.Altered != 0 || len(fs) != 0 {
		t.Errorf("after repair: exit %d, %+v, findings %v", code, res, fs)
	}
	if got := count(t, base, prefix+"*"); got != n+1 {
		t.Errorf("engine holds %d documents, want %d (the lines' and the foreign one)", got, n+1)
	}
}

// TestVerifyUsage: usage errors exit 2, and an unreachable engine is an
// error (exit 1, "incomplete"), never a report of missing documents. It
// needs no engine.
func TestVerifyUsage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	file := generate(t, 10, 1)
	for _, args := range [][]string{
		{"verify", file}, // no --es
		{"verify", "--es", "http://127.0.0.1:1", "--from", "yesterday", file},
		{"verify", "--es", "http://127.0.0.1:1", "--data-stream", "logs-audit", file},
		{"verify", "--es", "http://127.0.0.1:1"},
	} {
		_, err := run(t, ctx, args...)
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 {
			t.Errorf("ingestd %v: %v, want exit 2", args, err)
		}
	}

	// Engine down: exit 1, incomplete, nothing reported missing.
	res, fs, code := runVerify(t, ctx, "--es", "http://127.0.0.1:1", "--engine", "opensearch", "--check-attempts", "2", file)
	if code != 1 || res.Complete || res.Missing != 0 || res.Present != 0 || len(fs) != 0 {
		t.Errorf("engine down: exit %d, %+v, findings %v; want exit 1, incomplete, nothing missing", code, res, fs)
	}
}
