package e2e

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ingestd/ingestd/query"
)

// BenchmarkServeList measures list-request latency through `ingestd serve`
// against the real engine holding an already loaded index (issue 9's
// figure is for 1M documents):
//
//	INGESTD_ENGINE_URL=http://127.0.0.1:9221 INGESTD_BENCH_INDEX='bench-audit-*' \
//	  go test ./e2e -run XXX -bench ServeList -benchtime 2000x
//
// Each iteration is one request of a fixed mix (no filter, an event type,
// a user, a client address, a one-hour range, limit 100, a deep page, all
// filters at once) for the pool with the most documents; p50 and p99 are
// over all requests, per kind in the log.
func BenchmarkServeList(b *testing.B) {
	base := strings.TrimRight(os.Getenv("INGESTD_ENGINE_URL"), "/")
	index := os.Getenv("INGESTD_BENCH_INDEX")
	if base == "" || index == "" {
		b.Skip("set INGESTD_ENGINE_URL and INGESTD_BENCH_INDEX (an index loaded with ingestd replay)")
	}
	engine := func(method, url, body string, out any) {
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer res.Body.Close()
		if err := json.NewDecoder(res.Body).Decode(out); err != nil || res.StatusCode != 200 {
			b.Fatalf("%s %s: %d %v", method, url, res.StatusCode, err)
		}
	}
	top := func(field string, filter string) string {
		var r struct {
			Aggregations struct {
				T struct {
					Buckets []struct {
						Key string `json:"key"`
					} `json:"buckets"`
				} `json:"t"`
			} `json:"aggregations"`
		}
		q := `{"size":0,` + filter + `"aggs":{"t":{"terms":{"field":"` + field + `","size":1}}}}`
		engine(http.MethodPost, base+"/"+index+"/_search", q, &r)
		if len(r.Aggregations.T.Buckets) == 0 {
			b.Fatalf("no %s in %s", field, index)
		}
		return r.Aggregations.T.Buckets[0].Key
	}
	pool := top("userPoolId", "")
	inPool := `"query":{"term":{"userPoolId":"` + pool + `"}},`
	user, ip, event := top("userId", inPool), top("clientIp", inPool), top("codes.eventType", inPool)
	var count struct {
		Count int `json:"count"`
	}
	engine(http.MethodGet, base+"/"+index+"/_count", "", &count)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "serve", "--listen", addr, "--es", base, "--index", index)
	cmd.Env = append(os.Environ(), "INGESTD_SIGNING_KEY="+signKey)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	s, _ := query.NewSigner([]byte(signKey))
	tok, _, _, _ := s.Mint([]string{pool}, time.Hour)
	kinds := []struct{ name, q string }{
		{"none", ""},
		{"eventType", "eventType=" + event},
		{"user", "userId=" + user},
		{"clientip", "clientip=" + ip},
		{"range", "start=2021-09-22T10:00:00Z&end=2021-09-22T11:00:00Z"},
		{"limit100", "limit=100"},
		{"page99", "page=99&limit=100"},
		{"all", "eventType=" + event + "&userId=" + user + "&clientip=" + ip + "&start=2021-09-22&end=2021-09-22"},
	}
	client := &http.Client{}
	get := func(q string) time.Duration {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/api/v2/analysis/audit?"+q, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		start := time.Now()
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		d := time.Since(start)
		if res.StatusCode != 200 {
			b.Fatalf("%s: %d", q, res.StatusCode)
		}
		return d
	}
	for i := 0; i < 100; i++ { // serve up, caches warm
		if _, err := http.Get("http://" + addr + "/"); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, k := range kinds {
		get(k.q)
	}
	per := map[string][]time.Duration{}
	var all []time.Duration
	b.ResetTimer()
	i := 0
	for b.Loop() {
		k := kinds[i%len(kinds)]
		i++
		d := get(k.q)
		per[k.name] = append(per[k.name], d)
		all = append(all, d)
	}
	b.StopTimer()
	pct := func(ds []time.Duration, p float64) time.Duration {
		slices.Sort(ds)
		return ds[min(len(ds)-1, int(float64(len(ds))*p))]
	}
	b.ReportMetric(float64(pct(all, 0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(pct(all, 0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(count.Count), "docs")
	for _, k := range kinds {
		if ds := per[k.name]; len(ds) > 0 {
			b.Logf("%-9s n=%d p50=%v p99=%v", k.name, len(ds), pct(ds, 0.5).Round(10*time.Microsecond), pct(ds, 0.99).Round(10*time.Microsecond))
		}
	}
	b.Logf("%d documents in %s; pool %s", count.Count, index, pool)
}
