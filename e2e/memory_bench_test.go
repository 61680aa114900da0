package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ingestd/ingestd/internal/auditgen"
	"github.com/ingestd/ingestd/internal/fakees"
)

// memSample is one reading of /proc/PID/status: anonymous memory (heap,
// stacks) apart from file-backed pages (the binary, a mapped GeoIP file).
type memSample struct {
	anonKB, fileKB int64
}

func readMem(pid int) (memSample, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memSample{}, err
	}
	defer f.Close()
	var s memSample
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "RssAnon":
			s.anonKB = n
		case "RssFile":
			s.fileKB = n
		}
	}
	return s, sc.Err()
}

// phaseMax keeps the largest RssAnon (and RssFile) seen per phase.
type phaseMax struct {
	mu    sync.Mutex
	phase string
	max   map[string]memSample
	order []string
}

func (p *phaseMax) set(phase string) {
	p.mu.Lock()
	p.phase = phase
	p.order = append(p.order, phase)
	p.mu.Unlock()
}

func (p *phaseMax) add(s memSample) {
	p.mu.Lock()
	m := p.max[p.phase]
	m.anonKB = max(m.anonKB, s.anonKB)
	m.fileKB = max(m.fileKB, s.fileKB)
	p.max[p.phase] = m
	p.mu.Unlock()
}

// BenchmarkDaemonMemory (issue 12): `ingestd run` with default settings;
// start-up (5 s), idle (5 s), then a writer appends 500 lines/s (half of them with one of 10 000
// browser user agents) while the engine answers 503 to every bulk request for
// INGESTD_BENCH_OUTAGE (default 60s), then the engine comes back and the
// daemon catches up, then steady tailing. RssAnon is sampled every 100 ms
// from /proc/PID/status and its maximum reported per phase (MB), apart from
// file-backed RssFile. Run with -benchtime 1x.
func BenchmarkDaemonMemory(b *testing.B) {
	outage := 60 * time.Second
	if v := os.Getenv("INGESTD_BENCH_OUTAGE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatal(err)
		}
		outage = d
	}
	var down atomic.Bool
	var docs atomic.Int64
	ok := fakees.New(200, func(n int) { docs.Add(int64(n)) })
	defer ok.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() && r.URL.Path == "/_bulk" {
			http.Error(w, `{"error":"unavailable"}`, http.StatusServiceUnavailable)
			return
		}
		ok.Config.Handler.ServeHTTP(w, r)
	}))
	defer srv.Close()
	dir := b.TempDir()
	os.Mkdir(filepath.Join(dir, "logs"), 0o755)
	cfg := writeConfigB(b, dir, srv.URL, "engine: elasticsearch")
	for range b.N {
		d := memDaemon(b, cfg)
		pm := &phaseMax{max: map[string]memSample{}}
		stop := make(chan struct{})
		var sampler sync.WaitGroup
		sampler.Go(func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
				}
				if s, err := readMem(d.Process.Pid); err == nil {
					pm.add(s)
				}
			}
		})
		pm.set("startup")
		time.Sleep(5 * time.Second)
		pm.set("idle")
		time.Sleep(5 * time.Second)

		down.Store(true)
		pm.set("outage")
		var written atomic.Int64
		done := make(chan struct{})
		go func() {
			defer close(done)
			writeLines(b, filepath.Join(dir, "logs", "audit.2021-09-22.log"), outage+20*time.Second, &written)
		}()
		time.Sleep(outage)
		down.Store(false)
		pm.set("catch-up")
		deadline := time.Now().Add(5 * time.Minute)
		for docs.Load() < written.Load() && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		caughtUp := time.Since(deadline.Add(-5 * time.Minute))
		pm.set("tailing")
		<-done
		time.Sleep(2 * time.Second)
		close(stop)
		sampler.Wait()
		d.Process.Signal(syscall.SIGTERM)
		d.Wait()
		if docs.Load() < written.Load() {
			b.Fatalf("indexed %d of %d lines", docs.Load(), written.Load())
		}
		for _, ph := range []string{"startup", "idle", "outage", "catch-up", "tailing"} {
			m := pm.max[ph]
			b.ReportMetric(float64(m.anonKB)/1024, ph+"-anon-MB")
		}
		b.ReportMetric(float64(pm.max["outage"].fileKB)/1024, "outage-file-MB")
		b.ReportMetric(caughtUp.Seconds(), "catch-up-s")
	}
}

// memDaemon starts the binary under test, or INGESTD_BENCH_BIN (an older
// build, for side-by-side figures); its log goes to INGESTD_BENCH_LOG if
// set.
func memDaemon(b *testing.B, cfg string) *exec.Cmd {
	path := bin
	if v := os.Getenv("INGESTD_BENCH_BIN"); v != "" {
		path = v
	}
	cmd := exec.Command(path, "run", "--config", cfg)
	if v := os.Getenv("INGESTD_BENCH_LOG"); v != "" {
		f, err := os.Create(v)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { f.Close() })
		cmd.Stderr = f
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	return cmd
}

// writeLines appends 500 generated lines per second to path for d.
func writeLines(b *testing.B, path string, d time.Duration, written *atomic.Int64) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		b.Error(err)
		return
	}
	defer f.Close()
	g := auditgen.New(7, time.Date(2021, 9, 22, 0, 0, 0, 0, time.UTC))
	g.UseBrowserAgents(7, 10000)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var buf []byte
	for end := time.Now().Add(d); time.Now().Before(end); {
		<-tick.C
		buf = buf[:0]
		for range 50 {
			buf = g.Append(buf)
		}
		if _, err := f.Write(buf); err != nil {
			b.Error(err)
			return
		}
		written.Add(int64(bytes.Count(buf, []byte("\n"))))
	}
}
