package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ingestd/ingestd/sink"
	"github.com/ingestd/ingestd/source"
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

	// Zero or negative intervals would panic a ticker at run time.
	zero := filepath.Join(dir, "zero.yaml")
	os.WriteFile(zero, []byte("input:\n  dir: "+dir+"\n  poll_interval: 0s\n  rotate_grace: -1s\nregistry:\n  path: "+dir+
		"/reg.json\n  flush_interval: 0s\noutput:\n  urls: [http://127.0.0.1:9]\n  flush_docs: 0\nstatus_interval: -5s\n"), 0o600)
	_, stderr, err = runCmd(t, "check-config", zero)
	if !errors.As(err, &ee) || ee.code != 1 {
		t.Fatalf("zero intervals: err = %v", err)
	}
	for _, want := range []string{"input.poll_interval", "input.rotate_grace", "registry.flush_interval", "output.flush_docs", "status_interval"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("check-config does not report %s:\n%s", want, stderr)
		}
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

// rejectingES answers like Elasticsearch 8 and rejects every bulk item with
// a mapping error.
func rejectingES(t *testing.T) *httptest.Server { return fakeES(t, 400) }

// fakeES answers like Elasticsearch 8; every bulk item gets status.
func fakeES(t *testing.T, status int) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/":
			io.WriteString(w, `{"version":{"number":"8.15.0"}}`)
		case "/_bulk":
			body, _ := io.ReadAll(r.Body)
			var items []string
			for i, l := range bytes.Split(bytes.TrimSpace(body), []byte("\n")) {
				if i%2 == 0 {
					if status == 400 {
						items = append(items, `{"index":{"status":400,"error":{"type":"mapper_parsing_exception","reason":"rejected by the test"}}}`)
					} else {
						items = append(items, fmt.Sprintf(`{"index":{"status":%d}}`, status))
					}
				}
				_ = l
			}
			fmt.Fprintf(w, `{"errors":%v,"items":[%s]}`, status >= 300, strings.Join(items, ","))
		default:
			io.WriteString(w, `{"acknowledged":true}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestRunStopsWhenDeadLettersFail: the daemon exits 1 (not 0) when a
// rejected document cannot be dead-lettered, and commits no offset past it.
func TestRunStopsWhenDeadLettersFail(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	os.Mkdir(logs, 0o700)
	seed, err := os.ReadFile(td + "audit.2021-09-22.log")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(logs, "audit.2021-09-22.log"), seed, 0o600)
	badDLQ := filepath.Join(dir, "dlq-is-a-directory")
	os.Mkdir(badDLQ, 0o700)
	srv := rejectingES(t)
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("input:\n  dir: "+logs+"\nregistry:\n  path: "+dir+"/reg.json\ndead_letter:\n  path: "+badDLQ+
		"\noutput:\n  urls: ["+srv.URL+"]\n  flush_interval: 50ms\nenrich:\n  no_geoip: true\n"), 0o600)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := newRootCmd(context.Background())
	cmd.SetArgs([]string{"run", "--config", cfg})
	var errb strings.Builder
	cmd.SetErr(&errb)
	err = cmd.ExecuteContext(ctx)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 1 || !errors.Is(err, sink.ErrDeadLetterFailed) {
		t.Fatalf("err = %v, want exit status 1 with ErrDeadLetterFailed\n%s", err, errb.String())
	}
	if ctx.Err() != nil {
		t.Fatal("the daemon ran until the test's deadline instead of stopping on the failure")
	}
	reg, err := source.OpenRegistry(dir+"/reg.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range reg.Entries() {
		if e.Offset != 0 {
			t.Errorf("offset %d committed for %s although its line was neither indexed nor dead-lettered", e.Offset, e.Path)
		}
	}
}

// TestRunMetrics: with metrics.listen the daemon serves Prometheus counters
// and a health check while it runs, and a signal still ends it with 0.
func TestRunMetrics(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	os.Mkdir(logs, 0o700)
	cases, err := os.ReadFile(td + "cases.log")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(logs, "audit.2021-09-22.log"), cases, 0o600)
	srv := fakeES(t, 201)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("input:\n  dir: "+logs+"\nregistry:\n  path: "+dir+"/reg.json\ndead_letter:\n  path: "+dir+
		"/dlq.ndjson\noutput:\n  urls: ["+srv.URL+"]\n  flush_interval: 50ms\nenrich:\n  no_geoip: true\nmetrics:\n  listen: "+addr+"\n"), 0o600)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		cmd := newRootCmd(context.Background())
		cmd.SetArgs([]string{"run", "--config", cfg})
		cmd.SetErr(io.Discard)
		done <- cmd.ExecuteContext(ctx)
	}()
	want := []string{
		"ingestd_engine_indexed_total 10\n", // the 10 documents of cases.log
		`ingestd_dead_lettered_total{stage="parse"} 3` + "\n",
		"ingestd_ambiguous_user_pool_documents_total 1\n",
		"ingestd_lag_bytes 0\n",
	}
	var body string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		res, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		body = string(b)
		missing := false
		for _, w := range want {
			missing = missing || !strings.Contains(body, w)
		}
		if !missing {
			break
		}
	}
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("/metrics lacks %q", w)
		}
	}
	if res, err := http.Get("http://" + addr + "/healthz"); err != nil || res.StatusCode != 200 {
		t.Errorf("/healthz: %v %v", res, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run after a signal: %v, want exit status 0", err)
	}
}

// TestRunReadErrorWithEngineDown: when reading stops on its own error (here
// a malformed line cannot be dead-lettered) while the engine keeps failing,
// the daemon gives the sink shutdown_timeout and exits 1; it does not hang
// retrying until someone sends a signal.
func TestRunReadErrorWithEngineDown(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	os.Mkdir(logs, 0o700)
	seed, err := os.ReadFile(td + "audit.2021-09-22.log")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(logs, "audit.2021-09-22.log")
	os.WriteFile(file, seed, 0o600)
	badDLQ := filepath.Join(dir, "dlq-is-a-directory")
	os.Mkdir(badDLQ, 0o700)
	var bulks atomic.Int64
	failing := fakeES(t, 503)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/_bulk" && bulks.Add(1) == 1 {
			// The seed line's document is in flight (and failing): now
			// a malformed line arrives that cannot be dead-lettered.
			f, _ := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
			f.WriteString("not an audit line\n")
			f.Close()
		}
		failing.Config.Handler.ServeHTTP(w, r)
	}))
	defer srv.Close()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("input:\n  dir: "+logs+"\nregistry:\n  path: "+dir+"/reg.json\ndead_letter:\n  path: "+badDLQ+
		"\noutput:\n  urls: ["+srv.URL+"]\n  flush_interval: 20ms\nenrich:\n  no_geoip: true\nshutdown_timeout: 300ms\n"), 0o600)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := newRootCmd(context.Background())
	cmd.SetArgs([]string{"run", "--config", cfg})
	cmd.SetErr(io.Discard)
	err = cmd.ExecuteContext(ctx)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 1 {
		t.Fatalf("err = %v, want exit status 1", err)
	}
	if ctx.Err() != nil {
		t.Fatal("the daemon hung until the test's deadline")
	}
	if bulks.Load() == 0 {
		t.Fatal("no bulk request: the test did not exercise a document in flight")
	}
}

// TestRunHealthWhileEngineUnreachable: /healthz and /metrics answer while
// the daemon still waits for the engine (a liveness probe must not restart
// every pod during an engine outage).
func TestRunHealthWhileEngineUnreachable(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String() // nothing answers once closed
	ln.Close()
	ln2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln2.Addr().String()
	ln2.Close()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("input:\n  dir: "+dir+"\nregistry:\n  path: "+dir+"/reg.json\noutput:\n  urls: ["+dead+
		"]\nenrich:\n  no_geoip: true\nmetrics:\n  listen: "+addr+"\n"), 0o600)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		cmd := newRootCmd(context.Background())
		cmd.SetArgs([]string{"run", "--config", cfg})
		cmd.SetErr(io.Discard)
		done <- cmd.ExecuteContext(ctx)
	}()
	var code int
	var body string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		res, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			continue
		}
		code = res.StatusCode
		res.Body.Close()
		res, err = http.Get("http://" + addr + "/metrics")
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		body = string(b)
		break
	}
	if code != 200 || !strings.Contains(body, "ingestd_lines_read_total 0\n") {
		t.Errorf("while connecting: /healthz %d, /metrics:\n%.300s", code, body)
	}
	select {
	case err := <-done:
		t.Fatalf("the daemon ended although the engine never answered: %v", err)
	default:
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("stop while connecting: %v, want exit status 0", err)
	}
}
