package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/ingestd/ingestd/daemon"
	"github.com/ingestd/ingestd/internal/sdnotify"
)

// hangups receives SIGHUP for the whole process, from the start: its
// default action would end the process, and `systemctl reload` (or a HUP
// that arrives while the engine is still being reached) must not. The
// long-running commands read it (run through daemon.Options.Hangups); the
// others ignore it.
var hangups = make(chan os.Signal, 1)

func init() { signal.Notify(hangups, syscall.SIGHUP) }

// swapHandler serves with the handler in use; a reload puts a rebuilt one
// in place while requests go on (each request uses one handler).
type swapHandler struct{ h atomic.Pointer[http.Handler] }

func newSwapHandler(h http.Handler) *swapHandler {
	s := &swapHandler{}
	s.h.Store(&h)
	return s
}

func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	(*s.h.Load()).ServeHTTP(w, r)
}

// serveLifecycle is serve's: readiness and stopping for systemd, and on
// SIGHUP a handler rebuilt by rebuild (the pools file read again) put in
// place of the one in use; if rebuild fails the old handler stays.
func serveLifecycle(ctx context.Context, log *slog.Logger, h *swapHandler, rebuild func() (http.Handler, error)) {
	daemon.Notify(log, sdnotify.Ready)
	context.AfterFunc(ctx, func() { daemon.Notify(log, sdnotify.Stopping) })
	go daemon.OnHangup(ctx, hangups, log, func() {
		if nh, err := rebuild(); err != nil {
			log.Error("reload refused; keeping the pools in use", "err", err)
		} else {
			h.h.Store(&nh)
			log.Info("pools file reloaded")
		}
	})
}
