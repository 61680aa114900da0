// Package metrics exposes the daemon's counters to Prometheus and answers
// health checks.
//
// Contract:
//
//   - Nothing is counted here: the collector reads, at scrape time, the
//     atomic counters the stages keep anyway (pipeline.Stats,
//     sink.BulkStats, the enricher's and the tailer's counters). The hot
//     path pays nothing for metrics.
//   - Sources may be nil (e.g. no GeoIP database); their metrics are then
//     absent. A Collector is safe for concurrent scrapes.
//   - Listen runs the HTTP endpoint (/metrics, /healthz) in the background
//     until its stop function is called, which shuts it down gracefully;
//     it owns no other resource.
package metrics
