package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ingestd/ingestd/internal/auditgen"
)

// writeDays writes n day files of 3 audit lines each into dir, one per
// day ending yesterday, each modified on its day, as a log host keeps
// years of them.
func writeDays(b *testing.B, dir string, n int) {
	b.Helper()
	g := auditgen.New(1, time.Date(2021, 9, 22, 10, 0, 0, 0, time.UTC))
	last := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -1)
	for i := range n {
		day := last.AddDate(0, 0, i-n+1)
		var buf []byte
		for range 3 {
			buf = g.Append(buf)
		}
		p := filepath.Join(dir, "audit."+day.Format("2006-01-02")+".log")
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			b.Fatal(err)
		}
		mt := day.Add(23 * time.Hour)
		if err := os.Chtimes(p, mt, mt); err != nil {
			b.Fatal(err)
		}
	}
}

// procCPU returns the CPU time (user + system) of process pid.
func procCPU(b *testing.B, pid int) time.Duration {
	b.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // fields from 3 on
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ = 100
}

// manyFilesDaemon starts `ingestd run` on n day files, into an engine that
// answers at once, and returns once every line is acknowledged, with the
// wall and CPU time the catch-up took.
func manyFilesDaemon(b *testing.B, n int) (d *osProcess, wall, cpu time.Duration, stop func()) {
	b.Helper()
	var docs atomic.Int64
	srv := fastEngine(&docs)
	dir := b.TempDir()
	logs := filepath.Join(dir, "logs")
	os.Mkdir(logs, 0o755)
	writeDays(b, logs, n)
	cfg := fmt.Sprintf("input:\n  dir: %s\n  poll_interval: 1s\n  rotate_grace: 1s\nregistry:\n  path: %s\nenrich:\n  host: bench\n  no_geoip: true\noutput:\n  urls: [%s]\n  engine: elasticsearch\n  flush_interval: 200ms\ndead_letter:\n  path: %s\nstatus_interval: 1h\n",
		logs, filepath.Join(dir, "registry.json"), srv.URL, filepath.Join(dir, "dlq"))
	path := filepath.Join(dir, "ingestd.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	d = startDaemonB(b, path)
	exited := make(chan struct{})
	go func() { d.Wait(); close(exited) }()
	for docs.Load() < int64(3*n) {
		select {
		case <-exited:
			b.Fatal("the daemon exited")
		case <-time.After(5 * time.Millisecond):
		}
	}
	wall, cpu = time.Since(start), procCPU(b, d.Process.Pid)
	return d, wall, cpu, func() {
		d.Process.Signal(syscall.SIGTERM)
		<-exited
		srv.Close()
	}
}

// BenchmarkDaemonCatchUp: `ingestd run` starts on a directory of 1 000 or
// 10 000 day files of 3 lines each and indexes them all into an engine
// that answers at once. Reports wall and daemon CPU time until the last
// line is acknowledged, and the CPU per file (flat when catch-up is
// linear). Run with -benchtime 1x.
func BenchmarkDaemonCatchUp(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) {
			var wall, cpu time.Duration
			for range b.N {
				_, w, c, stop := manyFilesDaemon(b, n)
				stop()
				wall, cpu = wall+w, cpu+c
			}
			b.ReportMetric(wall.Seconds()/float64(b.N), "wall-s")
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*n), "cpu-µs/file")
		})
	}
}

// BenchmarkDaemonIdle: after the catch-up of 10 000 day files, the
// daemon follows the newest file (no new lines) for 30 s. Reports its CPU
// meanwhile in % of one core. Run with -benchtime 1x.
func BenchmarkDaemonIdle(b *testing.B) {
	const n, span = 10000, 30 * time.Second
	d, _, _, stop := manyFilesDaemon(b, n)
	defer stop()
	time.Sleep(3 * time.Second) // the registry saved, the last flushes done
	b.ResetTimer()
	var cpu time.Duration
	for range b.N {
		c0 := procCPU(b, d.Process.Pid)
		time.Sleep(span)
		cpu += procCPU(b, d.Process.Pid) - c0
	}
	b.ReportMetric(100*cpu.Seconds()/(span.Seconds()*float64(b.N)), "cpu-%")
}
