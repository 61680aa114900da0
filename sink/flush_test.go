package sink

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func okAnswer(_ int, docs []string) (int, string, error) {
	return http.StatusOK, allOK(len(docs)), nil
}

// waitRequests waits until the transport saw n requests (or 5 s passed)
// and returns how many it saw.
func waitRequests(tr *scripted, n int) int {
	deadline := time.Now().Add(5 * time.Second)
	for len(tr.requests()) < n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	return len(tr.requests())
}

// TestActionLines: the action line of each document: op type, daily index
// from the document's date, id. A data stream forces op type create.
func TestActionLines(t *testing.T) {
	tests := []struct {
		cfg  BulkConfig
		want string
	}{
		{BulkConfig{}, `{"index":{"_index":"authing-audit-2021.09.22","_id":"id-000000"}}`},
		{BulkConfig{OpType: "create"}, `{"create":{"_index":"authing-audit-2021.09.22","_id":"id-000000"}}`},
		{BulkConfig{Index: "logs-%{+yyyy-MM}"}, `{"index":{"_index":"logs-2021-09","_id":"id-000000"}}`},
		{BulkConfig{DataStream: "logs-authing-default"}, `{"create":{"_index":"logs-authing-default","_id":"id-000000"}}`},
		{BulkConfig{DataStream: "logs-authing-default", OpType: "index"}, `{"create":{"_index":"logs-authing-default","_id":"id-000000"}}`},
	}
	for _, tt := range tests {
		tb := newTestBulk(t, tt.cfg, okAnswer)
		if err := tb.run(t, 1); err != nil {
			t.Fatal(err)
		}
		reqs := tb.tr.requests()
		want := tt.want + "\n" + string(makeBatch(0, 1, nil).Doc(0)) + "\n"
		if len(reqs) != 1 || string(reqs[0]) != want {
			t.Errorf("%+v: sent %q, want %q", tt.cfg, reqs, want)
		}
	}
}

// TestNewBulkRejects: configurations NewBulk refuses, in the user's words.
func TestNewBulkRejects(t *testing.T) {
	dl := NewDeadLetters(filepath.Join(t.TempDir(), "dlq"))
	tests := []struct {
		cfg  BulkConfig
		want string
	}{
		{BulkConfig{DeadLetters: dl}, "no transport"},
		{BulkConfig{Transport: &scripted{}}, "no dead-letter file"},
		{BulkConfig{Transport: &scripted{}, DeadLetters: dl, OpType: "update"}, `op type "update": want index or create`},
		{BulkConfig{Transport: &scripted{}, DeadLetters: dl, Index: "Audit"}, "not a valid index name"},
	}
	for _, tt := range tests {
		b, err := NewBulk(context.Background(), tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: err %v, want %q", tt.cfg, err, tt.want)
		}
		if b != nil {
			t.Errorf("%+v: a sink came back with the error", tt.cfg)
		}
	}
}

// TestFlushLimits: a request goes out as soon as it reaches FlushDocs
// documents or FlushBytes bytes, not one document later.
func TestFlushLimits(t *testing.T) {
	tb := newTestBulk(t, BulkConfig{FlushDocs: 3}, okAnswer)
	if err := tb.Write(context.Background(), makeBatch(0, 2, tb.tok(1))); err != nil {
		t.Fatal(err)
	}
	if err := tb.Write(context.Background(), makeBatch(2, 2, tb.tok(2))); err != nil {
		t.Fatal(err)
	}
	if n := waitRequests(tb.tr, 1); n != 1 {
		t.Fatalf("%d requests after 4 documents with FlushDocs 3, want 1", n)
	}
	if got := strings.Count(string(tb.tr.requests()[0]), "\n"); got != 6 {
		t.Errorf("first request has %d lines, want 3 documents", got/2)
	}
	if err := tb.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(tb.tr.requests()); n != 2 {
		t.Errorf("%d requests after Close, want 2", n)
	}

	// FlushBytes: exactly the size of two documents' lines.
	probe := newTestBulk(t, BulkConfig{}, okAnswer)
	if err := probe.run(t, 2); err != nil {
		t.Fatal(err)
	}
	size := len(probe.tr.requests()[0])
	tb = newTestBulk(t, BulkConfig{FlushBytes: size}, okAnswer)
	if err := tb.Write(context.Background(), makeBatch(0, 3, nil)); err != nil {
		t.Fatal(err)
	}
	if n := waitRequests(tb.tr, 1); n != 1 || len(tb.tr.requests()[0]) != size {
		t.Fatalf("FlushBytes %d: %d requests, want one of 2 documents", size, n)
	}
	tb.Close()
}

// TestFlushInterval: a request that is not full goes out once its first
// document is FlushInterval old — not before, and not much later.
func TestFlushInterval(t *testing.T) {
	tb := newTestBulk(t, BulkConfig{FlushInterval: time.Second}, okAnswer)
	start := time.Now()
	if err := tb.Write(context.Background(), makeBatch(0, 1, nil)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if n := len(tb.tr.requests()); n != 0 {
		t.Fatalf("request sent after %v, before FlushInterval", time.Since(start))
	}
	deadline := start.Add(3500 * time.Millisecond)
	for len(tb.tr.requests()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if len(tb.tr.requests()) != 1 {
		t.Fatalf("no request %v after the write with FlushInterval 1s", time.Since(start))
	}
	if time.Since(start) < time.Second {
		t.Errorf("request sent after %v, before FlushInterval", time.Since(start))
	}
	if err := tb.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestFlush: Flush sends what is buffered; with nothing buffered it sends
// nothing.
func TestFlush(t *testing.T) {
	tb := newTestBulk(t, BulkConfig{}, okAnswer)
	if err := tb.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	tb.Write(context.Background(), makeBatch(0, 2, nil))
	if err := tb.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := waitRequests(tb.tr, 1); n != 1 {
		t.Fatalf("%d requests after Flush, want 1", n)
	}
	if err := tb.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(tb.tr.requests()); n != 1 {
		t.Errorf("%d requests after Close with nothing buffered, want 1", n)
	}
}

// TestWriteEdges: an empty batch is acknowledged at once; a batch without
// metadata, or any batch after Close, is refused.
func TestWriteEdges(t *testing.T) {
	tb := newTestBulk(t, BulkConfig{}, okAnswer)
	if err := tb.Write(context.Background(), &Batch{Token: tb.tok("empty")}); err != nil {
		t.Fatal(err)
	}
	if len(tb.acks) != 1 || tb.acks[0] != "empty" {
		t.Errorf("empty batch: acks %v", tb.acks)
	}
	bad := makeBatch(0, 2, nil)
	bad.Meta = bad.Meta[:1]
	if err := tb.Write(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "without document metadata") {
		t.Errorf("batch without metadata: %v", err)
	}
	if err := tb.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tb.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := tb.Write(context.Background(), makeBatch(0, 1, nil)); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Write after Close: %v", err)
	}
	if len(tb.tr.requests()) != 0 || tb.Unsettled() != 0 {
		t.Errorf("refused batches reached the engine: %d requests, %d unsettled", len(tb.tr.requests()), tb.Unsettled())
	}
}

// TestCloseCause: Close reports why the sink stopped when that was not a
// plain cancellation, even when every document was settled; Abort after
// everything was delivered is no error.
func TestCloseCause(t *testing.T) {
	tb := newTestBulk(t, BulkConfig{}, okAnswer)
	tb.Write(context.Background(), makeBatch(0, 2, nil))
	tb.Flush(context.Background())
	for tb.Unsettled() > 0 {
		time.Sleep(time.Millisecond)
	}
	tb.Abort()
	if err := tb.Close(); err != nil {
		t.Errorf("Close after Abort with everything delivered: %v", err)
	}
	if !errors.Is(tb.Err(), context.Canceled) {
		t.Errorf("Err = %v, want context.Canceled", tb.Err())
	}
	select {
	case <-tb.Done():
	default:
		t.Error("Done not closed after Close")
	}

	boom := errors.New("engine credentials revoked")
	ctx, cancel := context.WithCancelCause(context.Background())
	dl := NewDeadLetters(filepath.Join(t.TempDir(), "dlq"))
	b, err := NewBulk(ctx, BulkConfig{Transport: &scripted{answer: okAnswer}, DeadLetters: dl})
	if err != nil {
		t.Fatal(err)
	}
	if b.Err() != nil {
		t.Errorf("Err of a running sink = %v", b.Err())
	}
	cancel(boom)
	if err := b.Close(); !errors.Is(err, boom) {
		t.Errorf("Close = %v, want the cause %v", err, boom)
	}

	// A clean close: no error, Err says closed.
	tb = newTestBulk(t, BulkConfig{}, okAnswer)
	if err := tb.run(t, 1); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(tb.Err(), errClosed) {
		t.Errorf("Err after Close = %v", tb.Err())
	}
}

// TestBulkHealthLog: engine trouble is logged once per 30 s while it lasts,
// and its end once — with the number of failed requests.
func TestBulkHealthLog(t *testing.T) {
	var logs strings.Builder
	h := &health{log: newTextLogger(&logs), now: time.Now}
	h.failed(503, nil, []byte("busy"))
	h.failed(0, errors.New("refused"), nil)
	h.failed(503, nil, nil)
	if n := strings.Count(logs.String(), "engine requests failing"); n != 1 {
		t.Fatalf("%d warnings for 3 failures within 30 s, want 1:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "failed_requests=1") || !strings.Contains(logs.String(), `reason="status 503: busy"`) {
		t.Errorf("warning: %s", logs.String())
	}
	h.ok()
	if !strings.Contains(logs.String(), "engine recovered") || !strings.Contains(logs.String(), "failed_requests=3") {
		t.Errorf("recovery: %s", logs.String())
	}
	logs.Reset()
	h.ok()
	h.last = time.Time{}
	h.failed(503, nil, nil)
	h.failed(503, nil, nil)
	if strings.Count(logs.String(), "engine requests failing") != 1 || !strings.Contains(logs.String(), "failed_requests=1") {
		t.Errorf("second outage: %s", logs.String())
	}
	h.last = time.Now().Add(-31 * time.Second)
	h.failed(503, nil, nil)
	if strings.Count(logs.String(), "engine requests failing") != 2 || !strings.Contains(logs.String(), "failed_requests=3") {
		t.Errorf("30 s later: %s", logs.String())
	}
	if strings.Contains(logs.String(), "engine recovered") {
		t.Errorf("recovery logged without an outage: %s", logs.String())
	}
	// An outage too short to be warned about ends silently.
	logs.Reset()
	q := &health{log: newTextLogger(&logs), now: time.Now, last: time.Now()}
	q.failed(503, nil, nil)
	q.ok()
	if logs.Len() != 0 {
		t.Errorf("short outage logged: %s", logs.String())
	}
}

func newTextLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
