package sink

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeES is an httptest bulk endpoint that answers like Elasticsearch 8
// (product header included) and injects faults.
type fakeES struct {
	t  *testing.T
	mu sync.Mutex
	// docs holds the stored documents by index/_id; writes counts index
	// operations per id (a retried item may be written twice: absorbed).
	docs   map[string]json.RawMessage
	writes map[string]int

	rnd *rand.Rand
	// Fault injection, each a probability per request or per item.
	pItem429, pItem500, pReq503, pSlow, pReset float64
	slow                                       time.Duration
	rejectID                                   string // this _id always gets a 400 mapping error
	tooLarge                                   int    // requests with more items than this get 413
	requests                                   atomic.Int64
	opType                                     string
}

func newFakeES(t *testing.T, seed uint64) *fakeES {
	return &fakeES{t: t, docs: map[string]json.RawMessage{}, writes: map[string]int{}, rnd: rand.New(rand.NewPCG(seed, 7))}
}

func (f *fakeES) roll(p float64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rnd.Float64() < p
}

func (f *fakeES) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	w.Header().Set("Content-Type", "application/json")
	if r.Method == http.MethodGet && r.URL.Path == "/" {
		io.WriteString(w, `{"name":"fake","cluster_name":"fake","version":{"number":"8.15.0","build_flavor":"default"},"tagline":"You Know, for Search"}`)
		return
	}
	if r.URL.Path != "/_bulk" {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	f.requests.Add(1)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	if f.roll(f.pReset) {
		hj, ok := w.(http.Hijacker)
		if !ok {
			f.t.Fatal("no hijacker")
		}
		conn, _, _ := hj.Hijack()
		conn.Close() // connection reset mid-request
		return
	}
	if f.roll(f.pSlow) {
		time.Sleep(f.slow) // slower than the client's timeout
	}
	if f.roll(f.pReq503) {
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"error":{"type":"unavailable_shards_exception"},"status":503}`)
		return
	}
	lines := bytes.Split(bytes.TrimRight(body, "\n"), []byte("\n"))
	if len(lines)%2 != 0 {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":"odd number of lines"}`)
		return
	}
	if f.tooLarge > 0 && len(lines)/2 > f.tooLarge {
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		return
	}
	type result struct {
		ID     string          `json:"_id"`
		Index  string          `json:"_index"`
		Status int             `json:"status"`
		Error  json.RawMessage `json:"error,omitempty"`
	}
	var items []map[string]result
	errorsSeen := false
	for i := 0; i < len(lines); i += 2 {
		var action map[string]struct {
			Index string `json:"_index"`
			ID    string `json:"_id"`
		}
		if err := json.Unmarshal(lines[i], &action); err != nil {
			f.t.Errorf("bad action line %q: %v", lines[i], err)
			return
		}
		for op, a := range action {
			res := result{ID: a.ID, Index: a.Index}
			key := a.Index + "/" + a.ID
			switch {
			case a.ID == f.rejectID:
				res.Status = 400
				res.Error = json.RawMessage(`{"type":"mapper_parsing_exception","reason":"failed to parse field [geoip.location] of type [geo_point]"}`)
			case f.roll(f.pItem429):
				res.Status = 429
				res.Error = json.RawMessage(`{"type":"es_rejected_execution_exception","reason":"rejected execution"}`)
			case f.roll(f.pItem500):
				res.Status = 500
				res.Error = json.RawMessage(`{"type":"internal_server_error","reason":"boom"}`)
			default:
				f.mu.Lock()
				_, exists := f.docs[key]
				if op == "create" && exists {
					res.Status = 409
					res.Error = json.RawMessage(`{"type":"version_conflict_engine_exception","reason":"document already exists"}`)
				} else {
					if !json.Valid(lines[i+1]) {
						f.t.Errorf("invalid document %q", lines[i+1])
					}
					f.docs[key] = append(json.RawMessage(nil), lines[i+1]...)
					f.writes[key]++
					res.Status = 201
				}
				f.mu.Unlock()
			}
			if res.Status >= 300 {
				errorsSeen = true
			}
			items = append(items, map[string]result{op: res})
		}
	}
	json.NewEncoder(w).Encode(map[string]any{"took": 3, "errors": errorsSeen, "items": items})
}

// makeBatch builds a batch of n documents starting at id number from.
func makeBatch(from, n int, token Token) *Batch {
	b := &Batch{Source: "audit.2021-09-22.log", Token: token}
	for i := from; i < from+n; i++ {
		b.Buf = fmt.Appendf(b.Buf, `{"logId":"id-%06d","message":"line %d with \"quotes\" and 中文"}`+"\n", i, i)
		b.Ends = append(b.Ends, len(b.Buf))
		b.IDs = fmt.Appendf(b.IDs, "id-%06d", i)
		b.Meta = append(b.Meta, DocMeta{IDEnd: len(b.IDs), Date: 20210922, Line: int64(i + 1)})
	}
	return b
}

func esTransport(t *testing.T, url string) Transport {
	t.Helper()
	tr, flavor, err := Connect(context.Background(), EngineConfig{URLs: []string{url}})
	if err != nil {
		t.Fatal(err)
	}
	if flavor != FlavorElasticsearch {
		t.Fatalf("fake detected as %s", flavor)
	}
	return tr
}

func readLetters(t *testing.T, path string) []DeadLetter {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []DeadLetter
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l DeadLetter
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}

// TestBulkFaultInjection drives the Elasticsearch code path (go-elasticsearch
// client, product check) through every fault at once and checks that the
// final document set is exact and only the permanently rejected document is
// dead-lettered.
func TestBulkFaultInjection(t *testing.T) {
	fake := newFakeES(t, 1)
	fake.pItem429, fake.pItem500, fake.pReq503, fake.pSlow, fake.pReset = 0.05, 0.03, 0.05, 0.03, 0.03
	fake.slow = 300 * time.Millisecond
	fake.rejectID = "id-001234"
	srv := httptest.NewServer(fake)

	dir := t.TempDir()
	dl := NewDeadLetters(filepath.Join(dir, "dlq.ndjson"))
	var acked sync.Map
	var ackCount atomic.Int64
	b, err := NewBulk(context.Background(), BulkConfig{
		Transport: esTransport(t, srv.URL), DeadLetters: dl,
		FlushDocs: 300, FlushInterval: 20 * time.Millisecond, MaxInFlight: 3,
		Timeout: 150 * time.Millisecond, BackoffInit: time.Millisecond, BackoffMax: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	const total, per = 5000, 250
	for i := 0; i < total; i += per {
		tok := i / per
		settled := tokenFunc(func() {
			if _, dup := acked.LoadOrStore(tok, true); dup {
				t.Errorf("batch %v acknowledged twice", tok)
			}
			ackCount.Add(1)
		})
		if err := b.Write(context.Background(), makeBatch(i, per, settled)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	dl.Close()
	// The engine may still be finishing requests the sink timed out on
	// (and already re-sent): wait for them, as their writes count too.
	srv.Close()

	if got := ackCount.Load(); got != total/per {
		t.Errorf("%d batches acknowledged, want %d", got, total/per)
	}
	if len(fake.docs) != total-1 {
		t.Errorf("engine holds %d documents, want %d", len(fake.docs), total-1)
	}
	for i := 0; i < total; i++ {
		key := fmt.Sprintf("authing-audit-2021.09.22/id-%06d", i)
		doc, ok := fake.docs[key]
		if i == 1234 {
			if ok {
				t.Errorf("rejected document was stored")
			}
			continue
		}
		if !ok {
			t.Fatalf("document %s lost", key)
		}
		want := fmt.Sprintf(`{"logId":"id-%06d","message":"line %d with \"quotes\" and 中文"}`, i, i)
		if string(doc) != want {
			t.Fatalf("document %s = %s, want %s", key, doc, want)
		}
	}
	letters := readLetters(t, filepath.Join(dir, "dlq.ndjson"))
	if len(letters) != 1 {
		t.Fatalf("%d dead letters, want exactly the rejected one: %+v", len(letters), letters)
	}
	if l := letters[0]; l.Line != 1235 || l.Stage != "index" || !strings.Contains(l.Reason, "mapper_parsing_exception") || !strings.Contains(string(l.Doc), "id-001234") {
		t.Errorf("dead letter = %+v", l)
	}
	s := &b.Stats
	if s.Indexed.Load() != total-1 || s.DeadLettered.Load() != 1 {
		t.Errorf("stats indexed %d dead %d", s.Indexed.Load(), s.DeadLettered.Load())
	}
	if s.Retried.Load() == 0 || s.Failures.Load() == 0 {
		t.Errorf("faults were not exercised: retried %d, failed requests %d", s.Retried.Load(), s.Failures.Load())
	}
	t.Logf("requests %d, failed %d, item retries %d", s.Requests.Load(), s.Failures.Load(), s.Retried.Load())
}

// TestBulkSplitsOn413: a request the engine finds too large is split until
// it fits; a single document that is still too large is dead-lettered.
func TestBulkSplitsOn413(t *testing.T) {
	fake := newFakeES(t, 2)
	fake.tooLarge = 40
	srv := httptest.NewServer(fake)
	defer srv.Close()
	dir := t.TempDir()
	dl := NewDeadLetters(filepath.Join(dir, "dlq"))
	b, err := NewBulk(context.Background(), BulkConfig{Transport: esTransport(t, srv.URL), DeadLetters: dl, FlushDocs: 1000})
	if err != nil {
		t.Fatal(err)
	}
	b.Write(context.Background(), makeBatch(0, 500, nil))
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if len(fake.docs) != 500 || b.Stats.Splits.Load() == 0 {
		t.Fatalf("stored %d, splits %d", len(fake.docs), b.Stats.Splits.Load())
	}
}

// TestBulkCreateConflictIsDuplicate: under op type create, re-sending
// documents the engine already has yields 409s that count as indexed.
func TestBulkCreateConflictIsDuplicate(t *testing.T) {
	fake := newFakeES(t, 3)
	srv := httptest.NewServer(fake)
	defer srv.Close()
	dir := t.TempDir()
	for round := 0; round < 2; round++ {
		dl := NewDeadLetters(filepath.Join(dir, "dlq"))
		b, err := NewBulk(context.Background(), BulkConfig{Transport: esTransport(t, srv.URL), DeadLetters: dl, OpType: "create"})
		if err != nil {
			t.Fatal(err)
		}
		b.Write(context.Background(), makeBatch(0, 100, nil))
		b.Close()
		dl.Close()
		if round == 1 && (b.Stats.Duplicates.Load() != 100 || b.Stats.DeadLettered.Load() != 0) {
			t.Fatalf("second round: duplicates %d, dead %d", b.Stats.Duplicates.Load(), b.Stats.DeadLettered.Load())
		}
	}
	if len(fake.docs) != 100 {
		t.Fatalf("stored %d documents, want 100", len(fake.docs))
	}
}

// TestBulkBackPressure: while the engine is down, Write blocks once
// MaxInFlight requests are outstanding; nothing is acknowledged; after the
// engine returns everything arrives.
func TestBulkBackPressure(t *testing.T) {
	fake := newFakeES(t, 4)
	var down atomic.Bool
	down.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() && r.URL.Path == "/_bulk" {
			w.Header().Set("X-Elastic-Product", "Elasticsearch")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		fake.ServeHTTP(w, r)
	}))
	defer srv.Close()
	dl := NewDeadLetters(filepath.Join(t.TempDir(), "dlq"))
	var acks atomic.Int64
	b, err := NewBulk(context.Background(), BulkConfig{Transport: esTransport(t, srv.URL), DeadLetters: dl,
		FlushDocs: 100, MaxInFlight: 2, BackoffInit: time.Millisecond, BackoffMax: 5 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	written := make(chan int, 100)
	go func() {
		for i := 0; i < 10; i++ {
			b.Write(context.Background(), makeBatch(i*100, 100, tokenFunc(func() { acks.Add(1) })))
			written <- i
		}
		close(written)
	}()
	time.Sleep(200 * time.Millisecond)
	if n := len(written); n > 3 {
		t.Fatalf("%d batches accepted while the engine was down; want Write to block after MaxInFlight", n)
	}
	if acks.Load() != 0 {
		t.Fatal("batches acknowledged while the engine was down")
	}
	down.Store(false)
	for range written {
	}
	b.Close()
	if len(fake.docs) != 1000 || acks.Load() != 10 {
		t.Fatalf("stored %d, acks %d", len(fake.docs), acks.Load())
	}
}

func TestIndexPattern(t *testing.T) {
	tests := []struct {
		pattern, want, prefix string
	}{
		{DefaultIndex, "authing-audit-2021.09.22", "authing-audit-"},
		{"audit-%{+yyyy-MM}", "audit-2021-09", "audit-"},
		{"static", "static", "static"},
	}
	for _, tt := range tests {
		ip, err := parseIndexPattern(tt.pattern)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(ip.append(nil, 20210922)); got != tt.want || ip.Prefix() != tt.prefix {
			t.Errorf("%s: %s %s", tt.pattern, got, ip.Prefix())
		}
	}
	for _, bad := range []string{"Audit-%{+yyyy}", "a-%{+HH}", "a-%{+yyyy", "a b", ""} {
		if _, err := parseIndexPattern(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestAppendID(t *testing.T) {
	if got := string(AppendID(nil, []byte("c72c118e-c1a9"), []byte("x"))); got != "c72c118e-c1a9" {
		t.Errorf("logId not used: %s", got)
	}
	a := string(AppendID(nil, []byte("null"), []byte("raw line")))
	b := string(AppendID(nil, nil, []byte("raw line")))
	c := string(AppendID(nil, nil, []byte("raw line 2")))
	if a != b || a == c || !strings.HasPrefix(a, "h-") || len(a) != 42 {
		t.Errorf("hash ids: %s %s %s", a, b, c)
	}
	if got := string(AppendID(nil, []byte(`a"b`), []byte("r"))); !strings.HasPrefix(got, "h-") {
		t.Errorf("unsafe logId used as is: %s", got)
	}
}

// TestBulkDeadLetterFailureIsFatal: when a rejected document cannot be
// written to the dead-letter file, the sink stops with ErrDeadLetterFailed,
// never acknowledges that batch, and Close reports the undelivered count.
func TestBulkDeadLetterFailureIsFatal(t *testing.T) {
	fake := newFakeES(t, 5)
	fake.rejectID = "id-000007"
	srv := httptest.NewServer(fake)
	defer srv.Close()
	dl := NewDeadLetters(filepath.Join(t.TempDir(), "missing-dir", "dlq"))
	var acks atomic.Int64
	b, err := NewBulk(context.Background(), BulkConfig{Transport: esTransport(t, srv.URL), DeadLetters: dl})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Write(context.Background(), makeBatch(0, 20, tokenFunc(func() { acks.Add(1) }))); err != nil {
		t.Fatal(err)
	}
	err = b.Close()
	if !errors.Is(err, ErrDeadLetterFailed) || !strings.Contains(err.Error(), "1 document(s) not delivered") {
		t.Fatalf("Close = %v, want ErrDeadLetterFailed with 1 undelivered document", err)
	}
	if !errors.Is(b.Err(), ErrDeadLetterFailed) {
		t.Errorf("Err = %v", b.Err())
	}
	if acks.Load() != 0 {
		t.Error("the batch holding the lost rejection was acknowledged")
	}
	if err := b.Write(context.Background(), makeBatch(20, 1, nil)); err == nil {
		t.Error("Write after the sink failed succeeded")
	}
}

// TestBulkCloseReportsUnsettled: when the sink's context ends (the shutdown
// timeout) while the engine is down, Close says how many documents were not
// delivered instead of reporting success.
func TestBulkCloseReportsUnsettled(t *testing.T) {
	fake := newFakeES(t, 6)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_bulk" {
			fake.ServeHTTP(w, r) // product detection
			return
		}
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	dl := NewDeadLetters(filepath.Join(t.TempDir(), "dlq"))
	b, err := NewBulk(ctx, BulkConfig{Transport: esTransport(t, srv.URL), DeadLetters: dl,
		BackoffInit: time.Millisecond, BackoffMax: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	b.Write(context.Background(), makeBatch(0, 30, nil))
	time.AfterFunc(100*time.Millisecond, cancel)
	err = b.Close()
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "30 document(s) not delivered") {
		t.Fatalf("Close = %v, want 30 undelivered documents and context.Canceled", err)
	}
	if b.Unsettled() != 30 {
		t.Errorf("Unsettled = %d", b.Unsettled())
	}
}

// TestBulkUnreadableAnswerCountsRetries: a 2xx answer that cannot be read
// counts as a retry, so --max-retries dead-letters instead of retrying
// forever.
func TestBulkUnreadableAnswerCountsRetries(t *testing.T) {
	fake := newFakeES(t, 7)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/_bulk" {
			w.Header().Set("X-Elastic-Product", "Elasticsearch")
			io.WriteString(w, `<html>proxy error</html>`) // not a bulk answer
			return
		}
		fake.ServeHTTP(w, r)
	}))
	defer srv.Close()
	dir := t.TempDir()
	dl := NewDeadLetters(filepath.Join(dir, "dlq"))
	b, err := NewBulk(context.Background(), BulkConfig{Transport: esTransport(t, srv.URL), DeadLetters: dl,
		MaxRetries: 2, BackoffInit: time.Millisecond, BackoffMax: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	b.Write(context.Background(), makeBatch(0, 5, nil))
	done := make(chan error, 1)
	go func() { done <- b.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		b.Abort()
		t.Fatal("retried forever despite MaxRetries")
	}
	dl.Close()
	if n := b.Stats.DeadLettered.Load(); n != 5 {
		t.Errorf("dead-lettered %d, want 5", n)
	}
}
