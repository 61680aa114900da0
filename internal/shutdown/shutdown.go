package shutdown

import (
	"context"
	"log/slog"
	"time"
)

// GraceAfter returns a context for in-flight work: it ends when hard ends,
// or grace after soft ended (the first signal), whichever comes first. The
// timer starts at the signal, not when reading has wound down.
func GraceAfter(soft, hard context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(hard)
	stop := context.AfterFunc(soft, func() {
		t := time.AfterFunc(grace, func() {
			slog.Warn("shutdown timeout: abandoning in-flight work", "timeout", grace)
			cancel()
		})
		context.AfterFunc(ctx, func() { t.Stop() })
	})
	return ctx, func() { stop(); cancel() }
}
