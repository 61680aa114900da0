package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ingestd/ingestd/internal/auditgen"
	"github.com/ingestd/ingestd/internal/fakees"
)

// fastEngine is a bulk endpoint that accepts everything at once, so that
// the tail benchmark measures ingestd, not the engine.
func fastEngine(docs *atomic.Int64) *httptest.Server {
	return fakees.New(200, func(n int) { docs.Add(int64(n)) })
}

// BenchmarkTailThroughput: `ingestd run` following a file that grows by
// b.N lines, into an engine that answers at once. Reports lines/s.
func BenchmarkTailThroughput(b *testing.B) {
	var docs atomic.Int64
	srv := fastEngine(&docs)
	defer srv.Close()
	dir := b.TempDir()
	os.Mkdir(filepath.Join(dir, "logs"), 0o755)
	cfg := writeConfigB(b, dir, srv.URL, "engine: elasticsearch")
	g := auditgen.New(1, time.Date(2021, 9, 22, 10, 0, 0, 0, time.UTC))
	var buf []byte
	for range b.N {
		buf = g.Append(buf)
	}
	b.SetBytes(int64(len(buf) / b.N))
	d := startDaemonB(b, cfg)
	defer func() { d.Process.Signal(syscall.SIGTERM); d.Wait() }()
	time.Sleep(500 * time.Millisecond)
	b.ResetTimer()
	start := time.Now()
	if err := os.WriteFile(filepath.Join(dir, "logs", "audit.2021-09-22.log"), buf, 0o644); err != nil {
		b.Fatal(err)
	}
	for docs.Load() < int64(b.N) {
		time.Sleep(5 * time.Millisecond)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "lines/s")
}

// BenchmarkTailLatency: lines written one every 20 ms; for each, the delay
// until a search finds it in the real engine. Reports p50 and p99 in ms.
// Needs INGESTD_ENGINE_URL; run with -benchtime 1x.
func BenchmarkTailLatency(b *testing.B) {
	base := os.Getenv("INGESTD_ENGINE_URL")
	if base == "" {
		b.Skip("INGESTD_ENGINE_URL not set")
	}
	dir := b.TempDir()
	os.Mkdir(filepath.Join(dir, "logs"), 0o755)
	prefix := uniquePrefix("latency")
	cfg := writeConfigB(b, dir, base, "index: \""+prefix+"%{+yyyy.MM.dd}\"\n  flush_interval: 100ms")
	d := startDaemonB(b, cfg)
	defer func() { d.Process.Signal(syscall.SIGTERM); d.Wait() }()
	f, err := os.OpenFile(filepath.Join(dir, "logs", "audit.2021-09-22.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	g := auditgen.New(2, time.Date(2021, 9, 22, 10, 0, 0, 0, time.UTC))
	f.Write(g.Append(nil)) // let the daemon find the file
	time.Sleep(2 * time.Second)

	const n = 300
	written := make([]time.Time, n)
	var mu sync.Mutex
	seen := map[int]time.Duration{}
	stop := make(chan struct{})
	go func() { // poll the engine for the markers
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			q := `{"size":1000,"_source":["eventResultMsg"],"query":{"prefix":{"eventResultMsg.keyword":"latency-"}}}`
			res, err := http.Post(base+"/"+prefix+"*/_search", "application/json", strings.NewReader(q))
			if err != nil {
				continue
			}
			var r struct {
				Hits struct {
					Hits []struct {
						Source struct {
							Msg string `json:"eventResultMsg"`
						} `json:"_source"`
					} `json:"hits"`
				} `json:"hits"`
			}
			json.NewDecoder(res.Body).Decode(&r)
			res.Body.Close()
			now := time.Now()
			mu.Lock()
			for _, h := range r.Hits.Hits {
				var i int
				fmt.Sscanf(h.Source.Msg, "latency-%d", &i)
				if _, ok := seen[i]; !ok && i < n && !written[i].IsZero() {
					seen[i] = now.Sub(written[i])
				}
			}
			mu.Unlock()
		}
	}()
	for i := 0; i < n; i++ {
		line := g.Append(nil)
		line = bytes.Replace(line, []byte("eventResultMsg=null"), []byte(fmt.Sprintf("eventResultMsg=latency-%d", i)), 1)
		line = bytes.Replace(line, []byte("eventResultMsg=permission denied"), []byte(fmt.Sprintf("eventResultMsg=latency-%d", i)), 1)
		mu.Lock()
		written[i] = time.Now()
		mu.Unlock()
		f.Write(line)
		time.Sleep(20 * time.Millisecond)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		k := len(seen)
		mu.Unlock()
		if k >= n*9/10 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	close(stop)
	mu.Lock()
	defer mu.Unlock()
	var lat []float64
	for _, d := range seen {
		lat = append(lat, float64(d.Milliseconds()))
	}
	if len(lat) < n/2 {
		b.Fatalf("only %d of %d marker lines found", len(lat), n)
	}
	sort.Float64s(lat)
	b.ReportMetric(lat[len(lat)/2], "p50-ms")
	b.ReportMetric(lat[len(lat)*99/100], "p99-ms")
	b.ReportMetric(float64(len(lat)), "lines-seen")
}

func writeConfigB(b *testing.B, dir, url, output string) string {
	cfg := fmt.Sprintf("input:\n  dir: %s\n  poll_interval: 200ms\nregistry:\n  path: %s\nenrich:\n  host: bench\n  geoip_db: ../testdata/GeoLite2-City-Test.mmdb\noutput:\n  urls: [%s]\n  %s\ndead_letter:\n  path: %s\n",
		filepath.Join(dir, "logs"), filepath.Join(dir, "registry.json"), url, output, filepath.Join(dir, "dlq"))
	path := filepath.Join(dir, "ingestd.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		b.Fatal(err)
	}
	return path
}

func startDaemonB(b *testing.B, cfg string) *osProcess {
	cmd := newDaemonCmd(cfg)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	return cmd
}
