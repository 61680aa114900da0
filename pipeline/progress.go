package pipeline

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// ShowProgress reports st while a run reads total bytes: a bar named name
// on w when w is a terminal, a log line every 10 s otherwise. The
// returned function stops it (and waits for its goroutine).
func ShowProgress(ctx context.Context, w io.Writer, name string, total int64, st *Stats, log *slog.Logger) func() {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	go func() {
		defer close(done)
		start := time.Now()
		var bar *progressbar.ProgressBar
		every := 10 * time.Second
		if tty {
			bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(w), progressbar.OptionShowBytes(true),
				progressbar.OptionSetDescription(name), progressbar.OptionThrottle(200*time.Millisecond),
				progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish(), progressbar.OptionFullWidth())
			every = 200 * time.Millisecond
		}
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				if bar != nil {
					bar.Finish()
				}
				return
			case <-t.C:
				done := st.DiskBytes.Load()
				if bar != nil {
					bar.Describe(fmt.Sprintf("%s %d lines, %.0f lines/s", name, st.Lines.Load(), float64(st.Lines.Load())/time.Since(start).Seconds()))
					bar.Set64(done)
					continue
				}
				el := time.Since(start)
				eta := "?"
				if done > 0 {
					eta = (time.Duration(float64(el) * float64(total-done) / float64(done))).Round(time.Second).String()
				}
				log.Info("progress", "bytes", done, "of", total, "lines", st.Lines.Load(),
					"lines_per_s", int(float64(st.Lines.Load())/el.Seconds()), "eta", eta)
			}
		}
	}()
	return func() { cancel(); <-done }
}
