package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ingestd/ingestd/internal/auditgen"
)

var bin string // the ingestd binary under test

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ingestd-e2e")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "ingestd")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/ingestd").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build ingestd: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// need returns the environment variable or skips (fails under CI).
func need(t *testing.T, env string) string {
	t.Helper()
	v := os.Getenv(env)
	if v == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI: %s is not set; .ci/run must start the engine (scripts/engine.sh)", env)
		}
		t.Skipf("%s not set; start an engine with scripts/engine.sh start", env)
	}
	return v
}

// generate writes n audit lines spanning two days and returns the path.
func generate(t *testing.T, n int, seed uint64) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.log")
	g := auditgen.New(seed, time.Date(2021, 9, 22, 23, 50, 0, 0, time.UTC))
	var buf []byte
	for range n {
		buf = g.Append(buf)
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// run runs the binary and returns stdout; stderr is logged.
func run(t *testing.T, ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	t.Logf("ingestd %s\n%s", strings.Join(args, " "), lastLines(stderr.String(), 6))
	return stdout.Bytes(), err
}

// ingestd is run for the test goroutine: it fails the test on error.
func ingestd(t *testing.T, ctx context.Context, args ...string) []byte {
	t.Helper()
	out, err := run(t, ctx, args...)
	if err != nil {
		t.Fatalf("ingestd: %v", err)
	}
	return out
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(l[max(0, len(l)-n):], "\n")
}

func call(t *testing.T, method, url string, body io.Reader, out any) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %d %s", method, url, res.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v", method, url, err)
		}
	}
}

func count(t *testing.T, base, index string) int {
	t.Helper()
	call(t, http.MethodPost, base+"/"+index+"/_refresh", nil, nil)
	var c struct {
		Count int `json:"count"`
	}
	call(t, http.MethodGet, base+"/"+index+"/_count", nil, &c)
	return c.Count
}

// uniquePrefix keeps runs apart on a shared engine.
func uniquePrefix(name string) string {
	return fmt.Sprintf("e2e-%s-%d-", strings.ToLower(name), time.Now().UnixNano()%1e9)
}

// TestEngineReplay: 100k lines become exactly 100k documents; a second
// replay leaves 100k; a stored document equals the NDJSON output for its
// line; the index template made geoip.location a geo_point.
func TestEngineReplay(t *testing.T) {
	base := strings.TrimRight(need(t, "INGESTD_ENGINE_URL"), "/")
	const n = 100_000
	file := generate(t, n, 42)
	prefix := uniquePrefix("replay")
	index := prefix + "%{+yyyy.MM.dd}"
	common := []string{"replay", "--host", "e2e", "--geoip-db", "../testdata/GeoLite2-City-Test.mmdb", "--dlq", filepath.Join(t.TempDir(), "dlq")}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	ingestd(t, ctx, append(common, "--es", base, "--index", index, file)...)
	if got := count(t, base, prefix+"*"); got != n {
		t.Fatalf("after one replay the engine holds %d documents, want %d", got, n)
	}
	ingestd(t, ctx, append(common, "--es", base, "--index", index, file)...)
	if got := count(t, base, prefix+"*"); got != n {
		t.Fatalf("after a second replay the engine holds %d documents, want %d", got, n)
	}

	// Two daily indices, named from the event date.
	var cat []struct {
		Index string `json:"index"`
	}
	call(t, http.MethodGet, base+"/_cat/indices/"+prefix+"*?format=json", nil, &cat)
	if len(cat) != 2 {
		t.Errorf("indices %v, want two days", cat)
	}

	// A stored document equals the NDJSON output for its line.
	out := ingestd(t, ctx, append(common, file)...)
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	checked := 0
	for i := 0; sc.Scan(); i++ {
		if i%20_000 != 7 {
			continue
		}
		var want map[string]any
		if err := json.Unmarshal(sc.Bytes(), &want); err != nil {
			t.Fatal(err)
		}
		day := strings.ReplaceAll(want["filedate"].(string), "-", ".")
		var got struct {
			Source map[string]any `json:"_source"`
		}
		call(t, http.MethodGet, fmt.Sprintf("%s/%s%s/_doc/%s", base, prefix, day, want["logId"]), nil, &got)
		if !reflect.DeepEqual(got.Source, want) {
			t.Errorf("stored document differs from the NDJSON output:\n got %v\nwant %v", got.Source, want)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no document compared")
	}

	// The template applied.
	var mapping map[string]struct {
		Mappings struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"mappings"`
	}
	call(t, http.MethodGet, base+"/"+prefix+"*/_mapping", nil, &mapping)
	for idx, m := range mapping {
		var geo struct {
			Properties map[string]struct {
				Type string `json:"type"`
			} `json:"properties"`
		}
		json.Unmarshal(m.Mappings.Properties["geoip"], &geo)
		if geo.Properties["location"].Type != "geo_point" {
			t.Errorf("%s: geoip.location is %q, want geo_point", idx, geo.Properties["location"].Type)
		}
		if !bytes.Contains(m.Mappings.Properties["@timestamp"], []byte(`"date"`)) {
			t.Errorf("%s: @timestamp mapping %s", idx, m.Mappings.Properties["@timestamp"])
		}
	}
}

// TestEngineNodeLoss: a 3-node cluster with one replica loses a node in the
// middle of a replay; every document is present at the end.
func TestEngineNodeLoss(t *testing.T) {
	urls := need(t, "INGESTD_ENGINE3_URLS") // comma-separated, first one survives
	script := need(t, "INGESTD_ENGINE_SCRIPT")
	base := strings.Split(urls, ",")[0]
	const n = 200_000
	file := generate(t, n, 7)
	prefix := uniquePrefix("nodeloss")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	// One replica per shard so the data survives the loss of a node.
	call(t, http.MethodPut, base+"/_index_template/e2e-nodeloss-replicas", strings.NewReader(
		`{"index_patterns":["`+prefix+`*"],"priority":500,"template":{"settings":{"number_of_shards":3,"number_of_replicas":1}}}`), nil)

	done := make(chan error, 1)
	go func() {
		_, err := run(t, ctx, "replay", "--host", "e2e", "--no-geoip", "--dlq", filepath.Join(t.TempDir(), "dlq"),
			"--es", urls, "--index", prefix+"%{+yyyy.MM.dd}", "--flush-docs", "2000", "--request-timeout", "20s", file)
		done <- err
	}()
	// Wait until some documents are in, then stop a node.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var c struct {
			Count int `json:"count"`
		}
		req, _ := http.NewRequest(http.MethodGet, base+"/"+prefix+"*/_count", nil)
		if res, err := http.DefaultClient.Do(req); err == nil {
			json.NewDecoder(res.Body).Decode(&c)
			res.Body.Close()
		}
		if c.Count > 10_000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no documents arrived")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Only once every replica is in sync does the data survive the loss
	// of a node; stopping a node while a replica is still recovering from
	// it leaves that shard without a copy (red) until it returns, and the
	// sink then rightly retries forever.
	var health struct {
		Status   string `json:"status"`
		TimedOut bool   `json:"timed_out"`
	}
	call(t, http.MethodGet, base+"/_cluster/health/"+prefix+"*?wait_for_status=green&wait_for_no_initializing_shards=true&timeout=90s", nil, &health)
	if health.Status != "green" || health.TimedOut {
		t.Fatalf("replicas not allocated before the node loss: %+v", health)
	}
	out, err := exec.Command(script, "stop-node", "3").CombinedOutput()
	if err != nil {
		t.Fatalf("stop-node: %v\n%s", err, out)
	}
	t.Logf("stopped node 3 mid-ingest: %s", out)
	if err := <-done; err != nil {
		t.Fatalf("ingestd: %v", err)
	}
	if got := count(t, base, prefix+"*"); got != n {
		t.Fatalf("engine holds %d documents after losing a node, want %d", got, n)
	}
}

// TestEngineDataStream: --data-stream indexes into a data stream (op type
// create); a second replay is absorbed as duplicates.
func TestEngineDataStream(t *testing.T) {
	base := strings.TrimRight(need(t, "INGESTD_ENGINE_URL"), "/")
	const n = 2_000
	file := generate(t, n, 9)
	ds := strings.TrimSuffix(uniquePrefix("ds"), "-")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := []string{"replay", "--host", "e2e", "--no-geoip", "--dlq", filepath.Join(t.TempDir(), "dlq"), "--es", base, "--data-stream", ds, file}
	ingestd(t, ctx, args...)
	ingestd(t, ctx, args...)
	if got := count(t, base, ds); got != n {
		t.Fatalf("data stream holds %d documents, want %d", got, n)
	}
	var info struct {
		DataStreams []struct {
			Name string `json:"name"`
		} `json:"data_streams"`
	}
	call(t, http.MethodGet, base+"/_data_stream/"+ds, nil, &info)
	if len(info.DataStreams) != 1 {
		t.Fatalf("%s is not a data stream: %+v", ds, info)
	}
}
