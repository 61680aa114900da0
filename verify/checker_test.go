package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ingestd/ingestd/enrich"
	"github.com/ingestd/ingestd/internal/auditgen"
	"github.com/ingestd/ingestd/pipeline"
	"github.com/ingestd/ingestd/sink"
)

// fakeEngine answers the ids search, _mget and the path scan from an
// in-memory store, with faults on demand.
type fakeEngine struct {
	mu       sync.Mutex
	docs     map[string]map[string][]byte // index → _id → _source
	hidden   map[string]bool              // _ids the search does not see yet (not refreshed)
	searches atomic.Int64
	mgets    atomic.Int64
	maxIDs   atomic.Int64
	fail     atomic.Int64 // answer this many requests with 503
	shardErr atomic.Bool  // searches report a failed shard
}

func (f *fakeEngine) put(index, id string, src []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.docs[index] == nil {
		f.docs[index] = map[string][]byte{}
	}
	f.docs[index][id] = src
}

func (f *fakeEngine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if f.fail.Load() > 0 {
		f.fail.Add(-1)
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"error":"busy"}`)
		return
	}
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.URL.Path == "/_mget":
		f.mgets.Add(1)
		var q struct{ Docs []struct{ Index, ID string } }
		json.Unmarshal(bytes.ReplaceAll(bytes.ReplaceAll(body, []byte(`"_index"`), []byte(`"Index"`)), []byte(`"_id"`), []byte(`"ID"`)), &q)
		var out []string
		for _, d := range q.Docs {
			src, ok := f.docs[d.Index][d.ID]
			switch {
			case f.docs[d.Index] == nil:
				out = append(out, `{"_index":"`+d.Index+`","_id":"`+d.ID+`","error":{"type":"index_not_found_exception"}}`)
			case ok:
				out = append(out, `{"_index":"`+d.Index+`","_id":"`+d.ID+`","found":true,"_source":`+string(src)+`}`)
			default:
				out = append(out, `{"_index":"`+d.Index+`","_id":"`+d.ID+`","found":false}`)
			}
		}
		io.WriteString(w, `{"docs":[`+strings.Join(out, ",")+`]}`)
	case strings.HasSuffix(r.URL.Path, "/_search"):
		f.searches.Add(1)
		index := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/_search")
		var q struct {
			Query struct {
				IDs struct {
					Values []string `json:"values"`
				} `json:"ids"`
			} `json:"query"`
		}
		json.Unmarshal(body, &q)
		if n := int64(len(q.Query.IDs.Values)); n > f.maxIDs.Load() {
			f.maxIDs.Store(n)
		}
		var hits []string
		for _, id := range q.Query.IDs.Values {
			if src, ok := f.docs[index][id]; ok && !f.hidden[id] {
				hits = append(hits, `{"_index":"`+index+`","_id":"`+id+`","_source":`+string(src)+`}`)
			}
		}
		failed := 0
		if f.shardErr.Load() {
			failed = 1
		}
		io.WriteString(w, `{"_shards":{"failed":`+string(rune('0'+failed))+`},"hits":{"hits":[`+strings.Join(hits, ",")+`]}}`)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// archive is n generated lines and their documents, as replay builds them.
type archive struct {
	file  string
	docs  []sink.Batch // one batch per chunk, copied
	index []string     // index of each document, in order
	ids   []string
	srcs  [][]byte
}

func newArchive(t testing.TB, n int) *archive {
	t.Helper()
	g := auditgen.New(3, time.Date(2021, 9, 22, 23, 59, 0, 0, time.UTC))
	var buf []byte
	for range n {
		buf = g.Append(buf)
	}
	a := &archive{file: filepath.Join(t.TempDir(), "audit.2021-09-22.log")}
	if err := os.WriteFile(a.file, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	names, _ := sink.NewIndexNames(sink.DefaultIndex)
	rec := &recorder{fn: func(b *sink.Batch) {
		for i := range b.Len() {
			a.index = append(a.index, string(names.Append(nil, b.Meta[i].Date)))
			a.ids = append(a.ids, string(b.ID(i)))
			a.srcs = append(a.srcs, bytes.Clone(b.Doc(i)))
		}
	}}
	a.run(t, rec)
	if len(a.ids) != n {
		t.Fatalf("%d documents for %d lines", len(a.ids), n)
	}
	return a
}

// run replays the archive into s, as the command does.
func (a *archive) run(t testing.TB, s sink.Sink) error {
	t.Helper()
	var st pipeline.Stats
	letters := sink.NewDeadLetters(filepath.Join(t.TempDir(), "dlq"))
	defer letters.Close()
	return pipeline.Replay(context.Background(), pipeline.Options{
		Enricher: enrich.New(enrich.Config{Host: "h1"}), Sink: s, DeadLetters: letters, Workers: 2, ChunkLines: 100,
	}, []pipeline.Input{{Path: a.file, DocPath: "/logs/audit.2021-09-22.log"}}, &st)
}

type noTransport struct{}

func (noTransport) Perform(*http.Request) (*http.Response, error) {
	return nil, errors.New("no engine")
}

type recorder struct{ fn func(*sink.Batch) }

func (r *recorder) Write(_ context.Context, b *sink.Batch) error { r.fn(b); return nil }
func (r *recorder) Close() error                                 { return nil }

func newFake(t testing.TB, a *archive) (*fakeEngine, sink.Transport) {
	t.Helper()
	f := &fakeEngine{docs: map[string]map[string][]byte{}, hidden: map[string]bool{}}
	for i := range a.ids {
		f.put(a.index[i], a.ids[i], a.srcs[i])
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	tr, _, err := sink.Connect(context.Background(), sink.EngineConfig{URLs: []string{srv.URL}, Flavor: sink.FlavorOpenSearch})
	if err != nil {
		t.Fatal(err)
	}
	return f, tr
}

func verifyArchive(t testing.TB, a *archive, cfg Config) (*Result, []Finding) {
	t.Helper()
	var report bytes.Buffer
	cfg.Report = NewReport(&report)
	cfg.Files = []string{a.file}
	cfg.Backoff = time.Millisecond
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	runErr := a.run(t, c)
	c.Close()
	res := c.Finish(context.Background(), runErr)
	var fs []Finding
	for _, l := range bytes.Split(bytes.TrimSpace(report.Bytes()), []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		var f Finding
		if err := json.Unmarshal(l, &f); err != nil {
			t.Fatal(err)
		}
		fs = append(fs, f)
	}
	return res, fs
}

func TestCheckerBatchesAndClassifies(t *testing.T) {
	const n = 1000
	a := newArchive(t, n)
	f, tr := newFake(t, a)
	f.mu.Lock()
	delete(f.docs[a.index[5]], a.ids[5])                                                                        // missing
	f.docs[a.index[7]][a.ids[7]] = bytes.Replace(a.srcs[7], []byte(`"clientIp":"`), []byte(`"clientIp":"9`), 1) // altered
	f.hidden[a.ids[9]] = true                                                                                   // indexed, not refreshed yet
	f.mu.Unlock()

	res, fs := verifyArchive(t, a, Config{Transport: tr, BatchDocs: 64, InFlight: 2})
	if !res.Complete || res.Lines != n || res.Expected != n || res.Present != n-2 || res.Missing != 1 || res.Altered != 1 || res.OK() {
		t.Fatalf("result %+v (%s)", res.Counts, res.Error)
	}
	if got := f.searches.Load(); got < n/64 || f.maxIDs.Load() > 64 {
		t.Errorf("%d searches of at most %d ids, want batches of 64", got, f.maxIDs.Load())
	}
	if f.mgets.Load() == 0 {
		t.Error("suspect documents were not confirmed with the real-time _mget")
	}
	if len(fs) != 2 || fs[0].ID == fs[1].ID {
		t.Fatalf("findings %+v", fs)
	}
	for _, x := range fs {
		switch x.ID {
		case a.ids[5]:
			if x.Status != StatusMissing || x.Line != 6 || *x.Offset == 0 || x.Index != a.index[5] {
				t.Errorf("missing: %+v", x)
			}
		case a.ids[7]:
			if x.Status != StatusAltered || x.Line != 8 || len(x.Diff) != 1 || x.Diff[0].Field != FieldClientIP {
				t.Errorf("altered: %+v", x)
			}
		default:
			t.Errorf("unexpected finding %+v", x)
		}
	}
}

func TestCheckerRetriesTransientFailures(t *testing.T) {
	a := newArchive(t, 300)
	f, tr := newFake(t, a)
	f.fail.Store(3)
	res, _ := verifyArchive(t, a, Config{Transport: tr, BatchDocs: 100, Attempts: 5})
	if !res.Complete || res.Present != 300 || !res.OK() {
		t.Fatalf("result %+v (%s)", res.Counts, res.Error)
	}
}

// An engine that is down, keeps failing, or hides documents behind a
// failed shard makes the check incomplete: never "missing".
func TestCheckerEngineTroubleIsNotMissing(t *testing.T) {
	a := newArchive(t, 300)
	for _, tc := range []struct {
		name  string
		setup func(*fakeEngine, *httptest.Server)
		want  string
	}{
		{"engine down", nil, "connect"},
		{"engine keeps failing", func(f *fakeEngine, _ *httptest.Server) { f.fail.Store(1 << 30) }, "status 503"},
		{"a shard failed", func(f *fakeEngine, _ *httptest.Server) { f.shardErr.Store(true) }, "shard(s) failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeEngine{docs: map[string]map[string][]byte{}, hidden: map[string]bool{}}
			srv := httptest.NewServer(f)
			if tc.setup == nil {
				srv.Close()
			} else {
				defer srv.Close()
				tc.setup(f, srv)
			}
			tr, _, err := sink.Connect(context.Background(), sink.EngineConfig{URLs: []string{srv.URL}, Flavor: sink.FlavorOpenSearch})
			if err != nil {
				t.Fatal(err)
			}
			res, fs := verifyArchive(t, a, Config{Transport: tr, BatchDocs: 100, Attempts: 2})
			if res.Complete || res.OK() || res.Missing != 0 || len(fs) != 0 || !strings.Contains(res.Error, tc.want) || !strings.Contains(res.Error, "not checked") {
				t.Fatalf("result %+v, error %q, findings %d; want incomplete with %q", res.Counts, res.Error, len(fs), tc.want)
			}
			if !strings.HasPrefix(res.Error, "engine: ") {
				t.Errorf("error %q does not say the engine failed", res.Error)
			}
		})
	}
}

func TestConfigLimits(t *testing.T) {
	for _, cfg := range []Config{{BatchDocs: 10_001}, {InFlight: 65}, {BatchDocs: -1}, {}} {
		if cfg.BatchDocs != 0 || cfg.InFlight != 0 {
			cfg.Transport = noTransport{}
		}
		if _, err := New(context.Background(), cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

// BenchmarkChecker: verifying 5000 lines against the fake engine (in
// the same process): ingestd's CPU per line, engine excluded as far as
// the fake is cheap. Reports lines/s.
func BenchmarkChecker(b *testing.B) {
	a := newArchive(b, 5000)
	_, tr := newFake(b, a)
	b.ReportAllocs()
	for b.Loop() {
		res, _ := verifyArchive(b, a, Config{Transport: tr})
		if !res.OK() {
			b.Fatalf("%+v", res.Counts)
		}
	}
	b.ReportMetric(float64(5000*b.N)/b.Elapsed().Seconds(), "lines/s")
}

// Every line is accounted for per file: documents, dead letters (parse
// errors and over-long lines, which replay would dead-letter) and blank
// lines, none of them expected in the engine.
func TestCheckerCountsDeadLetters(t *testing.T) {
	a := newArchive(t, 200)
	raw, _ := os.ReadFile(a.file)
	lines := strings.SplitAfter(string(raw), "\n")
	var b strings.Builder
	for i, l := range lines {
		b.WriteString(l)
		switch i {
		case 10:
			b.WriteString("not an audit line\n")
		case 20:
			b.WriteString("\n")
		case 30:
			b.WriteString("[2021-09-22T00:00:00.000+0000] logId=x " + strings.Repeat("y", 5000) + "\n")
		}
	}
	long := filepath.Join(t.TempDir(), "audit.2021-09-22.log")
	os.WriteFile(long, []byte(b.String()), 0o644)
	_, tr := newFake(t, a)
	c, err := New(context.Background(), Config{Transport: tr, Files: []string{long}})
	if err != nil {
		t.Fatal(err)
	}
	var st pipeline.Stats
	letters := sink.NewDeadLetters(filepath.Join(t.TempDir(), "dlq"))
	defer letters.Close()
	runErr := pipeline.Replay(context.Background(), pipeline.Options{
		Enricher: enrich.New(enrich.Config{Host: "h1"}), Sink: c, DeadLetters: letters, MaxLine: 4096, ChunkLines: 7,
	}, []pipeline.Input{{Path: long, DocPath: "/logs/audit.2021-09-22.log"}}, &st)
	c.Close()
	res := c.Finish(context.Background(), runErr)
	if !res.OK() || res.Lines != 203 || res.Expected != 200 || res.Present != 200 || res.DeadLettered != 2 || res.Blank != 1 {
		t.Fatalf("%+v (%s); want 203 lines, 200 present, 2 dead-lettered, 1 blank", res.Counts, res.Error)
	}
	if res.DeadLettered != st.DeadLetters.Load() || res.Lines != st.Lines.Load() {
		t.Errorf("per-file counts %+v disagree with the pipeline's: %d lines, %d dead letters", res.Counts, st.Lines.Load(), st.DeadLetters.Load())
	}
}
