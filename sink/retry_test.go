package sink

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// scripted is a Transport that answers each bulk request with what answer
// returns for it, without HTTP. It records every request body.
type scripted struct {
	mu     sync.Mutex
	bodies [][]byte
	answer func(n int, docs []string) (status int, body string, err error)
}

func (s *scripted) Perform(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.bodies = append(s.bodies, body)
	n := len(s.bodies)
	s.mu.Unlock()
	var docs []string
	lines := strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")
	for i := 1; i < len(lines); i += 2 {
		docs = append(docs, lines[i])
	}
	status, rb, err := s.answer(n, docs)
	if err != nil {
		return nil, err
	}
	return &http.Response{StatusCode: status, Body: io.NopCloser(strings.NewReader(rb)), Header: http.Header{}}, nil
}

func (s *scripted) requests() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.bodies)
}

// itemsAnswer is a 200 bulk answer with one item per document, each with
// the status status(i) returns.
func itemsAnswer(op string, n int, status func(i int) int) string {
	var items []string
	errs := false
	for i := range n {
		st := status(i)
		item := fmt.Sprintf(`{%q:{"_index":"x","status":%d`, op, st)
		if st >= 300 || st < 200 {
			errs = true
			item += fmt.Sprintf(`,"error":{"type":"t%d","reason":"r%d"}`, st, st)
		}
		items = append(items, item+"}}")
	}
	return fmt.Sprintf(`{"took":1,"errors":%v,"items":[%s]}`, errs, strings.Join(items, ","))
}

func allOK(n int) string { return itemsAnswer("index", n, func(int) int { return 201 }) }

// testBulk is a Bulk on a scripted transport whose retries do not wait:
// each backoff is recorded instead, with the jitter at its maximum.
type testBulk struct {
	*Bulk
	tr     *scripted
	dl     *DeadLetters
	dlPath string
	mu     sync.Mutex
	waits  []time.Duration
	acks   []any
}

func newTestBulk(t *testing.T, cfg BulkConfig, answer func(n int, docs []string) (int, string, error)) *testBulk {
	t.Helper()
	tb := &testBulk{tr: &scripted{answer: answer}, dlPath: filepath.Join(t.TempDir(), "dlq")}
	tb.dl = NewDeadLetters(tb.dlPath)
	cfg.Transport, cfg.DeadLetters = tb.tr, tb.dl
	if cfg.FlushInterval == 0 {
		cfg.FlushInterval = time.Hour // only Flush, Close and the size limits send
	}
	b, err := NewBulk(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	b.randN = func(n time.Duration) time.Duration { return n - 1 }
	b.pause = func(_ context.Context, d time.Duration) {
		tb.mu.Lock()
		tb.waits = append(tb.waits, d)
		tb.mu.Unlock()
	}
	tb.Bulk = b
	t.Cleanup(func() { b.Abort(); tb.dl.Close() })
	return tb
}

// run writes n documents as one batch and closes the sink, failing the
// test if Close does not return within 10 s.
func (tb *testBulk) run(t *testing.T, n int) error {
	t.Helper()
	if err := tb.Write(context.Background(), makeBatch(0, n, tb.tok("tok"))); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- tb.Close() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		tb.Abort()
		t.Fatalf("Close did not return: %d requests sent", len(tb.tr.requests()))
		return nil
	}
}

func (tb *testBulk) stats() [6]int64 {
	s := &tb.Stats
	return [6]int64{s.Requests.Load(), s.Failures.Load(), s.Retried.Load(), s.Indexed.Load(), s.DeadLettered.Load(), s.Duplicates.Load()}
}

// TestBackoffSchedule pins the retry delays: BackoffInit doubling per
// attempt, capped at BackoffMax (also when the shift overflows), half
// fixed and half random.
func TestBackoffSchedule(t *testing.T) {
	const ms = time.Millisecond
	tests := []struct {
		init, max time.Duration
		attempt   int
		hi, lo    time.Duration // with the most and the least jitter
	}{
		{100 * ms, time.Second, 1, 100 * ms, 50 * ms},
		{100 * ms, time.Second, 2, 200 * ms, 100 * ms},
		{100 * ms, time.Second, 3, 400 * ms, 200 * ms},
		{100 * ms, time.Second, 4, 800 * ms, 400 * ms},
		{100 * ms, time.Second, 5, time.Second, 500 * ms},
		{250 * ms, time.Second, 3, time.Second, 500 * ms},
		{ms, time.Hour, 21, 1 << 20 * ms, 1 << 19 * ms},
		{ms, time.Hour, 40, 1 << 20 * ms, 1 << 19 * ms}, // the exponent stops at 20
		// 1<<44 ns << 20 overflows to 0, 1<<43 ns << 20 to a negative value:
		// both mean "too long", i.e. BackoffMax.
		{1 << 44, time.Hour, 21, time.Hour, time.Hour / 2},
		{1 << 43, time.Hour, 21, time.Hour, time.Hour / 2},
	}
	for _, tt := range tests {
		var arg time.Duration
		b := &Bulk{cfg: BulkConfig{BackoffInit: tt.init, BackoffMax: tt.max}}
		b.randN = func(n time.Duration) time.Duration { arg = n; return n - 1 }
		if got := b.backoff(tt.attempt); got != tt.hi {
			t.Errorf("init %v max %v attempt %d: most jitter %v, want %v", tt.init, tt.max, tt.attempt, got, tt.hi)
		}
		if arg != tt.lo+1 {
			t.Errorf("init %v max %v attempt %d: random part drawn from [0,%v), want [0,%v)", tt.init, tt.max, tt.attempt, arg, tt.lo+1)
		}
		b.randN = func(time.Duration) time.Duration { return 0 }
		if got := b.backoff(tt.attempt); got != tt.lo {
			t.Errorf("init %v max %v attempt %d: least jitter %v, want %v", tt.init, tt.max, tt.attempt, got, tt.lo)
		}
	}
}

// TestBackoffDefaults: NewBulk's own random source and defaults give
// delays within [d/2, d], and its pause returns when the sink stops.
func TestBackoffDefaults(t *testing.T) {
	b, err := NewBulk(context.Background(), BulkConfig{Transport: &scripted{}, DeadLetters: NewDeadLetters(filepath.Join(t.TempDir(), "dlq"))})
	if err != nil {
		t.Fatal(err)
	}
	if b.cfg.BackoffInit != 100*time.Millisecond || b.cfg.BackoffMax != 30*time.Second || b.cfg.OpType != "index" ||
		b.cfg.FlushBytes != 5<<20 || b.cfg.FlushDocs != 5000 || b.cfg.MaxInFlight != 2 || b.cfg.FlushInterval != time.Second ||
		b.cfg.Timeout != time.Minute || b.cfg.Index != DefaultIndex {
		t.Errorf("defaults: %+v", b.cfg)
	}
	spread := map[time.Duration]bool{}
	for range 200 {
		d := b.backoff(1)
		if d < 50*time.Millisecond || d > 100*time.Millisecond {
			t.Fatalf("backoff(1) = %v, want within [50ms, 100ms]", d)
		}
		spread[d] = true
	}
	if len(spread) < 10 {
		t.Errorf("backoff(1) took only %d values in 200 draws: no jitter", len(spread))
	}
	b.Abort()
	start := time.Now()
	b.sleep(20) // 30 s unless the sink's end cuts it short
	if time.Since(start) > 5*time.Second {
		t.Error("sleep did not return when the sink stopped")
	}
	start = time.Now()
	pause(context.Background(), 20*time.Millisecond)
	if time.Since(start) < 20*time.Millisecond {
		t.Error("pause returned early")
	}
}

// TestRetryScheduleWholeRequest: a request that fails as a whole is re-sent
// after BackoffInit, 2×, 4× …; a success resets the schedule for the next
// request of the queue.
func TestRetryScheduleWholeRequest(t *testing.T) {
	tb := newTestBulk(t, BulkConfig{BackoffInit: 10 * time.Millisecond, BackoffMax: time.Second},
		func(n int, docs []string) (int, string, error) {
			if n <= 3 {
				return http.StatusServiceUnavailable, "", nil
			}
			return http.StatusOK, allOK(len(docs)), nil
		})
	if err := tb.run(t, 4); err != nil {
		t.Fatal(err)
	}
	if want := []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond}; !slices.Equal(tb.waits, want) {
		t.Errorf("waits %v, want %v", tb.waits, want)
	}
	// requests, failures, retries, indexed, dead, duplicates
	if got, want := tb.stats(), [6]int64{4, 3, 12, 4, 0, 0}; got != want {
		t.Errorf("stats %v, want %v", got, want)
	}
	reqs := tb.tr.requests()
	for i := 1; i < len(reqs); i++ {
		if !bytes.Equal(reqs[i], reqs[0]) {
			t.Errorf("retry %d sent\n%s\nwant the same request\n%s", i, reqs[i], reqs[0])
		}
	}
	if len(tb.acks) != 1 || tb.acks[0] != "tok" {
		t.Errorf("acks %v", tb.acks)
	}

	// 413 splits 2 documents; each half fails once, then succeeds: the
	// second half starts its schedule afresh.
	tb = newTestBulk(t, BulkConfig{BackoffInit: 10 * time.Millisecond, BackoffMax: time.Second},
		func(n int, docs []string) (int, string, error) {
			switch n {
			case 1:
				return http.StatusRequestEntityTooLarge, "", nil
			case 2, 4:
				return http.StatusTooManyRequests, "", nil
			}
			return http.StatusOK, allOK(len(docs)), nil
		})
	if err := tb.run(t, 2); err != nil {
		t.Fatal(err)
	}
	if want := []time.Duration{10 * time.Millisecond, 10 * time.Millisecond}; !slices.Equal(tb.waits, want) {
		t.Errorf("after a split: waits %v, want %v", tb.waits, want)
	}
	if got, want := tb.stats(), [6]int64{5, 2, 2, 2, 0, 0}; got != want || tb.Stats.Splits.Load() != 1 {
		t.Errorf("after a split: stats %v splits %d, want %v and 1 split", got, tb.Stats.Splits.Load(), want)
	}
}

// TestMaxRetriesWholeRequest: with MaxRetries n, a request that keeps
// failing is sent exactly n+1 times, then its documents are dead-lettered;
// MaxRetries 0 retries until the engine answers.
func TestMaxRetriesWholeRequest(t *testing.T) {
	for _, max := range []int{1, 2, 3} {
		tb := newTestBulk(t, BulkConfig{MaxRetries: max}, func(int, []string) (int, string, error) {
			return http.StatusServiceUnavailable, "", nil
		})
		if err := tb.run(t, 3); err != nil {
			t.Fatal(err)
		}
		if got, want := tb.stats(), [6]int64{int64(max + 1), int64(max + 1), int64(3 * max), 0, 3, 0}; got != want {
			t.Errorf("MaxRetries %d: stats %v, want %v", max, got, want)
		}
		tb.dl.Close()
		letters := readLetters(t, tb.dlPath)
		if len(letters) != 3 {
			t.Fatalf("MaxRetries %d: %d letters", max, len(letters))
		}
		for i, l := range letters {
			want := fmt.Sprintf("gave up after %d retries: status 503", max)
			if l.Reason != want || l.Stage != "index" || l.Line != int64(i+1) || l.Source != "audit.2021-09-22.log" ||
				!strings.Contains(string(l.Doc), fmt.Sprintf(`"logId":"id-%06d"`, i)) {
				t.Errorf("MaxRetries %d: letter %d = %+v, want reason %q", max, i, l, want)
			}
		}
		if len(tb.acks) != 1 {
			t.Errorf("MaxRetries %d: dead-lettered batch acknowledged %d times", max, len(tb.acks))
		}
	}

	tb := newTestBulk(t, BulkConfig{}, func(n int, docs []string) (int, string, error) {
		if n <= 5 {
			return http.StatusBadGateway, "", nil
		}
		return http.StatusOK, allOK(len(docs)), nil
	})
	if err := tb.run(t, 2); err != nil {
		t.Fatal(err)
	}
	if got, want := tb.stats(), [6]int64{6, 5, 10, 2, 0, 0}; got != want {
		t.Errorf("MaxRetries 0: stats %v, want %v", got, want)
	}
}

// TestMaxRetriesPerItem: documents the engine answers 429 or 5xx for are
// re-sent alone, at most MaxRetries times; the others are settled at once.
func TestMaxRetriesPerItem(t *testing.T) {
	for _, max := range []int{1, 2} {
		// Documents 1 and 3 of 0..3 always fail (429 and 500).
		tb := newTestBulk(t, BulkConfig{MaxRetries: max}, func(n int, docs []string) (int, string, error) {
			return http.StatusOK, itemsAnswer("index", len(docs), func(i int) int {
				switch {
				case strings.Contains(docs[i], "id-000001"):
					return 429
				case strings.Contains(docs[i], "id-000003"):
					return 500
				}
				return 201
			}), nil
		})
		if err := tb.run(t, 4); err != nil {
			t.Fatal(err)
		}
		if got, want := tb.stats(), [6]int64{int64(max + 1), 0, int64(2 * max), 2, 2, 0}; got != want {
			t.Errorf("MaxRetries %d: stats %v, want %v", max, got, want)
		}
		reqs := tb.tr.requests()
		first := strings.Split(string(reqs[0]), "\n")
		want := strings.Join([]string{first[2], first[3], first[6], first[7], ""}, "\n")
		for i, r := range reqs[1:] {
			if string(r) != want {
				t.Errorf("MaxRetries %d: retry %d sent\n%s\nwant only the failed documents\n%s", max, i+1, r, want)
			}
		}
		tb.dl.Close()
		letters := readLetters(t, tb.dlPath)
		if len(letters) != 2 || letters[0].Line != 2 || letters[1].Line != 4 ||
			letters[0].Reason != fmt.Sprintf(`gave up after %d retries: status 429: {"type":"t429","reason":"r429"}`, max) {
			t.Errorf("MaxRetries %d: letters %+v", max, letters)
		}
	}

	tb := newTestBulk(t, BulkConfig{}, func(n int, docs []string) (int, string, error) {
		st := 503
		if n > 4 {
			st = 201
		}
		return http.StatusOK, itemsAnswer("index", len(docs), func(int) int { return st }), nil
	})
	if err := tb.run(t, 3); err != nil {
		t.Fatal(err)
	}
	if got, want := tb.stats(), [6]int64{5, 0, 12, 3, 0, 0}; got != want {
		t.Errorf("MaxRetries 0: stats %v, want %v", got, want)
	}
	if len(tb.waits) != 4 || tb.waits[3] != 8*100*time.Millisecond {
		t.Errorf("item retries: waits %v, want 100ms doubling 4 times", tb.waits)
	}
}
