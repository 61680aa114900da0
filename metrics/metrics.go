package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ingestd/ingestd/enrich"
	"github.com/ingestd/ingestd/pipeline"
	"github.com/ingestd/ingestd/sink"
	"github.com/ingestd/ingestd/source"
)

// Sources are the counters a Collector reports. Any may be nil.
type Sources struct {
	Pipeline     *pipeline.Stats
	Bulk         *sink.Bulk
	Enricher     *enrich.Enricher
	Tailer       *source.Tailer
	RegistrySave *atomic.Int64 // failed registry saves
	Reloads      *ReloadStats  // dictionary and directory reloads (build.go)
}

// Collector reports Sources as Prometheus metrics.
type Collector struct {
	s atomic.Pointer[Sources]
}

// NewCollector returns a Collector over s.
func NewCollector(s Sources) *Collector {
	c := &Collector{}
	c.Update(s)
	return c
}

// Update replaces the sources (stages that start later, such as the sink
// once the engine answers). Safe to call during scrapes.
func (c *Collector) Update(s Sources) { c.s.Store(&s) }

type metric struct {
	desc *prometheus.Desc
	kind prometheus.ValueType
}

func newMetric(name, help string, kind prometheus.ValueType, labels ...string) metric {
	return metric{prometheus.NewDesc("ingestd_"+name, help, labels, nil), kind}
}

var (
	mLines         = newMetric("lines_read_total", "Lines read from the inputs.", prometheus.CounterValue)
	mBytes         = newMetric("bytes_read_total", "Bytes of input read (decompressed).", prometheus.CounterValue)
	mBlank         = newMetric("blank_lines_total", "Empty lines skipped.", prometheus.CounterValue)
	mDocuments     = newMetric("documents_total", "Documents handed to the sink.", prometheus.CounterValue)
	mDeadLettered  = newMetric("dead_lettered_total", "Lines written to the dead-letter file, by stage: parse (malformed or over-long line) or index (rejected by the engine).", prometheus.CounterValue, "stage")
	mIndexed       = newMetric("engine_indexed_total", "Documents the engine acknowledged.", prometheus.CounterValue)
	mDuplicates    = newMetric("engine_duplicates_total", "Documents the engine already held (409 under op type create).", prometheus.CounterValue)
	mRetries       = newMetric("engine_document_retries_total", "Document retries after 429, 5xx, timeouts or connection errors.", prometheus.CounterValue)
	mRequests      = newMetric("engine_requests_total", "Bulk requests sent.", prometheus.CounterValue)
	mFailures      = newMetric("engine_request_failures_total", "Bulk requests that failed as a whole.", prometheus.CounterValue)
	mSplits        = newMetric("engine_request_splits_total", "Bulk requests split after 413 or a request-level 400.", prometheus.CounterValue)
	mUnsettled     = newMetric("engine_unsettled_documents", "Documents sent or buffered but not yet indexed or dead-lettered.", prometheus.GaugeValue)
	mInvalidUTF8   = newMetric("invalid_utf8_documents_total", "Documents whose invalid UTF-8 was replaced (tag _invalid_utf8).", prometheus.CounterValue)
	mAmbiguous     = newMetric("ambiguous_key_documents_total", "Documents with a repeated or out-of-order known key (tag _ambiguous_keys).", prometheus.CounterValue)
	mAmbiguousPool = newMetric("ambiguous_user_pool_documents_total", "Documents whose userPoolId is ambiguous: a possible spoof, alert on it.", prometheus.CounterValue)
	mGeoIP         = newMetric("geoip_lookups_total", "GeoIP lookups by result: found, private (private or reserved address), not_found, invalid (no valid clientIp).", prometheus.CounterValue, "result")
	mUnterminated  = newMetric("unterminated_lines_total", "Files finished with a last line that had no newline.", prometheus.CounterValue)
	mLagBytes      = newMetric("lag_bytes", "Bytes in the followed files past the committed offsets.", prometheus.GaugeValue)
	mLagSeconds    = newMetric("lag_seconds", "Age of the newest committed event while there is a backlog; 0 when caught up.", prometheus.GaugeValue)
	mFiles         = newMetric("files_tracked", "Files the tailer holds.", prometheus.GaugeValue)
	mIgnoredOlder  = newMetric("files_ignored_older_total", "Files skipped by input.ignore_older (not read, not kept in the registry).", prometheus.CounterValue)
	mRegistry      = newMetric("registry_save_failures_total", "Registry saves that failed (offsets not committed).", prometheus.CounterValue)
)

var all = []metric{mLines, mBytes, mBlank, mDocuments, mDeadLettered, mIndexed, mDuplicates, mRetries, mRequests,
	mFailures, mSplits, mUnsettled, mInvalidUTF8, mAmbiguous, mAmbiguousPool, mGeoIP, mUnterminated, mLagBytes,
	mLagSeconds, mFiles, mRegistry, mIgnoredOlder}

// SinkHealth returns why the sink stopped for good, or nil while it runs
// (or is not there yet: still reaching the engine is not a failure).
func (c *Collector) SinkHealth() error {
	if b := c.s.Load().Bulk; b != nil {
		if err := b.Err(); err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	return nil
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range all {
		ch <- m.desc
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	s := c.s.Load()
	emit := func(m metric, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(m.desc, m.kind, float64(v), labels...)
	}
	if p := s.Pipeline; p != nil {
		emit(mLines, p.Lines.Load())
		emit(mBytes, p.Bytes.Load())
		emit(mBlank, p.Blank.Load())
		emit(mDocuments, p.Documents.Load())
		emit(mDeadLettered, p.DeadLetters.Load(), "parse")
	}
	if b := s.Bulk; b != nil {
		emit(mDeadLettered, b.Stats.DeadLettered.Load(), "index")
		emit(mIndexed, b.Stats.Indexed.Load())
		emit(mDuplicates, b.Stats.Duplicates.Load())
		emit(mRetries, b.Stats.Retried.Load())
		emit(mRequests, b.Stats.Requests.Load())
		emit(mFailures, b.Stats.Failures.Load())
		emit(mSplits, b.Stats.Splits.Load())
		emit(mUnsettled, b.Unsettled())
	}
	if e := s.Enricher; e != nil {
		emit(mInvalidUTF8, e.InvalidUTF8.Load())
		emit(mAmbiguous, e.AmbiguousKeys.Load())
		emit(mAmbiguousPool, e.AmbiguousUserPool.Load())
		if g := e.GeoIPStats(); g != nil {
			emit(mGeoIP, g.Found.Load(), "found")
			emit(mGeoIP, g.Private.Load(), "private")
			emit(mGeoIP, g.NotFound.Load(), "not_found")
			emit(mGeoIP, g.Invalid.Load(), "invalid")
		}
	}
	if t := s.Tailer; t != nil {
		emit(mUnterminated, t.Unterminated())
		emit(mIgnoredOlder, t.IgnoredOlder())
		lag := LagOf(t)
		emit(mLagBytes, lag.Bytes)
		ch <- prometheus.MustNewConstMetric(mLagSeconds.desc, mLagSeconds.kind, lag.Seconds)
		emit(mFiles, int64(lag.Files))
	}
	if r := s.RegistrySave; r != nil {
		emit(mRegistry, r.Load())
	}
}

// Lag is how far the committed offsets are behind the followed files.
type Lag struct {
	Bytes   int64   // bytes past the committed offsets, all files
	Seconds float64 // age of the newest committed event while Bytes > 0
	Files   int     // files tracked
}

// LagOf measures t's lag.
func LagOf(t *source.Tailer) Lag {
	var l Lag
	var newest int64
	files := t.Files()
	l.Files = len(files)
	for _, f := range files {
		off, ev := f.Committed()
		if d := f.Size.Load() - off; d > 0 {
			l.Bytes += d
		}
		newest = max(newest, ev)
	}
	if l.Bytes > 0 && newest > 0 {
		l.Seconds = time.Since(time.UnixMilli(newest)).Seconds()
	}
	return l
}

// Handler serves /metrics (Prometheus text format: c, plus Go runtime and
// process metrics) and /healthz (200 while healthy returns nil, else 503
// with the reason).
func Handler(c *Collector, healthy func() error) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(c, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(extraCollectors(c)...)
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if healthy != nil {
			if err := healthy(); err != nil {
				http.Error(w, err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		fmt.Fprintln(w, "ok")
	})
	return mux
}

// Listen serves h on addr in the background and returns the function that
// stops it gracefully. The address is bound before Listen returns, so that
// a mistake in the configuration fails at start-up.
func Listen(addr string, h http.Handler) (stop func() error, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	return func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		err := srv.Shutdown(ctx)
		if serr := <-done; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		return err
	}, nil
}
