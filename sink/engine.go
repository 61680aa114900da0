package sink

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/opensearch-project/opensearch-go/v4"
)

// Engine flavors.
const (
	FlavorAuto          = "auto"
	FlavorElasticsearch = "elasticsearch"
	FlavorOpenSearch    = "opensearch"
)

// EngineConfig says how to reach the search engine. Secrets (Password,
// APIKey) are never logged.
type EngineConfig struct {
	URLs     []string
	Flavor   string // FlavorAuto (default), FlavorElasticsearch or FlavorOpenSearch
	Username string
	Password string
	APIKey   string // Elasticsearch API key (base64 "id:key"), sent as "Authorization: ApiKey …"
	// CAFile is a PEM file of certificate authorities trusted in addition
	// to the system's.
	CAFile string
	// CAFingerprint pins the engine's certificate: the SHA-256 of the
	// server certificate or of a CA in its chain, hex (colons allowed).
	// Without CAFile the pin replaces chain verification, as Elastic's
	// clients do for self-signed clusters.
	CAFingerprint string
	// SkipVerify turns TLS verification off. Never the default.
	SkipVerify bool
	Logger     *slog.Logger
}

// Connect returns a Transport for the engine: the go-elasticsearch/v8
// client for Elasticsearch, the opensearch-go/v4 client for OpenSearch.
// With FlavorAuto it asks the engine (GET /) which one it is, retrying
// with backoff until ctx ends.
func Connect(ctx context.Context, cfg EngineConfig) (Transport, string, error) {
	if len(cfg.URLs) == 0 {
		return nil, "", errors.New("engine: no URL")
	}
	for _, u := range cfg.URLs {
		if err := CheckURL(u); err != nil {
			return nil, "", err
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Flavor == "" {
		cfg.Flavor = FlavorAuto
	}
	if cfg.Password != "" && cfg.APIKey != "" {
		return nil, "", errors.New("engine: give a password or an API key, not both")
	}
	rt, err := httpTransport(cfg)
	if err != nil {
		return nil, "", err
	}
	flavor := cfg.Flavor
	if flavor == FlavorAuto {
		if flavor, err = detect(ctx, cfg, rt); err != nil {
			return nil, "", err
		}
		cfg.Logger.Info("engine detected", "flavor", flavor, "url", redactURL(cfg.URLs[0]))
	}
	switch flavor {
	case FlavorElasticsearch:
		c, err := elasticsearch.NewClient(elasticsearch.Config{
			Addresses: cfg.URLs, Username: cfg.Username, Password: cfg.Password, APIKey: cfg.APIKey,
			Transport: rt, DisableRetry: true, // the bulk sink retries, per item
		})
		if err != nil {
			return nil, "", fmt.Errorf("engine: %w", err)
		}
		return c, flavor, nil
	case FlavorOpenSearch:
		var hdr http.Header
		if cfg.APIKey != "" {
			hdr = http.Header{"Authorization": {"ApiKey " + cfg.APIKey}}
		}
		c, err := opensearch.NewClient(opensearch.Config{
			Addresses: cfg.URLs, Username: cfg.Username, Password: cfg.Password, Header: hdr,
			Transport: rt, DisableRetry: true,
		})
		if err != nil {
			return nil, "", fmt.Errorf("engine: %w", err)
		}
		return c, flavor, nil
	default:
		return nil, "", fmt.Errorf("engine: unknown flavor %q (want auto, elasticsearch or opensearch)", flavor)
	}
}

func httpTransport(cfg EngineConfig) (*http.Transport, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("engine CA file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("engine CA file %s: no PEM certificates", cfg.CAFile)
		}
		tc.RootCAs = pool
	}
	if cfg.CAFingerprint != "" {
		want, err := hex.DecodeString(strings.ReplaceAll(strings.ToLower(cfg.CAFingerprint), ":", ""))
		if err != nil || len(want) != sha256.Size {
			return nil, errors.New("engine CA fingerprint: want 64 hex digits (SHA-256), colons allowed")
		}
		if cfg.CAFile == "" {
			// Go's verification needs the CA in advance; we only know its
			// fingerprint, so pinVerifier does the chain and host checks.
			tc.InsecureSkipVerify = true
		}
		tc.VerifyConnection = pinVerifier(want, cfg.CAFile != "" && !cfg.SkipVerify, urlHosts(cfg.URLs))
	}
	if cfg.SkipVerify {
		tc.InsecureSkipVerify = true
		cfg.Logger.Warn("TLS verification of the engine is OFF: anyone on the path can read and change what is indexed")
	}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tc,
		TLSHandshakeTimeout:   10 * time.Second,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: 0, // bounded per request by the sink's context
	}, nil
}

// pinVerifier accepts a connection only if a certificate whose SHA-256 is
// want anchors it. When Go already verified the chain (a CA file is set),
// the pin must be part of a verified chain. Otherwise the server's leaf must
// either be the pinned certificate itself, or chain up to the pinned
// certificate through the certificates the server sent and be valid for the
// host being dialled. Merely containing the pinned (public) CA certificate
// somewhere in the presented list is not enough: anyone can send it.
func pinVerifier(want []byte, chainVerified bool, hosts []string) func(tls.ConnectionState) error {
	matches := func(c *x509.Certificate) bool {
		sum := sha256.Sum256(c.Raw)
		return bytes.Equal(sum[:], want)
	}
	return func(cs tls.ConnectionState) error {
		if chainVerified {
			for _, chain := range cs.VerifiedChains {
				for _, c := range chain {
					if matches(c) {
						return nil
					}
				}
			}
			return errors.New("engine certificate chain does not contain the configured fingerprint")
		}
		if len(cs.PeerCertificates) == 0 {
			return errors.New("engine presented no certificate")
		}
		leaf := cs.PeerCertificates[0]
		if matches(leaf) {
			return nil // the pinned certificate is the server's own
		}
		roots, inter := x509.NewCertPool(), x509.NewCertPool()
		found := false
		for _, c := range cs.PeerCertificates[1:] {
			if matches(c) {
				roots.AddCert(c)
				found = true
			} else {
				inter.AddCert(c)
			}
		}
		if !found {
			return errors.New("engine certificate does not match the configured fingerprint")
		}
		// The SNI name is empty when the URL holds an IP address; then the
		// leaf must be valid for one of the configured hosts.
		names := hosts
		if cs.ServerName != "" {
			names = []string{cs.ServerName}
		}
		var lastErr error = errors.New("no host to verify the certificate for")
		for _, name := range names {
			_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: name})
			if err == nil {
				return nil
			}
			lastErr = err
		}
		return fmt.Errorf("engine certificate not issued by the pinned CA for this host: %w", lastErr)
	}
}

// urlHosts returns the host names of the engine URLs.
func urlHosts(urls []string) []string {
	var hosts []string
	for _, u := range urls {
		if p, err := url.Parse(u); err == nil && p.Hostname() != "" {
			hosts = append(hosts, p.Hostname())
		}
	}
	return hosts
}

// detect asks GET / which engine answers.
func detect(ctx context.Context, cfg EngineConfig, rt http.RoundTripper) (string, error) {
	client := &http.Client{Transport: rt, Timeout: 10 * time.Second}
	var lastErr error
	wait := 250 * time.Millisecond
	warned := time.Time{}
	for {
		for _, u := range cfg.URLs {
			flavor, err := detectOne(ctx, client, cfg, u)
			if err == nil {
				return flavor, nil
			}
			lastErr = err
		}
		if time.Since(warned) > 30*time.Second {
			cfg.Logger.Warn("engine not reachable yet; retrying", "err", lastErr)
			warned = time.Now()
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("engine: could not detect its flavor (use --engine): %w", lastErr)
		case <-time.After(wait):
		}
		wait = min(wait*2, 10*time.Second)
	}
}

func detectOne(ctx context.Context, client *http.Client, cfg EngineConfig, u string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(u, "/")+"/", nil)
	if err != nil {
		return "", err
	}
	if cfg.APIKey != "" {
		req.Header.Set("Authorization", "ApiKey "+cfg.APIKey)
	} else if cfg.Username != "" {
		req.SetBasicAuth(cfg.Username, cfg.Password)
	}
	res, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: status %d", redactURL(u), res.StatusCode)
	}
	var info struct {
		Version struct {
			Distribution string `json:"distribution"`
		} `json:"version"`
	}
	if err := json.Unmarshal(body, &info); err != nil {
		return "", fmt.Errorf("GET %s: %w", redactURL(u), err)
	}
	if info.Version.Distribution == "opensearch" {
		return FlavorOpenSearch, nil
	}
	return FlavorElasticsearch, nil
}

// ErrURLUserInfo is the reason CheckURL refuses an engine URL that carries
// user-info (http://user:password@host): a password there ends up in the
// process list, shell history and configuration files. Credentials go in
// EngineConfig.Username, Password or APIKey instead.
var ErrURLUserInfo = errors.New("credentials in an engine URL are refused")

// CheckURL validates one engine URL: it must parse as an http or https URL
// with a host and carry no user-info (ErrURLUserInfo). Errors show the URL
// with its user-info masked, never the password.
func CheckURL(raw string) error {
	shown := redactURL(raw)
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("engine URL %s: not a valid URL (want e.g. http://127.0.0.1:9200)", shown)
	}
	if u.User != nil || strings.Contains(u.Opaque, "@") {
		return fmt.Errorf("engine URL %s: %w", shown, ErrURLUserInfo)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("engine URL %s: want http:// or https:// and a host, e.g. http://127.0.0.1:9200", shown)
	}
	return nil
}

// redactURL masks the user-info of a URL for logs and errors: everything
// between the scheme and the last '@' (a password may hold '@', '/' or
// '#', so the authority is not trusted to end where a parser would say).
func redactURL(u string) string {
	i := strings.LastIndex(u, "@")
	if i < 0 {
		return u
	}
	prefix := ""
	if j := strings.Index(u[:i], "://"); j >= 0 {
		prefix = u[:j+3]
	}
	return prefix + "***@" + u[i+1:]
}

// TemplateName returns the name of the index template for an index
// pattern or data stream: "ingestd-" and the pattern's literal prefix
// ("ingestd-authing-audit" by default), so that pipelines writing to
// different indices keep separate templates.
func TemplateName(index, dataStream string) string {
	name := dataStream
	if name == "" {
		ip, err := parseIndexPattern(index)
		if err != nil {
			return "ingestd"
		}
		name = ip.Prefix()
	}
	return "ingestd-" + strings.Trim(name, "-_.")
}

// Template adapts the shipped index template to the index pattern or data
// stream in use.
func Template(base []byte, index, dataStream string) ([]byte, error) {
	var t map[string]any
	if err := json.Unmarshal(base, &t); err != nil {
		return nil, fmt.Errorf("index template: %w", err)
	}
	if dataStream != "" {
		t["index_patterns"] = []string{dataStream}
		t["data_stream"] = map[string]any{}
	} else {
		ip, err := parseIndexPattern(index)
		if err != nil {
			return nil, err
		}
		t["index_patterns"] = []string{ip.Prefix() + "*"}
	}
	return json.Marshal(t)
}

// InstallTemplate puts the composable index template (PUT
// _index_template/NAME). Installing the same template again changes
// nothing, so it runs at every start.
func InstallTemplate(ctx context.Context, t Transport, name string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, "/_index_template/"+name, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := t.Perform(req)
	if err != nil {
		return fmt.Errorf("install index template: %w", err)
	}
	defer res.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("install index template: status %d: %s", res.StatusCode, rb)
	}
	return nil
}
