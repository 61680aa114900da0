package sink

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestRequestStatusClassification: which whole-request answers are retried
// (the engine is down, overloaded or misconfigured: no document is lost),
// and which reject the request (split, or dead-letter a single document).
func TestRequestStatusClassification(t *testing.T) {
	okBody := `{"took":1,"errors":false,"items":[{"index":{"status":201}}]}`
	tests := []struct {
		status int
		body   string
		err    error
		// requests, failures, retries, indexed, dead, duplicates
		want   [6]int64
		reason string // of the dead letter, if any
	}{
		{status: 200, body: okBody, want: [6]int64{1, 0, 0, 1, 0, 0}},
		{status: 201, body: okBody, want: [6]int64{1, 0, 0, 1, 0, 0}},
		{status: 299, body: okBody, want: [6]int64{1, 0, 0, 1, 0, 0}},
		// Not 2xx, though the body reads like a success: retried.
		{status: 199, body: okBody, want: [6]int64{2, 1, 1, 1, 0, 0}},
		{status: 300, body: okBody, want: [6]int64{2, 1, 1, 1, 0, 0}},
		{status: 302, body: okBody, want: [6]int64{2, 1, 1, 1, 0, 0}},
		{status: 401, want: [6]int64{2, 1, 1, 1, 0, 0}},
		{status: 403, want: [6]int64{2, 1, 1, 1, 0, 0}},
		{status: 404, want: [6]int64{2, 1, 1, 1, 0, 0}},
		{status: 409, want: [6]int64{2, 1, 1, 1, 0, 0}},
		{status: 429, want: [6]int64{2, 1, 1, 1, 0, 0}},
		{status: 499, want: [6]int64{2, 1, 1, 1, 0, 0}},
		{status: 500, want: [6]int64{2, 1, 1, 1, 0, 0}},
		{status: 502, want: [6]int64{2, 1, 1, 1, 0, 0}},
		{status: 503, want: [6]int64{2, 1, 1, 1, 0, 0}},
		{err: errors.New("connection refused"), want: [6]int64{2, 1, 1, 1, 0, 0}},
		// A single document the engine refuses as a request: dead letter.
		{status: 400, body: `{"error":"bad"}`, want: [6]int64{1, 0, 0, 0, 1, 0}, reason: `request rejected: status 400: {"error":"bad"}`},
		{status: 413, want: [6]int64{1, 0, 0, 0, 1, 0}, reason: "request rejected: status 413"},
	}
	for _, tt := range tests {
		name := fmt.Sprint(tt.status)
		if tt.err != nil {
			name = tt.err.Error()
		}
		t.Run(name, func(t *testing.T) {
			tb := newTestBulk(t, BulkConfig{MaxRetries: 3}, func(n int, docs []string) (int, string, error) {
				if n == 1 {
					return tt.status, tt.body, tt.err
				}
				return http.StatusOK, allOK(len(docs)), nil
			})
			if err := tb.run(t, 1); err != nil {
				t.Fatal(err)
			}
			if got := tb.stats(); got != tt.want {
				t.Errorf("stats %v, want %v (requests, failures, retries, indexed, dead, duplicates)", got, tt.want)
			}
			tb.dl.Close()
			letters := readLetters(t, tb.dlPath)
			if tt.reason != "" && (len(letters) != 1 || letters[0].Reason != tt.reason) {
				t.Errorf("letters %+v, want one with reason %q", letters, tt.reason)
			}
			if len(tb.acks) != 1 {
				t.Errorf("acknowledged %d times, want once", len(tb.acks))
			}
		})
	}
}

// TestRequestRejectedSplits: 400 and 413 for several documents halve the
// request until the culprit is alone.
func TestRequestRejectedSplits(t *testing.T) {
	for _, status := range []int{400, 413} {
		tb := newTestBulk(t, BulkConfig{}, func(n int, docs []string) (int, string, error) {
			for _, d := range docs {
				if strings.Contains(d, "id-000002") {
					return status, "", nil
				}
			}
			return http.StatusOK, allOK(len(docs)), nil
		})
		if err := tb.run(t, 4); err != nil {
			t.Fatal(err)
		}
		// [0 1 2 3] → [0 1] ok, [2 3] → [2] dead, [3] ok
		if got, want := tb.stats(), [6]int64{5, 0, 0, 3, 1, 0}; got != want || tb.Stats.Splits.Load() != 2 {
			t.Errorf("%d: stats %v splits %d, want %v and 2 splits", status, got, tb.Stats.Splits.Load(), want)
		}
		reqs := tb.tr.requests()
		if len(reqs) != 5 || strings.Count(string(reqs[1]), "\n") != 4 || strings.Count(string(reqs[3]), "\n") != 2 ||
			!strings.Contains(string(reqs[3]), "id-000002") || !strings.Contains(string(reqs[4]), "id-000003") {
			t.Errorf("%d: requests %q", status, reqs)
		}
	}
}

// TestItemStatusClassification: per-document statuses in a 2xx answer.
func TestItemStatusClassification(t *testing.T) {
	tests := []struct {
		op     string
		status int
		want   [6]int64 // requests, failures, retries, indexed, dead, duplicates
	}{
		{"index", 200, [6]int64{1, 0, 0, 1, 0, 0}},
		{"index", 201, [6]int64{1, 0, 0, 1, 0, 0}},
		{"index", 299, [6]int64{1, 0, 0, 1, 0, 0}},
		{"index", 199, [6]int64{1, 0, 0, 0, 1, 0}},
		{"index", 300, [6]int64{1, 0, 0, 0, 1, 0}},
		{"index", 400, [6]int64{1, 0, 0, 0, 1, 0}},
		{"index", 404, [6]int64{1, 0, 0, 0, 1, 0}},
		{"index", 409, [6]int64{1, 0, 0, 0, 1, 0}}, // a conflict under index is a real error
		{"create", 409, [6]int64{1, 0, 0, 0, 0, 1}},
		{"create", 201, [6]int64{1, 0, 0, 1, 0, 0}},
		{"index", 428, [6]int64{1, 0, 0, 0, 1, 0}},
		{"index", 429, [6]int64{2, 0, 1, 1, 0, 0}},
		{"index", 499, [6]int64{1, 0, 0, 0, 1, 0}},
		{"index", 500, [6]int64{2, 0, 1, 1, 0, 0}},
		{"index", 503, [6]int64{2, 0, 1, 1, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.op, tt.status), func(t *testing.T) {
			tb := newTestBulk(t, BulkConfig{OpType: tt.op, MaxRetries: 3}, func(n int, docs []string) (int, string, error) {
				st := tt.status
				if n > 1 {
					st = 201
				}
				return http.StatusOK, itemsAnswer(tt.op, len(docs), func(int) int { return st }), nil
			})
			if err := tb.run(t, 1); err != nil {
				t.Fatal(err)
			}
			if got := tb.stats(); got != tt.want {
				t.Errorf("stats %v, want %v (requests, failures, retries, indexed, dead, duplicates)", got, tt.want)
			}
			tb.dl.Close()
			letters := readLetters(t, tb.dlPath)
			if tt.want[4] == 1 {
				want := fmt.Sprintf(`status %d: {"type":"t%d","reason":"r%d"}`, tt.status, tt.status, tt.status)
				if len(letters) != 1 || letters[0].Reason != want {
					t.Errorf("letters %+v, want reason %q", letters, want)
				}
			}
		})
	}
}

// TestBulkAnswers: how 2xx answers are read. "errors":false near the start
// settles the whole request without reading the items; otherwise an answer
// whose items do not match the request is retried, not trusted.
func TestBulkAnswers(t *testing.T) {
	tests := []struct {
		name, first string
		want        [6]int64 // requests, failures, retries, indexed, dead, duplicates
	}{
		{"errors false, no items", `{"took":1,"errors":false}`, [6]int64{1, 0, 0, 2, 0, 0}},
		{"errors false first", `{"errors":false,"took":1}`, [6]int64{1, 0, 0, 2, 0, 0}},
		{"errors true, no items", `{"took":1,"errors":true}`, [6]int64{2, 0, 2, 2, 0, 0}},
		{"too few items", `{"took":1,"errors":true,"items":[{"index":{"status":201}}]}`, [6]int64{2, 0, 2, 2, 0, 0}},
		{"too many items", `{"took":1` + strings.Repeat(" ", 64) + `,"errors":false,"items":[{"index":{"status":201}},{"index":{"status":201}},{"index":{"status":201}}]}`, [6]int64{2, 0, 2, 2, 0, 0}},
		{"not JSON", `<html>502</html>`, [6]int64{2, 0, 2, 2, 0, 0}},
		{"empty", ``, [6]int64{2, 0, 2, 2, 0, 0}},
		{"items only", `{"took":1,"items":[{"index":{"status":201}},{"index":{"status":201}}]}`, [6]int64{1, 0, 0, 2, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := newTestBulk(t, BulkConfig{MaxRetries: 3}, func(n int, docs []string) (int, string, error) {
				if n == 1 {
					return http.StatusOK, tt.first, nil
				}
				return http.StatusOK, allOK(len(docs)), nil
			})
			if err := tb.run(t, 2); err != nil {
				t.Fatal(err)
			}
			if got := tb.stats(); got != tt.want {
				t.Errorf("stats %v, want %v (requests, failures, retries, indexed, dead, duplicates)", got, tt.want)
			}
		})
	}
}

// TestDescribe: what a dead letter says about a failed request.
func TestDescribe(t *testing.T) {
	long := strings.Repeat("x", 600)
	tests := []struct {
		status int
		err    error
		body   string
		want   string
	}{
		{503, nil, "", "status 503"},
		{503, nil, "busy", "status 503: busy"},
		{500, nil, long, "status 500: " + long[:512]},
		{0, errors.New("dial tcp: refused"), "ignored", "dial tcp: refused"},
	}
	for _, tt := range tests {
		if got := describe(tt.status, tt.err, []byte(tt.body)); got != tt.want {
			t.Errorf("describe(%d, %v, %d bytes) = %q, want %q", tt.status, tt.err, len(tt.body), got, tt.want)
		}
	}
}
