package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/ingestd/ingestd/deploy"
	"github.com/ingestd/ingestd/metrics"
	"github.com/ingestd/ingestd/sink"
	"github.com/spf13/cobra"
)

// engineFlags configure the search-engine sink. Secrets are read from the
// environment or from files, never from the command line.
type engineFlags struct {
	URLs           []string      `yaml:"urls"`
	Flavor         string        `yaml:"engine"`
	User           string        `yaml:"user"`
	PasswordFile   string        `yaml:"password_file"`
	APIKeyFile     string        `yaml:"api_key_file"`
	CAFile         string        `yaml:"ca_file"`
	CAFingerprint  string        `yaml:"ca_fingerprint"`
	SkipVerify     bool          `yaml:"tls_skip_verify"`
	Index          string        `yaml:"index"`
	DataStream     string        `yaml:"data_stream"`
	OpType         string        `yaml:"op_type"`
	NoTemplate     bool          `yaml:"no_template"`
	FlushBytes     int           `yaml:"flush_bytes"`
	FlushDocs      int           `yaml:"flush_docs"`
	FlushInterval  time.Duration `yaml:"flush_interval"`
	MaxInFlight    int           `yaml:"max_in_flight"`
	MaxRetries     int           `yaml:"max_retries"`
	RequestTimeout time.Duration `yaml:"request_timeout"`
}

func (f *engineFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringSliceVar(&f.URLs, "es", nil, "search engine URL(s), e.g. http://127.0.0.1:9201; documents are indexed there instead of written as NDJSON")
	fl.StringVar(&f.Flavor, "engine", sink.FlavorAuto, "engine flavor: auto (ask GET /), elasticsearch or opensearch")
	fl.StringVar(&f.User, "es-user", os.Getenv("INGESTD_ES_USER"), "basic-auth user (env INGESTD_ES_USER); the password comes from INGESTD_ES_PASSWORD or --es-password-file")
	fl.StringVar(&f.PasswordFile, "es-password-file", "", "file holding the basic-auth password")
	fl.StringVar(&f.APIKeyFile, "es-api-key-file", "", "file holding an API key (or env INGESTD_ES_API_KEY)")
	fl.StringVar(&f.CAFile, "es-ca-file", "", "PEM file of CAs to trust for the engine's TLS certificate")
	fl.StringVar(&f.CAFingerprint, "es-ca-fingerprint", "", "SHA-256 fingerprint (hex) of the engine's certificate or CA to pin")
	fl.BoolVar(&f.SkipVerify, "es-tls-skip-verify", false, "do not verify the engine's TLS certificate (unsafe)")
	fl.StringVar(&f.Index, "index", sink.DefaultIndex, "index name pattern; %{+yyyy.MM.dd} is the event date")
	fl.StringVar(&f.DataStream, "data-stream", "", "index into this data stream instead (op type create)")
	fl.StringVar(&f.OpType, "op-type", "index", "index (a re-sent document replaces the stored one) or create (409 counts as already indexed)")
	fl.BoolVar(&f.NoTemplate, "no-template", false, "do not install the index template at start")
	fl.IntVar(&f.FlushBytes, "flush-bytes", 5<<20, "send a bulk request at this body size")
	fl.IntVar(&f.FlushDocs, "flush-docs", 5000, "or at this many documents")
	fl.DurationVar(&f.FlushInterval, "flush-interval", time.Second, "or when its oldest document waited this long")
	fl.IntVar(&f.MaxInFlight, "max-in-flight", 2, "concurrent bulk requests")
	fl.IntVar(&f.MaxRetries, "max-retries", 0, "retries of a document before it is dead-lettered (0: retry forever, with back-pressure)")
	fl.DurationVar(&f.RequestTimeout, "request-timeout", time.Minute, "timeout of one bulk request")
}

func (f *engineFlags) enabled() bool { return len(f.URLs) > 0 }

// credentialsHint completes sink.ErrURLUserInfo with where credentials go.
const credentialsHint = "give the user with --es-user or INGESTD_ES_USER (output.user in the daemon's config) " +
	"and the password with INGESTD_ES_PASSWORD or --es-password-file (output.password_file), " +
	"or an API key with --es-api-key-file or INGESTD_ES_API_KEY (output.api_key_file)"

// checkURLs validates the engine URLs (sink.CheckURL) and says where
// credentials go when a URL carries them.
func checkURLs(urls []string) error {
	for _, u := range urls {
		if err := sink.CheckURL(u); err != nil {
			if errors.Is(err, sink.ErrURLUserInfo) {
				return fmt.Errorf("%w; %s", err, credentialsHint)
			}
			return err
		}
	}
	return nil
}

// secret returns the value of env, or the first line of file. A file that
// its group or others may read is used, with a warning.
func secret(env, file string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("secret file: %w", err)
		}
		warnReadable(file)
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	return os.Getenv(env), nil
}

// warnReadable logs one warning when file's permissions let its group or
// others read it.
func warnReadable(file string) {
	st, err := os.Stat(file)
	if err != nil || st.Mode().Perm()&0o077 == 0 {
		return
	}
	slog.Warn("secret file is readable by group or others; run chmod 600 on it",
		"file", file, "mode", fmt.Sprintf("%04o", st.Mode().Perm()))
}

// connect reads the secrets and connects to the engine.
func (f *engineFlags) connect(ctx context.Context, log *slog.Logger) (sink.Transport, string, error) {
	if err := checkURLs(f.URLs); err != nil {
		return nil, "", err
	}
	password, err := secret("INGESTD_ES_PASSWORD", f.PasswordFile)
	if err != nil {
		return nil, "", err
	}
	apiKey, err := secret("INGESTD_ES_API_KEY", f.APIKeyFile)
	if err != nil {
		return nil, "", err
	}
	return sink.Connect(ctx, sink.EngineConfig{
		URLs: f.URLs, Flavor: f.Flavor, Username: f.User, Password: password, APIKey: apiKey,
		CAFile: f.CAFile, CAFingerprint: f.CAFingerprint, SkipVerify: f.SkipVerify, Logger: log,
	})
}

// open connects to the engine, installs the index template and returns
// the bulk sink. hard bounds the sink's retries at shutdown.
func (f *engineFlags) open(ctx, hard context.Context, letters *sink.DeadLetters, log *slog.Logger) (*sink.Bulk, error) {
	tr, flavor, err := f.connect(ctx, log)
	if err != nil {
		return nil, err
	}
	tr = metrics.TimeBulk(tr) // ingestd_engine_bulk_request_duration_seconds
	if !f.NoTemplate {
		body, err := sink.Template(deploy.IndexTemplate, f.Index, f.DataStream)
		if err != nil {
			return nil, err
		}
		if err := sink.InstallTemplate(ctx, tr, sink.TemplateName(f.Index, f.DataStream), body); err != nil {
			return nil, err
		}
	}
	log.Info("indexing into the engine", "flavor", flavor, "index", f.Index, "data_stream", f.DataStream, "op_type", f.OpType)
	return sink.NewBulk(hard, sink.BulkConfig{
		Transport: tr, Index: f.Index, DataStream: f.DataStream, OpType: f.OpType,
		FlushBytes: f.FlushBytes, FlushDocs: f.FlushDocs, FlushInterval: f.FlushInterval,
		MaxInFlight: f.MaxInFlight, MaxRetries: f.MaxRetries, Timeout: f.RequestTimeout,
		DeadLetters: letters, Logger: log,
	})
}

func printBulkSummary(w io.Writer, s *sink.BulkStats, who string) {
	fmt.Fprintf(w, "%s: engine indexed %d, already present %d, dead-lettered %d; %d bulk requests, %d failed, %d document retries, %d splits\n",
		who, s.Indexed.Load(), s.Duplicates.Load(), s.DeadLettered.Load(), s.Requests.Load(), s.Failures.Load(), s.Retried.Load(), s.Splits.Load())
}
