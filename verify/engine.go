package verify

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
	"net/url"
	"strings"
	"time"

	"github.com/ingestd/ingestd/sink"
)

// maxAnswer bounds one engine answer held in memory.
const maxAnswer = 256 << 20

// engine performs the lookups, retrying transient failures.
type engine struct {
	tr       sink.Transport
	timeout  time.Duration
	attempts int
	backoff  time.Duration
	log      *slog.Logger
}

// EngineError is a request the engine did not answer usably after every
// attempt: the documents it covered were not checked.
type EngineError struct {
	What     string // e.g. "_mget of 2000 documents"
	Attempts int
	Err      error
}

func (e *EngineError) Error() string {
	return fmt.Sprintf("engine: %s failed after %d attempt(s), documents not checked: %v", e.What, e.Attempts, e.Err)
}

func (e *EngineError) Unwrap() error { return e.Err }

// errPermanent marks answers that retrying cannot change (4xx).
var errPermanent = errors.New("rejected by the engine")

// do sends one request and returns the body of a 2xx answer. Connection
// errors, timeouts, 429 and 5xx are retried with backoff.
func (e *engine) do(ctx context.Context, what, method, path string, body []byte) ([]byte, error) {
	var last error
	for attempt := 1; attempt <= e.attempts; attempt++ {
		b, err := e.once(ctx, method, path, body)
		if err == nil {
			return b, nil
		}
		last = err
		if errors.Is(err, errPermanent) || ctx.Err() != nil {
			return nil, &EngineError{What: what, Attempts: attempt, Err: err}
		}
		if attempt < e.attempts {
			d := e.backoff << min(attempt-1, 10)
			d = d/2 + rand.N(d/2+1)
			e.log.Debug("engine request failed; retrying", "what", what, "attempt", attempt, "err", err)
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return nil, &EngineError{What: what, Attempts: attempt, Err: context.Cause(ctx)}
			}
		}
	}
	return nil, &EngineError{What: what, Attempts: e.attempts, Err: last}
}

func (e *engine) once(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, path, rd)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errPermanent, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		req.ContentLength = int64(len(body))
	}
	res, err := e.tr.Perform(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var b []byte
	if n := res.ContentLength; n > 0 && n <= maxAnswer {
		// Known size: one allocation instead of ReadAll's doublings.
		b = make([]byte, n)
		_, err = io.ReadFull(res.Body, b)
	} else {
		b, err = io.ReadAll(io.LimitReader(res.Body, maxAnswer+1))
	}
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	if len(b) > maxAnswer {
		return nil, fmt.Errorf("%w: answer over %d MiB (use a smaller --check-docs)", errPermanent, maxAnswer>>20)
	}
	switch {
	case res.StatusCode/100 == 2:
		return b, nil
	case res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500:
		return nil, fmt.Errorf("status %d: %s", res.StatusCode, excerpt(b))
	default:
		return nil, fmt.Errorf("%w: status %d: %s", errPermanent, res.StatusCode, excerpt(b))
	}
}

func excerpt(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// mgetDoc is one document as the engine answered it.
type mgetDoc struct {
	Index  string          `json:"_index"`
	ID     string          `json:"_id"`
	Found  bool            `json:"found"`
	Source json.RawMessage `json:"_source"`
	Error  json.RawMessage `json:"error"`
}

// lookup is one document to fetch.
type lookup struct {
	index, id string
}

// fetch returns the stored _source of docs, in order (Found false when
// the search does not find it). Per index, one search with an ids query
// fetches the documents: measured faster than _mget, and much faster than
// any _source filtering (see BENCHMARKS.md). A search sees what was
// refreshed; the caller confirms what looks missing or altered with
// mget, which is real-time.
func (e *engine) fetch(ctx context.Context, docs []lookup) ([]mgetDoc, error) {
	out := make([]mgetDoc, len(docs))
	byIndex := map[string][]int{}
	var order []string
	for i, d := range docs {
		if byIndex[d.index] == nil {
			order = append(order, d.index)
		}
		byIndex[d.index] = append(byIndex[d.index], i)
	}
	for _, index := range order {
		idx := byIndex[index]
		found, err := e.search(ctx, index, docs, idx)
		if err != nil {
			return nil, err
		}
		for _, i := range idx {
			if src, ok := found[docs[i].id]; ok {
				out[i] = mgetDoc{Index: index, ID: docs[i].id, Found: true, Source: src}
			}
		}
	}
	return out, nil
}

// search fetches the documents docs[idx] of one index by _id.
func (e *engine) search(ctx context.Context, index string, docs []lookup, idx []int) (map[string]json.RawMessage, error) {
	body := make([]byte, 0, 48*len(idx)+128)
	body = fmt.Appendf(body, `{"size":%d,"track_total_hits":false,"sort":["_doc"],"query":{"ids":{"values":[`, len(idx))
	for j, i := range idx {
		if j > 0 {
			body = append(body, ',')
		}
		body = appendJSONString(body, docs[i].id)
	}
	body = append(body, "]}}}"...)
	what := fmt.Sprintf("search of %d documents in %s", len(idx), index)
	ans, err := e.do(ctx, what, http.MethodPost, "/"+url.PathEscape(index)+"/_search?ignore_unavailable=true&allow_no_indices=true", body)
	if err != nil {
		return nil, err
	}
	r, err := parseSearch(ans)
	if err != nil {
		return nil, &EngineError{What: what, Attempts: 1, Err: fmt.Errorf("unreadable answer: %w", err)}
	}
	if r.failedShards > 0 {
		// A failed shard hides its documents: they are not missing.
		return nil, &EngineError{What: what, Attempts: 1, Err: fmt.Errorf("%d shard(s) failed: %s", r.failedShards, excerpt(ans))}
	}
	found := make(map[string]json.RawMessage, len(r.hits))
	for _, h := range r.hits {
		if h.Index == index {
			found[h.ID] = h.Source
		}
	}
	return found, nil
}

// mget fetches docs, in order, with the real-time get API. A document
// whose index does not exist is reported not found; any other
// per-document error fails the whole request.
func (e *engine) mget(ctx context.Context, docs []lookup) ([]mgetDoc, error) {
	body := make([]byte, 0, 64*len(docs)+16)
	body = append(body, `{"docs":[`...)
	for i, d := range docs {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, `{"_index":`...)
		body = appendJSONString(body, d.index)
		body = append(body, `,"_id":`...)
		body = appendJSONString(body, d.id)
		body = append(body, '}')
	}
	body = append(body, "]}"...)
	what := fmt.Sprintf("_mget of %d documents", len(docs))
	ans, err := e.do(ctx, what, http.MethodPost, "/_mget", body)
	if err != nil {
		return nil, err
	}
	var r struct {
		Docs []mgetDoc `json:"docs"`
	}
	if err := json.Unmarshal(ans, &r); err != nil {
		return nil, &EngineError{What: what, Attempts: 1, Err: fmt.Errorf("unreadable answer: %w", err)}
	}
	if len(r.Docs) != len(docs) {
		return nil, &EngineError{What: what, Attempts: 1, Err: fmt.Errorf("answer has %d documents for %d asked", len(r.Docs), len(docs))}
	}
	for i := range r.Docs {
		d := &r.Docs[i]
		if len(d.Error) > 0 && string(d.Error) != "null" {
			if bytes.Contains(d.Error, []byte("index_not_found_exception")) {
				d.Found = false
				continue
			}
			return nil, &EngineError{What: what, Attempts: 1, Err: fmt.Errorf("document %s in %s: %s", d.ID, d.Index, excerpt(d.Error))}
		}
	}
	return r.Docs, nil
}

func appendJSONString(dst []byte, s string) []byte {
	b, _ := json.Marshal(s) // a string always marshals
	return append(dst, b...)
}

// hit is one document found by a scan.
type hit struct {
	Index  string `json:"_index"`
	ID     string `json:"_id"`
	Source struct {
		Path string `json:"path"`
		Host string `json:"host"`
	} `json:"_source"`
}

// scanPageSize is the number of hits per scroll page.
const scanPageSize = 5000

// scan calls fn for every document in indices whose host is host and
// whose path is one of paths (a scroll over _id, _index, path and host).
func (e *engine) scan(ctx context.Context, indices []string, host string, paths []string, fn func(hit)) error {
	q := map[string]any{
		"size": scanPageSize, "sort": []string{"_doc"}, "_source": []string{"path", "host"},
		"query": map[string]any{"bool": map[string]any{"filter": []any{
			map[string]any{"term": map[string]string{"host": host}},
			map[string]any{"terms": map[string][]string{"path": paths}},
		}}},
	}
	body, err := json.Marshal(q)
	if err != nil {
		return err
	}
	escaped := make([]string, len(indices))
	for i, ix := range indices {
		escaped[i] = url.PathEscape(ix)
	}
	path := "/" + strings.Join(escaped, ",") + "/_search?scroll=2m&ignore_unavailable=true&allow_no_indices=true"
	what := "search for documents of these files"
	var page struct {
		ScrollID string `json:"_scroll_id"`
		Hits     struct {
			Hits []hit `json:"hits"`
		} `json:"hits"`
	}
	ans, err := e.do(ctx, what, http.MethodPost, path, body)
	for {
		if err != nil {
			return err
		}
		page.Hits.Hits = page.Hits.Hits[:0]
		if err := json.Unmarshal(ans, &page); err != nil {
			return &EngineError{What: what, Attempts: 1, Err: fmt.Errorf("unreadable answer: %w", err)}
		}
		for _, h := range page.Hits.Hits {
			fn(h)
		}
		if len(page.Hits.Hits) == 0 || page.ScrollID == "" {
			break
		}
		next, _ := json.Marshal(map[string]string{"scroll": "2m", "scroll_id": page.ScrollID})
		ans, err = e.do(ctx, what, http.MethodPost, "/_search/scroll", next)
	}
	if page.ScrollID != "" {
		clear, _ := json.Marshal(map[string][]string{"scroll_id": {page.ScrollID}})
		_, _ = e.do(ctx, "clear scroll", http.MethodDelete, "/_search/scroll", clear) // expires anyway
	}
	return nil
}
