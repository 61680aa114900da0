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

func newServeCmd() *cobra.Command {
	var (
		engine   engineFlags
		listen   string
		index    string
		keyFile  string
		pools    string
		tokenTTL time.Duration
		maxLimit int
		exchange query.ExchangeLimits
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Answer GET /api/v2/analysis/audit (Authing's list_audit_logs) over the indexed documents",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log := slog.Default()
			signer, err := loadSigner(keyFile)
			if err != nil {
				return &exitError{2, err}
			}
			var p *query.Pools
			if pools != "" {
				if p, err = query.LoadPools(pools); err != nil {
					return &exitError{2, err}
				}
			}
			if len(engine.URLs) == 0 {
				return &exitError{2, errors.New("--es is required")}
			}
			password, err := secret("INGESTD_ES_PASSWORD", engine.PasswordFile)
			if err != nil {
				return &exitError{2, err}
			}
			apiKey, err := secret("INGESTD_ES_API_KEY", engine.APIKeyFile)
			if err != nil {
				return &exitError{2, err}
			}
			tr, _, err := sink.Connect(cmd.Context(), sink.EngineConfig{URLs: engine.URLs, Flavor: engine.Flavor,
				Username: engine.User, Password: password, APIKey: apiKey, CAFile: engine.CAFile,
				CAFingerprint: engine.CAFingerprint, SkipVerify: engine.SkipVerify, Logger: log})
			if err != nil {
				return &exitError{1, err}
			}
			qcfg := query.Config{Transport: tr, Index: index, Signer: signer, Pools: p,
				TokenTTL: tokenTTL, MaxLimit: maxLimit, Exchange: exchange, Logger: log}
			srv, err := query.New(qcfg)
			if err != nil {
				return &exitError{2, err}
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return &exitError{1, err}
			}
			handler := newSwapHandler(srv)
			hs := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
				WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: query.MaxHeaderBytes}
			log.Info("serving the audit API", "addr", ln.Addr().String(), "index", index, "token_exchange", p != nil)
			// Ready: the engine has answered, the port is bound. SIGHUP
			// reads the pools file again.
			serveLifecycle(cmd.Context(), log, handler, func() (http.Handler, error) {
				if pools == "" {
					return nil, errors.New("no --pools file to reload")
				}
				np, err := query.LoadPools(pools)
				if err != nil {
					return nil, err
				}
				c := qcfg
				c.Pools = np
				return query.New(c)
			})
			go func() {
				<-cmd.Context().Done()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				hs.Shutdown(ctx)
			}()
			if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return &exitError{1, err}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&listen, "listen", "127.0.0.1:8080", "address to listen on")
	fl.StringSliceVar(&engine.URLs, "es", nil, "engine URL(s)")
	fl.StringVar(&engine.Flavor, "engine", sink.FlavorAuto, "auto, elasticsearch or opensearch")
	fl.StringVar(&engine.User, "es-user", os.Getenv("INGESTD_ES_USER"), "basic-auth user")
	fl.StringVar(&engine.PasswordFile, "es-password-file", "", "file holding the password (or env INGESTD_ES_PASSWORD)")
	fl.StringVar(&engine.APIKeyFile, "es-api-key-file", "", "file holding an API key (or env INGESTD_ES_API_KEY)")
	fl.StringVar(&engine.CAFile, "es-ca-file", "", "PEM CAs for the engine")
	fl.StringVar(&engine.CAFingerprint, "es-ca-fingerprint", "", "pin the engine's certificate")
	fl.BoolVar(&engine.SkipVerify, "es-tls-skip-verify", false, "do not verify the engine's certificate (unsafe)")
	fl.StringVar(&index, "index", "authing-audit-*", "indices to search")
	fl.StringVar(&keyFile, "signing-key-file", "", "token key: a PEM Ed25519 (EdDSA) or RSA (RS256) private key, or an HS256 secret of at least 32 bytes (or env INGESTD_SIGNING_KEY, HS256)")
	fl.StringVar(&pools, "pools", "", "pools file (userPoolId: bcrypt of its secret) enabling POST /graphql/v2 accessToken")
	fl.DurationVar(&tokenTTL, "token-ttl", 24*time.Hour, "lifetime of exchanged tokens")
	fl.IntVar(&maxLimit, "max-limit", 100, "largest page size")
	fl.IntVar(&exchange.Concurrency, "exchange-concurrency", 0, "token exchanges (POST /graphql/v2) run at once, more get 503 (default: half the CPUs, at least 1)")
	fl.Float64Var(&exchange.Rate, "exchange-rate", query.DefaultExchangeRate, "token exchanges per second one client address may start, more get 429 with Retry-After (0: the default)")
	fl.IntVar(&exchange.Burst, "exchange-burst", query.DefaultExchangeBurst, "token exchanges one client address may send at once after a quiet period (0: the default)")
	return cmd
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
