package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ingestd/ingestd/daemon"
	"github.com/ingestd/ingestd/internal/exitcode"
	"github.com/ingestd/ingestd/internal/fakees"
	"github.com/ingestd/ingestd/sink"
	"github.com/ingestd/ingestd/source"
)

func TestExampleConfigIsValid(t *testing.T) {
	file, err := daemon.Load("../../deploy/ingestd.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p := file.Report(nil); len(p) > 0 {
		t.Fatal(p)
	}
	c := file.Config
	def := daemon.Defaults()
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
	var ee *exitcode.Error
	if !errors.As(err, &ee) || ee.Code != 1 {
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
	if !errors.As(err, &ee) || ee.Code != 1 {
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
	srv := fakees.New(status, nil)
	t.Cleanup(srv.Close)
	return srv
}

// logDir is a log directory holding one dated file and a configuration
// for `ingestd run` around it.
type logDir struct {
	dir, file, cfg, registry string
}

// newDaemon copies src into a fresh log directory as today's file and
// writes a configuration: engine url, dead-letter path dlq ("" for one in
// the directory), no GeoIP, plus extra YAML.
func newDaemon(t *testing.T, src, url, dlq, extra string) logDir {
	t.Helper()
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	os.Mkdir(logs, 0o700)
	d := logDir{dir: dir, file: filepath.Join(logs, "audit.2021-09-22.log"), cfg: filepath.Join(dir, "c.yaml"),
		registry: filepath.Join(dir, "reg.json")}
	if src != "" {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(d.file, b, 0o600)
	}
	if dlq == "" {
		dlq = filepath.Join(dir, "dlq.ndjson")
	}
	os.WriteFile(d.cfg, []byte("input:\n  dir: "+logs+"\nregistry:\n  path: "+d.registry+"\ndead_letter:\n  path: "+dlq+
		"\noutput:\n  urls: ["+url+"]\n  flush_interval: 50ms\nenrich:\n  no_geoip: true\n"+extra), 0o600)
	return d
}

// start runs `ingestd run` in the background; the channel yields its error.
func (d logDir) start(ctx context.Context) <-chan error {
	done := make(chan error, 1)
	go func() { done <- d.run(ctx) }()
	return done
}

func (d logDir) run(ctx context.Context) error {
	cmd := newRootCmd(context.Background())
	cmd.SetArgs([]string{"run", "--config", d.cfg})
	cmd.SetErr(io.Discard)
	return cmd.ExecuteContext(ctx)
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// scrape polls url until its body holds every string of want (or 15 s).
func scrape(url string, want ...string) (int, string) {
	var code int
	var body string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		res, err := http.Get(url)
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		code, body = res.StatusCode, string(b)
		if !slices.ContainsFunc(want, func(w string) bool { return !strings.Contains(body, w) }) {
			break
		}
	}
	return code, body
}

// wantExit checks that err carries exit status code.
func wantExit(t *testing.T, err error, code int) {
	t.Helper()
	var ee *exitcode.Error
	if code == 0 && err == nil {
		return
	}
	if !errors.As(err, &ee) || ee.Code != code {
		t.Fatalf("err = %v, want exit status %d", err, code)
	}
}

// TestRunStopsWhenDeadLettersFail: the daemon exits 1 (not 0) when a
// rejected document cannot be dead-lettered, and commits no offset past it.
func TestRunStopsWhenDeadLettersFail(t *testing.T) {
	badDLQ := filepath.Join(t.TempDir(), "dlq-is-a-directory")
	os.Mkdir(badDLQ, 0o700)
	d := newDaemon(t, td+"audit.2021-09-22.log", rejectingES(t).URL, badDLQ, "")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := d.run(ctx)
	wantExit(t, err, 1)
	if !errors.Is(err, sink.ErrDeadLetterFailed) {
		t.Fatalf("err = %v, want ErrDeadLetterFailed", err)
	}
	if ctx.Err() != nil {
		t.Fatal("the daemon ran until the test's deadline instead of stopping on the failure")
	}
	reg, err := source.OpenRegistry(d.registry, nil)
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
	addr := freeAddr(t)
	d := newDaemon(t, td+"cases.log", fakeES(t, 201).URL, "", "metrics:\n  listen: "+addr+"\n")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := d.start(ctx)
	want := []string{
		"ingestd_engine_indexed_total 10\n", // the 10 documents of cases.log
		`ingestd_dead_lettered_total{stage="parse"} 3` + "\n",
		"ingestd_ambiguous_user_pool_documents_total 1\n",
		"ingestd_lag_bytes 0\n",
	}
	_, body := scrape("http://"+addr+"/metrics", want...)
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("/metrics lacks %q", w)
		}
	}
	if code, _ := scrape("http://" + addr + "/healthz"); code != 200 {
		t.Errorf("/healthz: %d", code)
	}
	cancel()
	wantExit(t, <-done, 0)
}

// TestRunReadErrorWithEngineDown: when reading stops on its own error (here
// a malformed line cannot be dead-lettered) while the engine keeps failing,
// the daemon gives the sink shutdown_timeout and exits 1; it does not hang
// retrying until someone sends a signal.
func TestRunReadErrorWithEngineDown(t *testing.T) {
	badDLQ := filepath.Join(t.TempDir(), "dlq-is-a-directory")
	os.Mkdir(badDLQ, 0o700)
	var bulks atomic.Int64
	var file atomic.Value // the log file, set once the daemon exists
	failing := fakeES(t, 503)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/_bulk" && bulks.Add(1) == 1 {
			// The seed line's document is in flight (and failing): now
			// a malformed line arrives that cannot be dead-lettered.
			f, _ := os.OpenFile(file.Load().(string), os.O_APPEND|os.O_WRONLY, 0)
			f.WriteString("not an audit line\n")
			f.Close()
		}
		failing.Config.Handler.ServeHTTP(w, r)
	}))
	defer srv.Close()
	d := newDaemon(t, td+"audit.2021-09-22.log", srv.URL, badDLQ, "shutdown_timeout: 300ms\n")
	file.Store(d.file)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	wantExit(t, d.run(ctx), 1)
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
	addr := freeAddr(t)
	d := newDaemon(t, "", "http://"+freeAddr(t), "", "metrics:\n  listen: "+addr+"\n")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := d.start(ctx)
	code, _ := scrape("http://" + addr + "/healthz")
	_, body := scrape("http://"+addr+"/metrics", "ingestd_lines_read_total 0\n")
	if code != 200 || !strings.Contains(body, "ingestd_lines_read_total 0\n") {
		t.Errorf("while connecting: /healthz %d, /metrics:\n%.300s", code, body)
	}
	select {
	case err := <-done:
		t.Fatalf("the daemon ended although the engine never answered: %v", err)
	default:
	}
	cancel()
	wantExit(t, <-done, 0)
}
