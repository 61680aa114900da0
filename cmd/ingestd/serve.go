package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/ingestd/ingestd/query"
	"github.com/ingestd/ingestd/sink"
	"github.com/spf13/cobra"
)

func loadSigner(file string) (*query.Signer, error) {
	if file != "" {
		return query.LoadSigner(file)
	}
	if k := os.Getenv("INGESTD_SIGNING_KEY"); k != "" {
		return query.NewSigner([]byte(k))
	}
	return nil, errors.New("no signing key: set INGESTD_SIGNING_KEY or --signing-key-file")
}

// serveFlags are serve's settings.
type serveFlags struct {
	conn                   sink.Conn
	query                  query.Config
	listen, keyFile, pools string
}

func newServeCmd() *cobra.Command {
	f := serveFlags{conn: defaultConn()}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Answer GET /api/v2/analysis/audit (Authing's list_audit_logs) over the indexed documents",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return f.run(cmd.Context()) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "listen", "127.0.0.1:8080", "address to listen on")
	connFlags(fl, &f.conn)
	fl.StringVar(&f.query.Index, "index", "authing-audit-*", "indices to search")
	fl.StringVar(&f.keyFile, "signing-key-file", "", "token key: a PEM Ed25519 (EdDSA) or RSA (RS256) private key, or an HS256 secret of at least 32 bytes (or env INGESTD_SIGNING_KEY, HS256)")
	fl.StringVar(&f.pools, "pools", "", "pools file (userPoolId: bcrypt of its secret) enabling POST /graphql/v2 accessToken")
	fl.DurationVar(&f.query.TokenTTL, "token-ttl", 24*time.Hour, "lifetime of exchanged tokens")
	fl.IntVar(&f.query.MaxLimit, "max-limit", 100, "largest page size")
	fl.IntVar(&f.query.Exchange.Concurrency, "exchange-concurrency", 0, "token exchanges (POST /graphql/v2) run at once, more get 503 (default: half the CPUs, at least 1)")
	fl.Float64Var(&f.query.Exchange.Rate, "exchange-rate", query.DefaultExchangeRate, "token exchanges per second one client address may start, more get 429 with Retry-After (0: the default)")
	fl.IntVar(&f.query.Exchange.Burst, "exchange-burst", query.DefaultExchangeBurst, "token exchanges one client address may send at once after a quiet period (0: the default)")
	return cmd
}

func (f *serveFlags) run(ctx context.Context) error {
	log := slog.Default()
	cfg := f.query
	cfg.Logger = log
	var err error
	if cfg.Signer, err = loadSigner(f.keyFile); err != nil {
		return &exitError{2, err}
	}
	if f.pools != "" {
		if cfg.Pools, err = query.LoadPools(f.pools); err != nil {
			return &exitError{2, err}
		}
	}
	if len(f.conn.URLs) == 0 {
		return &exitError{2, errors.New("--es is required")}
	}
	if cfg.Transport, _, err = f.conn.Connect(ctx, log); err != nil {
		return &exitError{1, err}
	}
	srv, err := query.New(cfg)
	if err != nil {
		return &exitError{2, err}
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return &exitError{1, err}
	}
	handler := newSwapHandler(srv)
	log.Info("serving the audit API", "addr", ln.Addr().String(), "index", cfg.Index, "token_exchange", cfg.Pools != nil)
	// Ready: the engine has answered, the port is bound. SIGHUP reads the
	// pools file again.
	serveLifecycle(ctx, log, handler, func() (http.Handler, error) {
		if f.pools == "" {
			return nil, errors.New("no --pools file to reload")
		}
		np, err := query.LoadPools(f.pools)
		if err != nil {
			return nil, err
		}
		c := cfg
		c.Pools = np
		return query.New(c)
	})
	if err := query.Serve(ctx, ln, handler); err != nil {
		return &exitError{1, err}
	}
	return nil
}

func newTokenCmd() *cobra.Command {
	var (
		keyFile string
		pools   []string
		ttl     time.Duration
	)
	cmd := &cobra.Command{
		Use:   "token --pool ID [--pool ID…]",
		Short: "Mint an access token for the audit API",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			signer, err := loadSigner(keyFile)
			if err != nil {
				return &exitError{2, err}
			}
			if len(pools) == 0 {
				return &exitError{2, errors.New("--pool is required")}
			}
			tok, _, exp, err := signer.Mint(pools, ttl)
			if err != nil {
				return &exitError{1, err}
			}
			fmt.Fprintln(cmd.OutOrStdout(), tok)
			fmt.Fprintf(cmd.ErrOrStderr(), "token: pools %s, expires %s\n", strings.Join(pools, ","), exp.UTC().Format(time.RFC3339))
			return nil
		},
	}
	cmd.Flags().StringVar(&keyFile, "signing-key-file", "", "token key file, as for serve (or env INGESTD_SIGNING_KEY)")
	cmd.Flags().StringSliceVar(&pools, "pool", nil, "user pool the token may read (repeatable)")
	cmd.Flags().DurationVar(&ttl, "ttl", time.Hour, "lifetime")
	return cmd
}

func newHashSecretCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "hash-secret",
		Short: "Read a pool secret on stdin and print the bcrypt hash to put in the pools file",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
			line = strings.TrimRight(line, "\r\n")
			if line == "" {
				return &exitError{2, fmt.Errorf("no secret on stdin: %v", err)}
			}
			h, err := query.HashSecret(line)
			if err != nil {
				return &exitError{1, err}
			}
			fmt.Fprintln(cmd.OutOrStdout(), h)
			return nil
		},
	}
}
