package sink

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Transport performs HTTP requests against the engine. Both
// *elasticsearch.Client (go-elasticsearch/v8) and *opensearch.Client
// (opensearch-go/v4) satisfy it; they add addresses, authentication and,
// for Elasticsearch, the product check.
type Transport interface {
	Perform(*http.Request) (*http.Response, error)
}

// BulkConfig configures a Bulk sink. Transport is required.
type BulkConfig struct {
	Transport Transport
	// Index is the target index pattern: literal text with %{+FORMAT}
	// parts, where FORMAT is made of yyyy, MM, dd and separators, filled
	// from each document's event date. Default DefaultIndex.
	Index string
	// DataStream, if set, sends every document to this data stream (op
	// type create) instead of Index.
	DataStream string
	// OpType is "index" (default: a re-sent document replaces the stored
	// one) or "create" (a re-sent document is a 409, counted as a
	// duplicate and acknowledged).
	OpType string

	FlushBytes    int           // flush a request at this body size; default DefaultFlushBytes
	FlushDocs     int           // or at this many documents; default DefaultFlushDocs
	FlushInterval time.Duration // or when its first document is this old; default DefaultFlushInterval
	MaxInFlight   int           // concurrent bulk requests; default DefaultMaxInFlight
	Timeout       time.Duration // per request; default DefaultRequestTimeout
	BackoffInit   time.Duration // first retry delay; default 100ms
	BackoffMax    time.Duration // longest retry delay; default 30s
	// MaxRetries is how often a document is retried before it is
	// dead-lettered; 0 (the default) retries forever, relying on
	// back-pressure.
	MaxRetries int

	// DeadLetters receives documents the engine rejects for good. Each
	// written Batch's Token is settled once all its documents are indexed
	// or dead-lettered.
	DeadLetters *DeadLetters
	Logger      *slog.Logger
}

// DefaultIndex is the default index pattern: one index per event day.
const DefaultIndex = "authing-audit-%{+yyyy.MM.dd}"

// BulkStats counts what the sink did.
type BulkStats struct {
	Indexed      atomic.Int64 // documents the engine holds (2xx)
	Duplicates   atomic.Int64 // 409 under op type create: already indexed
	DeadLettered atomic.Int64 // rejected for good and written to the dead-letter file
	Retried      atomic.Int64 // document retries (429, 5xx, timeouts, connection errors)
	Requests     atomic.Int64 // bulk requests sent
	Failures     atomic.Int64 // requests that failed as a whole
	Splits       atomic.Int64 // requests split after 413 or a request-level 400
}

// Bulk indexes documents with the _bulk API. Write and Close may be called
// from one goroutine; acknowledgements come from the request goroutines.
type Bulk struct {
	cfg   BulkConfig
	index indexPattern
	Stats BulkStats

	ctx       context.Context
	cancel    context.CancelCauseFunc
	unsettled atomic.Int64 // documents written but not yet indexed or dead-lettered
	slots     chan struct{}
	spare     chan *request // delivered requests, reused for their buffers
	wg        sync.WaitGroup

	mu      sync.Mutex
	cur     *request
	started time.Time // when cur got its first document
	stop    chan struct{}
	closed  bool

	health health

	// The retry schedule's random source and wait, and the clock of the
	// flush interval (read under mu); tests replace them before the first
	// Write.
	randN func(time.Duration) time.Duration
	pause func(ctx context.Context, d time.Duration)
	now   func() time.Time
}

// request is one bulk body and the documents in it.
type request struct {
	body  []byte
	items []item
}

// item is one document of a request: body[start:end] is its action and
// source lines, body[docStart:end-1] the document.
type item struct {
	start, docStart, end int
	owner                *pending
	line                 int64
	attempts             int
}

// pending tracks a written Batch until all its documents are settled.
type pending struct {
	token     Token
	source    string
	remaining atomic.Int64
}

// NewBulk returns a running sink. Cancelling ctx abandons retries: the
// documents still unsettled are then never acknowledged.
func NewBulk(ctx context.Context, cfg BulkConfig) (*Bulk, error) {
	if cfg.Transport == nil {
		return nil, errors.New("bulk sink: no transport")
	}
	if cfg.Index == "" {
		cfg.Index = DefaultIndex
	}
	if err := checkOpType(cfg.OpType); err != nil {
		return nil, fmt.Errorf("bulk sink: op type %w", err)
	}
	if cfg.OpType == "" {
		cfg.OpType = DefaultOpType
	}
	if cfg.DataStream != "" {
		cfg.OpType = "create" // the only op type data streams accept
	}
	setDefault(&cfg.FlushBytes, DefaultFlushBytes)
	setDefault(&cfg.FlushDocs, DefaultFlushDocs)
	setDefault(&cfg.MaxInFlight, DefaultMaxInFlight)
	setDefault(&cfg.FlushInterval, DefaultFlushInterval)
	setDefault(&cfg.Timeout, DefaultRequestTimeout)
	setDefault(&cfg.BackoffInit, 100*time.Millisecond)
	setDefault(&cfg.BackoffMax, 30*time.Second)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.DeadLetters == nil {
		return nil, errors.New("bulk sink: no dead-letter file")
	}
	idx, err := parseIndexPattern(cfg.Index)
	if err != nil {
		return nil, err
	}
	if cfg.DataStream != "" {
		idx = indexPattern{parts: []indexPart{{lit: cfg.DataStream}}}
	}
	b := &Bulk{cfg: cfg, index: idx, slots: make(chan struct{}, cfg.MaxInFlight), stop: make(chan struct{}),
		spare: make(chan *request, cfg.MaxInFlight+1),
		randN: rand.N[time.Duration], pause: pause, now: time.Now}
	b.health.log, b.health.now = cfg.Logger, time.Now
	b.ctx, b.cancel = context.WithCancelCause(ctx)
	b.wg.Add(1)
	go b.ticker()
	return b, nil
}

func setDefault[T int | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

// Write appends the batch's documents to the current request, sending it
// when full. It blocks while MaxInFlight requests are outstanding.
func (b *Bulk) Write(ctx context.Context, batch *Batch) error {
	if batch.Len() == 0 {
		if batch.Token != nil {
			batch.Token.Settled()
		}
		return nil
	}
	if len(batch.Meta) != batch.Len() {
		return errors.New("bulk sink: batch without document metadata")
	}
	p := &pending{token: batch.Token, source: batch.Source}
	p.remaining.Store(int64(batch.Len()))
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return errors.New("bulk sink: closed")
	}
	for i := range batch.Len() {
		if b.cur == nil {
			b.cur = b.newRequest()
			b.started = b.now()
		}
		r := b.cur
		it := item{start: len(r.body), owner: p, line: batch.Meta[i].Line}
		r.body = b.appendAction(r.body, batch.ID(i), batch.Meta[i].Date)
		it.docStart = len(r.body)
		r.body = append(r.body, batch.Doc(i)...)
		r.body = append(r.body, '\n')
		it.end = len(r.body)
		r.items = append(r.items, it)
		b.unsettled.Add(1)
		if len(r.body) >= b.cfg.FlushBytes || len(r.items) >= b.cfg.FlushDocs {
			if err := b.sendLocked(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

func (b *Bulk) appendAction(dst, id []byte, date uint32) []byte {
	dst = append(dst, `{"`...)
	dst = append(dst, b.cfg.OpType...)
	dst = append(dst, `":{"_index":"`...)
	dst = b.index.append(dst, date)
	dst = append(dst, `","_id":"`...)
	dst = append(dst, id...) // AppendID ids need no escaping
	return append(dst, "\"}}\n"...)
}

// sendLocked hands the current request to a request goroutine, waiting for
// a free slot: this wait is the back-pressure.
func (b *Bulk) sendLocked(ctx context.Context) error {
	r := b.cur
	if r == nil {
		return nil
	}
	select {
	case b.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	case <-b.ctx.Done():
		return context.Cause(b.ctx)
	}
	b.cur = nil
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		defer func() { <-b.slots }()
		b.deliver(r)
		b.recycle(r)
	}()
	return nil
}

// newRequest returns an empty request, reusing a delivered one's buffers
// when there is one: at most MaxInFlight+1 bodies of ~FlushBytes live at
// once instead of a fresh one per request (issue 12).
func (b *Bulk) newRequest() *request {
	select {
	case r := <-b.spare:
		return r
	default:
		return &request{body: make([]byte, 0, b.cfg.FlushBytes+b.cfg.FlushBytes/8)}
	}
}

// recycle keeps a delivered request for reuse; deliver works on copies
// (retries, splits), so nothing refers to r's buffers any more. Bodies
// that grew past twice FlushBytes (one huge document) are dropped.
func (b *Bulk) recycle(r *request) {
	if cap(r.body) > 2*b.cfg.FlushBytes+b.cfg.FlushBytes/4 {
		return
	}
	clear(r.items) // drop the pending pointers
	r.body, r.items = r.body[:0], r.items[:0]
	select {
	case b.spare <- r:
	default:
	}
}

// ticker flushes a request whose first document waited FlushInterval.
func (b *Bulk) ticker() {
	defer b.wg.Done()
	t := time.NewTicker(b.cfg.FlushInterval / 4)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-b.ctx.Done():
			return
		case <-t.C:
			b.mu.Lock()
			if b.cur != nil && b.now().Sub(b.started) >= b.cfg.FlushInterval {
				_ = b.sendLocked(b.ctx) // only fails when the sink is cancelled
			}
			b.mu.Unlock()
		}
	}
}

// Flush sends the current request without waiting for it to complete.
func (b *Bulk) Flush(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sendLocked(ctx)
}

// Close sends what is buffered and waits until every document is settled
// (or the sink's context is cancelled). It returns an error when documents
// remain unsettled — wrapping context.Canceled when the sink was cancelled
// (shutdown timeout), or the sink's failure (ErrDeadLetterFailed) — so
// that the caller never reports success for documents the engine does not
// hold. Idempotent: only the first call reports.
func (b *Bulk) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	_ = b.sendLocked(b.ctx) // fails only when cancelled: counted below
	close(b.stop)
	b.mu.Unlock()
	b.wg.Wait()
	cause := context.Cause(b.ctx)
	b.cancel(errClosed)
	if n := b.unsettled.Load(); n > 0 {
		if cause == nil {
			cause = errClosed
		}
		return fmt.Errorf("bulk sink: %d document(s) not delivered: %w", n, cause)
	}
	if cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return nil
}

// Unsettled returns how many written documents are neither indexed nor
// dead-lettered yet.
func (b *Bulk) Unsettled() int64 { return b.unsettled.Load() }

// Err returns nil while the sink runs, and why it stopped afterwards.
func (b *Bulk) Err() error { return context.Cause(b.ctx) }

// Done is closed when the sink stops (closed, cancelled or failed).
func (b *Bulk) Done() <-chan struct{} { return b.ctx.Done() }

var errClosed = errors.New("bulk sink: closed")

// ErrDeadLetterFailed is the cause when the sink stopped because a rejected
// document could not be written to the dead-letter file.
var ErrDeadLetterFailed = errors.New("bulk sink stopped: the dead-letter file failed")

// Abort cancels retries; unsettled documents are never acknowledged.
func (b *Bulk) Abort() { b.cancel(context.Canceled) }

// deliver sends r until every item is settled: indexed, duplicate or dead
// letter. Retryable failures are retried with exponential backoff and
// jitter, only for the items that failed.
func (b *Bulk) deliver(r *request) {
	queue := []*request{r}
	attempt := 0
	for len(queue) > 0 {
		r := queue[0]
		queue = queue[1:]
		for len(r.items) > 0 {
			if b.ctx.Err() != nil {
				return
			}
			status, body, err := b.send(r.body)
			b.Stats.Requests.Add(1)
			switch {
			case err != nil || status == http.StatusTooManyRequests || status >= 500 ||
				status == http.StatusUnauthorized || status == http.StatusForbidden || status == http.StatusNotFound:
				// The whole request failed: the engine is down, overloaded
				// or misconfigured. Retry it all; bounded memory comes from
				// this goroutine holding its slot meanwhile.
				b.Stats.Failures.Add(1)
				b.health.failed(status, err, body)
				r = b.retryAll(r, describe(status, err, body))
				attempt++
				b.sleep(attempt)
			case status == http.StatusRequestEntityTooLarge || status == http.StatusBadRequest:
				if len(r.items) == 1 {
					b.deadLetter(r, r.items[0], fmt.Sprintf("request rejected: %s", describe(status, nil, body)))
					r = &request{}
					continue
				}
				b.Stats.Splits.Add(1)
				left, right := r.split()
				queue = append([]*request{left, right}, queue...)
				r = &request{}
			case status >= 200 && status < 300:
				b.health.ok()
				retry, perr := b.settle(r, body)
				if perr != nil {
					// An answer we cannot read: we do not know what the
					// engine holds. Re-sending is safe (ids are stable).
					b.health.failed(status, perr, nil)
					retry = b.retryAll(r, perr.Error())
				}
				if len(retry.items) > 0 {
					attempt++
					b.sleep(attempt)
				} else {
					attempt = 0
				}
				r = retry
			default:
				// Any other status: treat like a transient failure.
				b.Stats.Failures.Add(1)
				b.health.failed(status, nil, body)
				r = b.retryAll(r, describe(status, nil, body))
				attempt++
				b.sleep(attempt)
			}
		}
	}
}

// send performs one bulk request.
func (b *Bulk) send(body []byte) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(b.ctx, b.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "/_bulk", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.ContentLength = int64(len(body))
	res, err := b.cfg.Transport.Perform(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	rb, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, fmt.Errorf("read bulk response: %w", err)
	}
	return res.StatusCode, rb, nil
}

// bulkResponse is the part of the _bulk answer we read.
type bulkResponse struct {
	Errors bool `json:"errors"`
	Items  []map[string]struct {
		Status int             `json:"status"`
		Error  json.RawMessage `json:"error"`
	} `json:"items"`
}

// settle applies a 2xx bulk answer: it acknowledges indexed items,
// dead-letters rejected ones and returns a request with those to retry.
func (b *Bulk) settle(r *request, body []byte) (*request, error) {
	if !bytes.Contains(body[:min(len(body), 64)], []byte(`"errors":true`)) && bytes.Contains(body[:min(len(body), 64)], []byte(`"errors":false`)) {
		for _, it := range r.items {
			b.Stats.Indexed.Add(1)
			b.done(it)
		}
		return &request{}, nil
	}
	var resp bulkResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("bulk response: %w", err)
	}
	if len(resp.Items) != len(r.items) {
		return nil, fmt.Errorf("bulk response has %d items for %d documents", len(resp.Items), len(r.items))
	}
	retry := &request{}
	for i, it := range r.items {
		var status int
		var reason json.RawMessage
		for _, v := range resp.Items[i] {
			status, reason = v.Status, v.Error
		}
		switch {
		case status >= 200 && status < 300:
			b.Stats.Indexed.Add(1)
			b.done(it)
		case status == http.StatusConflict && b.cfg.OpType == "create":
			b.Stats.Duplicates.Add(1)
			b.done(it)
		case status == http.StatusTooManyRequests || status >= 500:
			it.attempts++
			if b.cfg.MaxRetries > 0 && it.attempts > b.cfg.MaxRetries {
				b.deadLetter(r, it, fmt.Sprintf("gave up after %d retries: status %d: %s", b.cfg.MaxRetries, status, reason))
				continue
			}
			b.Stats.Retried.Add(1)
			retry.add(r, it)
		default:
			b.deadLetter(r, it, fmt.Sprintf("status %d: %s", status, reason))
		}
	}
	return retry, nil
}

// retryAll returns r itself with every item's attempt counted; items over
// MaxRetries are dead-lettered.
func (b *Bulk) retryAll(r *request, why string) *request {
	if b.cfg.MaxRetries <= 0 {
		b.Stats.Retried.Add(int64(len(r.items)))
		return r
	}
	next := &request{}
	for _, it := range r.items {
		it.attempts++
		if it.attempts > b.cfg.MaxRetries {
			b.deadLetter(r, it, fmt.Sprintf("gave up after %d retries: %s", b.cfg.MaxRetries, why))
			continue
		}
		b.Stats.Retried.Add(1)
		next.add(r, it)
	}
	return next
}

// add copies item it of request from into r.
func (r *request) add(from *request, it item) {
	shift := len(r.body) - it.start
	r.body = append(r.body, from.body[it.start:it.end]...)
	it.start += shift
	it.docStart += shift
	it.end += shift
	r.items = append(r.items, it)
}

// split halves a request.
func (r *request) split() (*request, *request) {
	half := len(r.items) / 2
	left, right := &request{}, &request{}
	for i, it := range r.items {
		if i < half {
			left.add(r, it)
		} else {
			right.add(r, it)
		}
	}
	return left, right
}

func (b *Bulk) deadLetter(r *request, it item, reason string) {
	doc := r.body[it.docStart : it.end-1]
	l := DeadLetter{Source: it.owner.source, Line: it.line, Stage: "index", Reason: reason}
	if json.Valid(doc) {
		l.Doc = json.RawMessage(doc)
	}
	if err := b.cfg.DeadLetters.Add(l, nil); err != nil {
		// The letter could not be stored: keep the document unsettled so
		// that it is never acknowledged, and stop.
		b.cfg.Logger.Error("dead-letter file failed; stopping the sink", "err", err)
		b.cancel(fmt.Errorf("%w: %w", ErrDeadLetterFailed, err))
		return
	}
	b.Stats.DeadLettered.Add(1)
	b.done(it)
}

func (b *Bulk) done(it item) {
	b.unsettled.Add(-1)
	if it.owner.remaining.Add(-1) == 0 && it.owner.token != nil {
		it.owner.token.Settled()
	}
}

// sleep waits before retry number attempt, or until the sink stops.
func (b *Bulk) sleep(attempt int) { b.pause(b.ctx, b.backoff(attempt)) }

// backoff returns the delay before retry number attempt (1-based):
// exponential, capped, with jitter (half fixed, half random), so that
// retrying shippers spread out.
func (b *Bulk) backoff(attempt int) time.Duration {
	d := min(b.cfg.BackoffInit<<min(attempt-1, 20), b.cfg.BackoffMax)
	if d <= 0 { // the shift overflowed
		d = b.cfg.BackoffMax
	}
	return d/2 + b.randN(d/2+1)
}

// pause waits d or until ctx ends.
func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

func describe(status int, err error, body []byte) string {
	if err != nil {
		return err.Error()
	}
	s := "status " + strconv.Itoa(status)
	if len(body) > 0 {
		s += ": " + string(body[:min(len(body), 512)])
	}
	return s
}

// health logs engine trouble at most once every 30 s while it lasts, and
// once when it ends: never once per request or document.
type health struct {
	log    *slog.Logger
	now    func() time.Time
	mu     sync.Mutex
	down   bool
	warned bool
	since  time.Time
	last   time.Time
	count  int
}

func (h *health) failed(status int, err error, body []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.count++
	now := h.now()
	if !h.down {
		h.down, h.since = true, now
	}
	if now.Sub(h.last) >= 30*time.Second {
		h.last, h.warned = now, true
		h.log.Warn("engine requests failing; retrying with backoff", "for", now.Sub(h.since).Round(time.Millisecond),
			"failed_requests", h.count, "reason", describe(status, err, body))
	}
}

func (h *health) ok() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down && h.warned {
		h.log.Info("engine recovered", "after", h.now().Sub(h.since).Round(time.Millisecond), "failed_requests", h.count)
	}
	h.down, h.warned, h.count = false, false, 0
}
