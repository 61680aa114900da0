package serve

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync/atomic"

	"github.com/ingestd/ingestd/daemon"
	"github.com/ingestd/ingestd/internal/exitcode"
	"github.com/ingestd/ingestd/internal/sdnotify"
	"github.com/ingestd/ingestd/query"
	"github.com/ingestd/ingestd/sink"
)

// Defaults of Options.
const (
	DefaultListen = "127.0.0.1:8080"
	// EnvSigningKey holds an HS256 secret when no key file is given.
	EnvSigningKey = "INGESTD_SIGNING_KEY"
)

// Options are serve's settings.
type Options struct {
	Listen string
	// Listener, if set, is served instead of binding Listen.
	Listener net.Listener
	// KeyFile is the token key (else EnvSigningKey); Pools the pools file
	// ("": no token exchange).
	KeyFile, Pools string
	Conn           sink.Conn
	// Query is the API's configuration; Transport, Signer, Pools and
	// Logger are filled in by Run.
	Query query.Config
	// Hangups receives SIGHUP: read the pools file again.
	Hangups <-chan os.Signal
	Logger  *slog.Logger
}

// Defaults are serve's settings before flags (the connection's are the
// caller's).
func Defaults() Options {
	return Options{Listen: DefaultListen, Query: query.Config{Index: query.DefaultIndex,
		TokenTTL: query.DefaultTokenTTL, MaxLimit: query.DefaultMaxLimit,
		Exchange: query.ExchangeLimits{Rate: query.DefaultExchangeRate, Burst: query.DefaultExchangeBurst}}}
}

// LoadSigner reads the token key from file, or else from EnvSigningKey.
func LoadSigner(file string) (*query.Signer, error) {
	if file != "" {
		return query.LoadSigner(file)
	}
	if k := os.Getenv(EnvSigningKey); k != "" {
		return query.NewSigner([]byte(k))
	}
	return nil, errors.New("no signing key: set " + EnvSigningKey + " or --signing-key-file")
}

// Run serves the audit API until ctx ends.
func Run(ctx context.Context, o Options) error {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	cfg, err := o.config(ctx)
	if err != nil {
		return err
	}
	srv, err := query.New(cfg)
	if err != nil {
		return exitcode.New(exitcode.Usage, err)
	}
	ln := o.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", o.Listen); err != nil {
			return exitcode.New(exitcode.Failed, err)
		}
	}
	handler := NewSwapHandler(srv)
	o.Logger.Info("serving the audit API", "addr", ln.Addr().String(), "index", cfg.Index, "token_exchange", cfg.Pools != nil)
	// Ready: the engine has answered, the port is bound.
	Lifecycle(ctx, o.Logger, o.Hangups, handler, func() (http.Handler, error) { return o.rebuild(cfg) })
	if err := query.Serve(ctx, ln, handler); err != nil {
		return exitcode.New(exitcode.Failed, err)
	}
	return nil
}

// config loads the key and the pools and connects to the engine.
func (o *Options) config(ctx context.Context) (query.Config, error) {
	cfg := o.Query
	cfg.Logger = o.Logger
	var err error
	if cfg.Signer, err = LoadSigner(o.KeyFile); err != nil {
		return cfg, exitcode.New(exitcode.Usage, err)
	}
	if o.Pools != "" {
		if cfg.Pools, err = query.LoadPools(o.Pools); err != nil {
			return cfg, exitcode.New(exitcode.Usage, err)
		}
	}
	if len(o.Conn.URLs) == 0 {
		return cfg, exitcode.New(exitcode.Usage, errors.New("--es is required"))
	}
	if cfg.Transport, _, err = o.Conn.Connect(ctx, o.Logger); err != nil {
		return cfg, exitcode.New(exitcode.Failed, err)
	}
	return cfg, nil
}

// rebuild reads the pools file again and builds a new API handler.
func (o *Options) rebuild(cfg query.Config) (http.Handler, error) {
	if o.Pools == "" {
		return nil, errors.New("no --pools file to reload")
	}
	np, err := query.LoadPools(o.Pools)
	if err != nil {
		return nil, err
	}
	cfg.Pools = np
	return query.New(cfg)
}

// SwapHandler serves with the handler in use; a reload puts a rebuilt one
// in place while requests go on (each request uses one handler).
type SwapHandler struct{ h atomic.Pointer[http.Handler] }

// NewSwapHandler starts with h.
func NewSwapHandler(h http.Handler) *SwapHandler {
	s := &SwapHandler{}
	s.Store(h)
	return s
}

// Store puts h in place for the requests that arrive from now on.
func (s *SwapHandler) Store(h http.Handler) { s.h.Store(&h) }

func (s *SwapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	(*s.h.Load()).ServeHTTP(w, r)
}

// Lifecycle tells systemd the server is ready (and stopping once ctx
// ends), and on each hangup puts a handler rebuilt by rebuild in place of
// the one in use; if rebuild fails the old handler stays.
func Lifecycle(ctx context.Context, log *slog.Logger, hangups <-chan os.Signal, h *SwapHandler, rebuild func() (http.Handler, error)) {
	daemon.Notify(log, sdnotify.Ready)
	context.AfterFunc(ctx, func() { daemon.Notify(log, sdnotify.Stopping) })
	go daemon.OnHangup(ctx, hangups, log, func() {
		if nh, err := rebuild(); err != nil {
			log.Error("reload refused; keeping the pools in use", "err", err)
		} else {
			h.Store(nh)
			log.Info("pools file reloaded")
		}
	})
}
