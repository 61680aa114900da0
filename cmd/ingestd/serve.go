package main

import (
	"bufio"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/ingestd/ingestd/internal/exitcode"
	"github.com/ingestd/ingestd/query"
	"github.com/ingestd/ingestd/serve"
	"github.com/spf13/cobra"
)

func newServeCmd() *cobra.Command {
	o := serve.Defaults()
	o.Conn = defaultConn()
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Answer GET /api/v2/analysis/audit (Authing's list_audit_logs) over the indexed documents",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Hangups, o.Logger = hangups, slog.Default()
			return serve.Run(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Listen, "listen", o.Listen, "address to listen on")
	connFlags(fl, &o.Conn)
	fl.StringVar(&o.Query.Index, "index", o.Query.Index, "indices to search")
	fl.StringVar(&o.KeyFile, "signing-key-file", o.KeyFile, "token key: a PEM Ed25519 (EdDSA) or RSA (RS256) private key, or an HS256 secret of at least 32 bytes (or env "+serve.EnvSigningKey+", HS256)")
	fl.StringVar(&o.Pools, "pools", o.Pools, "pools file (userPoolId: bcrypt of its secret) enabling POST /graphql/v2 accessToken")
	fl.DurationVar(&o.Query.TokenTTL, "token-ttl", o.Query.TokenTTL, "lifetime of exchanged tokens")
	fl.IntVar(&o.Query.MaxLimit, "max-limit", o.Query.MaxLimit, "largest page size")
	fl.IntVar(&o.Query.Exchange.Concurrency, "exchange-concurrency", o.Query.Exchange.Concurrency, "token exchanges (POST /graphql/v2) run at once, more get 503 (default: half the CPUs, at least 1)")
	fl.Float64Var(&o.Query.Exchange.Rate, "exchange-rate", o.Query.Exchange.Rate, "token exchanges per second one client address may start, more get 429 with Retry-After (0: the default)")
	fl.IntVar(&o.Query.Exchange.Burst, "exchange-burst", o.Query.Exchange.Burst, "token exchanges one client address may send at once after a quiet period (0: the default)")
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
			signer, err := serve.LoadSigner(keyFile)
			if err != nil {
				return exitcode.New(exitcode.Usage, err)
			}
			if len(pools) == 0 {
				return exitcode.New(exitcode.Usage, errors.New("--pool is required"))
			}
			tok, _, exp, err := signer.Mint(pools, ttl)
			if err != nil {
				return exitcode.New(exitcode.Failed, err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), tok)
			fmt.Fprintf(cmd.ErrOrStderr(), "token: pools %s, expires %s\n", strings.Join(pools, ","), exp.UTC().Format(time.RFC3339))
			return nil
		},
	}
	cmd.Flags().StringVar(&keyFile, "signing-key-file", "", "token key file, as for serve (or env "+serve.EnvSigningKey+")")
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
				return exitcode.New(exitcode.Usage, fmt.Errorf("no secret on stdin: %v", err))
			}
			h, err := query.HashSecret(line)
			if err != nil {
				return exitcode.New(exitcode.Failed, err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), h)
			return nil
		},
	}
}
