package daemon

import (
	"context"
	"log/slog"
	"os"

	"github.com/ingestd/ingestd/enrich"
	"github.com/ingestd/ingestd/internal/sdnotify"
	"github.com/ingestd/ingestd/metrics"
)

// lifecycle is the daemon's conversation with its supervisor: readiness
// and stopping for systemd (Type=notify), reloads on SIGHUP, and the watch
// on the GeoIP database file.
type lifecycle struct {
	settings *enrich.Settings
	enr      *enrich.Enricher
	log      *slog.Logger
	Reloads  metrics.ReloadStats
}

// startLifecycle reloads the dictionary and directory on each hangup and
// watches the GeoIP database until ctx ends. Call ready once start-up is
// complete.
func startLifecycle(ctx context.Context, s *enrich.Settings, enr *enrich.Enricher, hangups <-chan os.Signal, log *slog.Logger) *lifecycle {
	l := &lifecycle{settings: s, enr: enr, log: log}
	go OnHangup(ctx, hangups, log, l.reloadTables)
	if g := enr.GeoIP(); g != nil && s.GeoIPCheck > 0 {
		go g.Watch(ctx, s.GeoIPCheck, log)
	}
	context.AfterFunc(ctx, func() { Notify(log, sdnotify.Stopping) })
	return l
}

// ready tells systemd that start-up is complete.
func (l *lifecycle) ready() { Notify(l.log, sdnotify.Ready) }

// reloadTables reads the dictionary and the directory again and puts them
// in use together; if either fails, both old ones stay.
func (l *lifecycle) reloadTables() {
	dir, err := l.settings.Reload(l.enr)
	if err != nil {
		l.Reloads.TablesFailed.Add(1)
		l.log.Error("reload refused; keeping the dictionary and directory in use", "err", err)
		return
	}
	l.Reloads.Tables.Add(1)
	s := l.settings
	l.log.Info("dictionary and directory reloaded", "dict", s.Dict, "lang", s.Lang, "directory", s.Directory,
		"user_pools", len(dir.UserPools), "photos", len(dir.Photos))
}

// OnHangup calls reload on each hangup until ctx ends, telling systemd
// that the service is reloading, then ready again.
func OnHangup(ctx context.Context, hangups <-chan os.Signal, log *slog.Logger, reload func()) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hangups:
			Notify(log, sdnotify.Reloading)
			reload()
			Notify(log, sdnotify.Ready)
		}
	}
}

// Notify sends a state to systemd, logging (not failing) when it cannot.
func Notify(log *slog.Logger, send func() (bool, error)) {
	if _, err := send(); err != nil {
		log.Warn("systemd notification failed", "err", err)
	}
}
