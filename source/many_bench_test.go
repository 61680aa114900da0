package source

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ingestd/ingestd/internal/auditgen"
)

// writeDayFiles writes n day files of lines audit lines each, one per
// day ending yesterday, each with its day as modification time (as a log
// host keeps them), and returns the number of lines.
func writeDayFiles(tb testing.TB, dir string, n, lines int) int {
	tb.Helper()
	g := auditgen.New(1, time.Date(2021, 9, 22, 10, 0, 0, 0, time.UTC))
	last := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -1)
	for i := range n {
		day := last.AddDate(0, 0, i-n+1)
		var buf []byte
		for range lines {
			buf = g.Append(buf)
		}
		p := filepath.Join(dir, "audit."+day.Format("2006-01-02")+".log")
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			tb.Fatal(err)
		}
		mt := day.Add(23 * time.Hour)
		if err := os.Chtimes(p, mt, mt); err != nil {
			tb.Fatal(err)
		}
	}
	return n * lines
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkTailCatchUp: the tailer starts on a directory of 1 000 or
// 10 000 day files of 3 lines each (the days of 3 or 27 years, all
// finished: older than rotate_grace) and reads them all, oldest first,
// into a handler that acknowledges at once. Reports the wall time and the
// CPU time per file; linear catch-up keeps both flat as files grow.
func BenchmarkTailCatchUp(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				b.StopTimer()
				dir := b.TempDir()
				want := writeDayFiles(b, dir, n, 3)
				reg, err := OpenRegistry(filepath.Join(b.TempDir(), "registry.json"), nil)
				if err != nil {
					b.Fatal(err)
				}
				tl, err := NewTailer(TailConfig{Dir: dir, Registry: reg, PollInterval: time.Second, RotateGrace: time.Second})
				if err != nil {
					b.Fatal(err)
				}
				h := &countHandler{last: map[*Tracked][2]int64{}}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				b.StartTimer()
				start, cpu0 := time.Now(), cpuTime()
				go func() { done <- tl.Run(ctx, h) }()
				for h.n.Load() < int64(want) {
					time.Sleep(time.Millisecond)
				}
				wall, cpu := time.Since(start), cpuTime()-cpu0
				b.StopTimer()
				cancel()
				if err := <-done; err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(wall.Seconds(), "wall-s")
				b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/file")
				b.StartTimer()
			}
		})
	}
}

// BenchmarkTailIdle: after the catch-up of 10 000 day files, the tailer
// follows the newest (no new lines) for 10 s. Reports the CPU used
// meanwhile, in % of one core. Run with -benchtime 1x.
func BenchmarkTailIdle(b *testing.B) {
	for _, poll := range []bool{false, true} {
		b.Run(fmt.Sprintf("files=10000/poll=%v", poll), func(b *testing.B) {
			const n = 10000
			dir := b.TempDir()
			want := writeDayFiles(b, dir, n, 3)
			reg, err := OpenRegistry(filepath.Join(b.TempDir(), "registry.json"), nil)
			if err != nil {
				b.Fatal(err)
			}
			tl, err := NewTailer(TailConfig{Dir: dir, Registry: reg, PollInterval: time.Second, RotateGrace: time.Second, Poll: poll})
			if err != nil {
				b.Fatal(err)
			}
			h := &countHandler{last: map[*Tracked][2]int64{}}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- tl.Run(ctx, h) }()
			for h.n.Load() < int64(want) {
				time.Sleep(10 * time.Millisecond)
			}
			if err := reg.Save(); err != nil {
				b.Fatal(err)
			}
			time.Sleep(2 * time.Second) // settle
			b.ResetTimer()
			const span = 10 * time.Second
			cpu0 := cpuTime()
			for range b.N {
				time.Sleep(span)
				if err := reg.Save(); err != nil { // as the daemon's flush ticker would
					b.Fatal(err)
				}
			}
			cpu := cpuTime() - cpu0
			b.StopTimer()
			cancel()
			if err := <-done; err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(100*cpu.Seconds()/(span.Seconds()*float64(b.N)), "cpu-%")
			b.ReportMetric(float64(len(reg.Entries())), "entries")
		})
	}
}

// BenchmarkRegistrySave: a save of a registry of 10 000 entries after
// one entry changed (an acknowledgement of the followed file: the
// steady state) and after every entry changed. The file is written whole;
// only changed entries are encoded again. Reports the file size.
func BenchmarkRegistrySave(b *testing.B) {
	const n = 10000
	for _, changed := range []int{1, n} {
		b.Run(fmt.Sprintf("entries=%d/changed=%d", n, changed), func(b *testing.B) {
			b.ReportAllocs()
			path := filepath.Join(b.TempDir(), "registry.json")
			reg, err := OpenRegistry(path, nil)
			if err != nil {
				b.Fatal(err)
			}
			entries := make([]Entry, n)
			day := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
			for i := range entries {
				entries[i] = Entry{FileID: FileID{Dev: 64768, Ino: uint64(1000000 + i), Fingerprint: fmt.Sprintf("%032x", i)},
					Path: "/var/log/authing-server/audit." + day.AddDate(0, 0, i).Format("2006-01-02") + ".log", Offset: 52_000_000, Line: 100_000, Done: true}
				reg.Set(entries[i])
			}
			if err := reg.Save(); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := range b.N {
				for j := range changed {
					e := &entries[(i+j)%n]
					e.Offset++
					reg.Set(*e)
				}
				if err := reg.Save(); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
			st, _ := os.Stat(path)
			b.ReportMetric(float64(st.Size()), "file-bytes")
		})
	}
}
