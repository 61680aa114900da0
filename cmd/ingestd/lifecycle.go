package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ingestd/ingestd/enrich"
	"github.com/ingestd/ingestd/internal/sdnotify"
	"github.com/ingestd/ingestd/metrics"
)

// hangups receives SIGHUP for the whole process, from the start: its
// default action would end the process, and `systemctl reload` (or a HUP
// that arrives while the engine is still being reached) must not. The
// long-running commands read it; the others ignore it.
var hangups = make(chan os.Signal, 1)

func init() { signal.Notify(hangups, syscall.SIGHUP) }

// lifecycle is the daemon's conversation with its supervisor: readiness
// and stopping for systemd (Type=notify), reloads on SIGHUP, and the watch
// on the GeoIP database file.
type lifecycle struct {
	ef      *enrichFlags
	enr     *enrich.Enricher
	log     *slog.Logger
	Reloads metrics.ReloadStats
}

// startLifecycle handles SIGHUP (dictionary and directory reload) and
// watches the GeoIP database until ctx ends. Call ready once start-up is
// complete.
func startLifecycle(ctx context.Context, ef *enrichFlags, enr *enrich.Enricher, log *slog.Logger) *lifecycle {
	l := &lifecycle{ef: ef, enr: enr, log: log}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hangups:
				notify(log, sdnotify.Reloading)
				l.reloadTables()
				notify(log, sdnotify.Ready)
			}
		}
	}()
	if g := enr.GeoIP(); g != nil && ef.GeoIPCheck > 0 {
		go g.Watch(ctx, ef.GeoIPCheck, log)
	}
	context.AfterFunc(ctx, func() { notify(log, sdnotify.Stopping) })
	return l
}

// ready tells systemd that start-up is complete.
func (l *lifecycle) ready() { notify(l.log, sdnotify.Ready) }

// reloadTables reads the dictionary and the directory again and puts them
// in use together; if either fails, both old ones stay.
func (l *lifecycle) reloadTables() {
	dict, err := enrich.LoadDictionary(l.ef.Lang, l.ef.Dict)
	var dir *enrich.Directory
	if err == nil {
		dir, err = enrich.LoadDirectory(l.ef.Directory)
	}
	if err != nil {
		l.Reloads.TablesFailed.Add(1)
		l.log.Error("reload refused; keeping the dictionary and directory in use", "err", err)
		return
	}
	l.enr.SetTables(dict, dir)
	l.Reloads.Tables.Add(1)
	l.log.Info("dictionary and directory reloaded", "dict", l.ef.Dict, "lang", l.ef.Lang, "directory", l.ef.Directory,
		"user_pools", len(dir.UserPools), "photos", len(dir.Photos))
}

// notify sends a state to systemd, logging (not failing) when it cannot.
func notify(log *slog.Logger, send func() (bool, error)) {
	if _, err := send(); err != nil {
		log.Warn("systemd notification failed", "err", err)
	}
}

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
	notify(log, sdnotify.Ready)
	context.AfterFunc(ctx, func() { notify(log, sdnotify.Stopping) })
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hangups:
				notify(log, sdnotify.Reloading)
				if nh, err := rebuild(); err != nil {
					log.Error("reload refused; keeping the pools in use", "err", err)
				} else {
					h.h.Store(&nh)
					log.Info("pools file reloaded")
				}
				notify(log, sdnotify.Ready)
			}
		}
	}()
}

// defaultGeoIPCheck is how often the daemon looks for a replaced GeoIP
// database (enrich.geoip_check_interval; 0 turns the watch off).
const defaultGeoIPCheck = time.Minute
