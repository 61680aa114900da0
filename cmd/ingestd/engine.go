package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/ingestd/ingestd/deploy"
	"github.com/ingestd/ingestd/sink"
	"github.com/spf13/cobra"
)

// engineFlags configure the search-engine sink. Secrets are read from the
// environment or from files, never from the command line.
type engineFlags struct {
	urls           []string
	flavor         string
	user           string
	passwordFile   string
	apiKeyFile     string
	caFile         string
	caFingerprint  string
	skipVerify     bool
	index          string
	dataStream     string
	opType         string
	noTemplate     bool
	flushBytes     int
	flushDocs      int
	flushInterval  time.Duration
	maxInFlight    int
	maxRetries     int
	requestTimeout time.Duration
}

func (f *engineFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringSliceVar(&f.urls, "es", nil, "search engine URL(s), e.g. http://127.0.0.1:9201; documents are indexed there instead of written as NDJSON")
	fl.StringVar(&f.flavor, "engine", sink.FlavorAuto, "engine flavor: auto (ask GET /), elasticsearch or opensearch")
	fl.StringVar(&f.user, "es-user", os.Getenv("INGESTD_ES_USER"), "basic-auth user (env INGESTD_ES_USER); the password comes from INGESTD_ES_PASSWORD or --es-password-file")
	fl.StringVar(&f.passwordFile, "es-password-file", "", "file holding the basic-auth password")
	fl.StringVar(&f.apiKeyFile, "es-api-key-file", "", "file holding an API key (or env INGESTD_ES_API_KEY)")
	fl.StringVar(&f.caFile, "es-ca-file", "", "PEM file of CAs to trust for the engine's TLS certificate")
	fl.StringVar(&f.caFingerprint, "es-ca-fingerprint", "", "SHA-256 fingerprint (hex) of the engine's certificate or CA to pin")
	fl.BoolVar(&f.skipVerify, "es-tls-skip-verify", false, "do not verify the engine's TLS certificate (unsafe)")
	fl.StringVar(&f.index, "index", sink.DefaultIndex, "index name pattern; %{+yyyy.MM.dd} is the event date")
	fl.StringVar(&f.dataStream, "data-stream", "", "index into this data stream instead (op type create)")
	fl.StringVar(&f.opType, "op-type", "index", "index (a re-sent document replaces the stored one) or create (409 counts as already indexed)")
	fl.BoolVar(&f.noTemplate, "no-template", false, "do not install the index template at start")
	fl.IntVar(&f.flushBytes, "flush-bytes", 5<<20, "send a bulk request at this body size")
	fl.IntVar(&f.flushDocs, "flush-docs", 5000, "or at this many documents")
	fl.DurationVar(&f.flushInterval, "flush-interval", time.Second, "or when its oldest document waited this long")
	fl.IntVar(&f.maxInFlight, "max-in-flight", 2, "concurrent bulk requests")
	fl.IntVar(&f.maxRetries, "max-retries", 0, "retries of a document before it is dead-lettered (0: retry forever, with back-pressure)")
	fl.DurationVar(&f.requestTimeout, "request-timeout", time.Minute, "timeout of one bulk request")
}

func (f *engineFlags) enabled() bool { return len(f.urls) > 0 }

// secret returns the value of env, or the first line of file.
func secret(env, file string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("secret file: %w", err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	return os.Getenv(env), nil
}

// open connects to the engine, installs the index template and returns
// the bulk sink. hard bounds the sink's retries at shutdown.
func (f *engineFlags) open(ctx, hard context.Context, letters *sink.DeadLetters, log *slog.Logger) (*sink.Bulk, error) {
	password, err := secret("INGESTD_ES_PASSWORD", f.passwordFile)
	if err != nil {
		return nil, err
	}
	apiKey, err := secret("INGESTD_ES_API_KEY", f.apiKeyFile)
	if err != nil {
		return nil, err
	}
	tr, flavor, err := sink.Connect(ctx, sink.EngineConfig{
		URLs: f.urls, Flavor: f.flavor, Username: f.user, Password: password, APIKey: apiKey,
		CAFile: f.caFile, CAFingerprint: f.caFingerprint, SkipVerify: f.skipVerify, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	if !f.noTemplate {
		body, err := sink.Template(deploy.IndexTemplate, f.index, f.dataStream)
		if err != nil {
			return nil, err
		}
		if err := sink.InstallTemplate(ctx, tr, sink.TemplateName(f.index, f.dataStream), body); err != nil {
			return nil, err
		}
	}
	log.Info("indexing into the engine", "flavor", flavor, "index", f.index, "data_stream", f.dataStream, "op_type", f.opType)
	return sink.NewBulk(hard, sink.BulkConfig{
		Transport: tr, Index: f.index, DataStream: f.dataStream, OpType: f.opType,
		FlushBytes: f.flushBytes, FlushDocs: f.flushDocs, FlushInterval: f.flushInterval,
		MaxInFlight: f.maxInFlight, MaxRetries: f.maxRetries, Timeout: f.requestTimeout,
		DeadLetters: letters, Logger: log,
	})
}

func printBulkSummary(w io.Writer, s *sink.BulkStats) {
	fmt.Fprintf(w, "replay: engine indexed %d, already present %d, dead-lettered %d; %d bulk requests, %d failed, %d document retries, %d splits\n",
		s.Indexed.Load(), s.Duplicates.Load(), s.DeadLettered.Load(), s.Requests.Load(), s.Failures.Load(), s.Retried.Load(), s.Splits.Load())
}
