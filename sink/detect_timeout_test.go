package sink

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestDetectRequestTimeout: each GET / of flavor detection is bounded by
// 10 s of its own, even when the caller's context has no deadline, so a
// peer that accepts and never answers cannot stall start-up.
func TestDetectRequestTimeout(t *testing.T) {
	var left time.Duration
	var bounded bool
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		var deadline time.Time
		deadline, bounded = r.Context().Deadline()
		left = time.Until(deadline)
		return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Request: r,
			Body: io.NopCloser(strings.NewReader(`{"version":{"distribution":"opensearch","number":"2.17.0"}}`))}, nil
	})
	cfg := EngineConfig{URLs: []string{"http://127.0.0.1:9"}, Logger: slog.Default()}
	flavor, err := detect(context.Background(), cfg, rt)
	if err != nil || flavor != FlavorOpenSearch {
		t.Fatalf("detect = %q, %v", flavor, err)
	}
	if !bounded || left <= 9*time.Second || left > 10*time.Second {
		t.Errorf("GET / bounded %v, %v left; want 10 s", bounded, left)
	}
}
