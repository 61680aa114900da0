package sink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"
)

// Defaults of the bulk sink: NewBulk applies them to zero values, and the
// command line's flags and the daemon's configuration show them.
const (
	DefaultFlushBytes     = 5 << 20
	DefaultFlushDocs      = 5000
	DefaultFlushInterval  = time.Second
	DefaultMaxInFlight    = 2
	DefaultRequestTimeout = time.Minute
	DefaultOpType         = "index"
)

// The environment variables that hold the engine's credentials.
const (
	EnvUser     = "INGESTD_ES_USER"
	EnvPassword = "INGESTD_ES_PASSWORD"
	EnvAPIKey   = "INGESTD_ES_API_KEY"
)

// Conn is how a user says to reach the engine (the engine flags of every
// command, the daemon's output section). Secrets are read from the
// environment or from files at Connect, never given inline.
type Conn struct {
	URLs          []string `yaml:"urls"`
	Flavor        string   `yaml:"engine"`
	User          string   `yaml:"user"`
	PasswordFile  string   `yaml:"password_file"`
	APIKeyFile    string   `yaml:"api_key_file"`
	CAFile        string   `yaml:"ca_file"`
	CAFingerprint string   `yaml:"ca_fingerprint"`
	SkipVerify    bool     `yaml:"tls_skip_verify"`
}

// credentialsHint completes ErrURLUserInfo with where credentials go.
const credentialsHint = "give the user with --es-user or " + EnvUser + " (output.user in the daemon's config) " +
	"and the password with " + EnvPassword + " or --es-password-file (output.password_file), " +
	"or an API key with --es-api-key-file or " + EnvAPIKey + " (output.api_key_file)"

// CheckURLs validates the engine URLs (CheckURL) and says where
// credentials go when a URL carries them.
func CheckURLs(urls []string) error {
	for _, u := range urls {
		if err := CheckURL(u); err != nil {
			if errors.Is(err, ErrURLUserInfo) {
				return fmt.Errorf("%w; %s", err, credentialsHint)
			}
			return err
		}
	}
	return nil
}

// Problems checks the settings without connecting: one "key: message"
// per problem, keys as in the daemon's configuration.
func (c *Conn) Problems() []string {
	var p []string
	if len(c.URLs) == 0 {
		p = append(p, "urls: at least one engine URL is required")
	} else if err := CheckURLs(c.URLs); err != nil {
		p = append(p, "urls: "+err.Error())
	}
	switch c.Flavor {
	case FlavorAuto, FlavorElasticsearch, FlavorOpenSearch:
	default:
		p = append(p, fmt.Sprintf("engine: %q: want auto, elasticsearch or opensearch", c.Flavor))
	}
	for _, f := range []struct{ key, file string }{{"password_file", c.PasswordFile}, {"api_key_file", c.APIKeyFile}, {"ca_file", c.CAFile}} {
		if f.file != "" {
			if _, err := os.Stat(f.file); err != nil {
				p = append(p, fmt.Sprintf("%s: %v", f.key, err))
			}
		}
	}
	return p
}

// Connect reads the secrets and connects to the engine (Connect).
func (c *Conn) Connect(ctx context.Context, log *slog.Logger) (Transport, string, error) {
	if err := CheckURLs(c.URLs); err != nil {
		return nil, "", err
	}
	password, err := secret(EnvPassword, c.PasswordFile, log)
	if err != nil {
		return nil, "", err
	}
	apiKey, err := secret(EnvAPIKey, c.APIKeyFile, log)
	if err != nil {
		return nil, "", err
	}
	return Connect(ctx, EngineConfig{
		URLs: c.URLs, Flavor: c.Flavor, Username: c.User, Password: password, APIKey: apiKey,
		CAFile: c.CAFile, CAFingerprint: c.CAFingerprint, SkipVerify: c.SkipVerify, Logger: log,
	})
}

// secret returns the value of env, or the first line of file. A file that
// its group or others may read is used, with a warning.
func secret(env, file string, log *slog.Logger) (string, error) {
	if file == "" {
		return os.Getenv(env), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("secret file: %w", err)
	}
	if st, err := os.Stat(file); err == nil && st.Mode().Perm()&0o077 != 0 {
		log.Warn("secret file is readable by group or others; run chmod 600 on it",
			"file", file, "mode", fmt.Sprintf("%04o", st.Mode().Perm()))
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// Output is how documents are indexed: where, and the bulk sink's limits
// (the daemon's output section besides Conn, and replay's and verify's
// flags).
type Output struct {
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

// DefaultOutput returns the defaults.
func DefaultOutput() Output {
	return Output{Index: DefaultIndex, OpType: DefaultOpType, FlushBytes: DefaultFlushBytes, FlushDocs: DefaultFlushDocs,
		FlushInterval: DefaultFlushInterval, MaxInFlight: DefaultMaxInFlight, RequestTimeout: DefaultRequestTimeout}
}

// Problems checks the settings: one "key: message" per problem.
func (o *Output) Problems() []string {
	var p []string
	if err := checkOpType(o.OpType); err != nil {
		p = append(p, "op_type: "+err.Error())
	}
	if _, err := Template([]byte(`{}`), o.Index, o.DataStream); err != nil {
		p = append(p, "index: "+err.Error())
	}
	for _, n := range []struct {
		key string
		v   int
	}{{"flush_bytes", o.FlushBytes}, {"flush_docs", o.FlushDocs}, {"max_in_flight", o.MaxInFlight}} {
		if n.v <= 0 {
			p = append(p, fmt.Sprintf("%s: %d: must be positive", n.key, n.v))
		}
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"flush_interval", o.FlushInterval}, {"request_timeout", o.RequestTimeout}} {
		if d.v <= 0 {
			p = append(p, fmt.Sprintf("%s: %v: must be a positive duration such as 1s", d.key, d.v))
		}
	}
	if o.MaxRetries < 0 {
		p = append(p, fmt.Sprintf("max_retries: %d: must not be negative (0 = retry forever)", o.MaxRetries))
	}
	return p
}

// checkOpType accepts the op types the bulk sink knows ("" is the default).
func checkOpType(op string) error {
	switch op {
	case "", "index", "create":
		return nil
	}
	return fmt.Errorf("%q: want index or create", op)
}

// Open installs the index template made from base (unless NoTemplate)
// and returns the bulk sink. hard bounds the sink's retries at shutdown.
func (o *Output) Open(ctx, hard context.Context, tr Transport, base []byte, letters *DeadLetters, log *slog.Logger) (*Bulk, error) {
	if !o.NoTemplate {
		body, err := Template(base, o.Index, o.DataStream)
		if err != nil {
			return nil, err
		}
		if err := InstallTemplate(ctx, tr, TemplateName(o.Index, o.DataStream), body); err != nil {
			return nil, err
		}
	}
	return NewBulk(hard, BulkConfig{
		Transport: tr, Index: o.Index, DataStream: o.DataStream, OpType: o.OpType,
		FlushBytes: o.FlushBytes, FlushDocs: o.FlushDocs, FlushInterval: o.FlushInterval,
		MaxInFlight: o.MaxInFlight, MaxRetries: o.MaxRetries, Timeout: o.RequestTimeout,
		DeadLetters: letters, Logger: log,
	})
}
