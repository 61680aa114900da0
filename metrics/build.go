package metrics

import (
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ingestd/ingestd/internal/buildinfo"
	"github.com/ingestd/ingestd/sink"
)

var (
	mBuildInfo = newMetric("build_info", "Always 1; the labels say which ingestd this is.", prometheus.GaugeValue,
		"version", "commit", "goversion", "uap_go")
	mReloads    = newMetric("reloads_total", "Reloads of the GeoIP database (file replaced), the dictionary and the directory (SIGHUP), by result: success or failure (the old data stays in use).", prometheus.CounterValue, "what", "result")
	mGeoIPBuilt = newMetric("geoip_database_build_timestamp_seconds", "Build time (Unix epoch) of the GeoIP database in use.", prometheus.GaugeValue)
)

// bulkDuration is the duration of bulk requests, whatever their outcome.
var bulkDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
	Name:    "ingestd_engine_bulk_request_duration_seconds",
	Help:    "Duration of bulk requests to the engine, from sending to the response headers (or the error).",
	Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
})

// ReloadStats counts reloads of the dictionary and directory (the GeoIP
// database counts its own). Safe for concurrent use.
type ReloadStats struct {
	Tables, TablesFailed atomic.Int64
}

// extra reports what the Collector's stages do not know: the build, the
// reloads. It reads the same Sources as the Collector.
type extra struct{ c *Collector }

func (x extra) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range []metric{mBuildInfo, mReloads, mGeoIPBuilt} {
		ch <- m.desc
	}
}

func (x extra) Collect(ch chan<- prometheus.Metric) {
	i := buildinfo.Get()
	ch <- prometheus.MustNewConstMetric(mBuildInfo.desc, mBuildInfo.kind, 1, i.Version, i.Commit, i.GoVersion, i.UAPVersion)
	s := x.c.s.Load()
	if r := s.Reloads; r != nil {
		ch <- prometheus.MustNewConstMetric(mReloads.desc, mReloads.kind, float64(r.Tables.Load()), "tables", "success")
		ch <- prometheus.MustNewConstMetric(mReloads.desc, mReloads.kind, float64(r.TablesFailed.Load()), "tables", "failure")
	}
	if e := s.Enricher; e != nil {
		if g := e.GeoIP(); g != nil {
			ok, failed := g.Reloads()
			ch <- prometheus.MustNewConstMetric(mReloads.desc, mReloads.kind, float64(ok), "geoip", "success")
			ch <- prometheus.MustNewConstMetric(mReloads.desc, mReloads.kind, float64(failed), "geoip", "failure")
			ch <- prometheus.MustNewConstMetric(mGeoIPBuilt.desc, mGeoIPBuilt.kind, float64(g.Info().Built.Unix()))
		}
	}
}

// extraCollectors are registered beside the Collector by Handler.
func extraCollectors(c *Collector) []prometheus.Collector {
	return []prometheus.Collector{extra{c}, bulkDuration}
}

// TimeBulk returns tr with the duration of its bulk requests observed in
// ingestd_engine_bulk_request_duration_seconds.
func TimeBulk(tr sink.Transport) sink.Transport { return timedTransport{tr} }

type timedTransport struct{ sink.Transport }

func (t timedTransport) Perform(r *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(r.URL.Path, "/_bulk") {
		return t.Transport.Perform(r)
	}
	start := time.Now()
	resp, err := t.Transport.Perform(r)
	bulkDuration.Observe(time.Since(start).Seconds())
	return resp, err
}
