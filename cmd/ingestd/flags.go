package main

import (
	"os"
	"strings"

	"github.com/ingestd/ingestd/enrich"
	"github.com/ingestd/ingestd/sink"
	"github.com/spf13/pflag"
)

// Each flag set below is declared once and shared by the commands that
// take it; the defaults are the values c holds when it is registered,
// which come from the package that uses the setting.

// connFlags are the engine connection: run, replay, verify and serve.
// Secrets come from the environment or files, never from the command line.
func connFlags(fl *pflag.FlagSet, c *sink.Conn) {
	fl.StringSliceVar(&c.URLs, "es", c.URLs, "search engine URL(s), e.g. http://127.0.0.1:9201")
	fl.StringVar(&c.Flavor, "engine", c.Flavor, "engine flavor: auto (ask GET /), elasticsearch or opensearch")
	fl.StringVar(&c.User, "es-user", c.User, "basic-auth user (env "+sink.EnvUser+"); the password comes from "+sink.EnvPassword+" or --es-password-file")
	fl.StringVar(&c.PasswordFile, "es-password-file", c.PasswordFile, "file holding the basic-auth password")
	fl.StringVar(&c.APIKeyFile, "es-api-key-file", c.APIKeyFile, "file holding an API key (or env "+sink.EnvAPIKey+")")
	fl.StringVar(&c.CAFile, "es-ca-file", c.CAFile, "PEM file of CAs to trust for the engine's TLS certificate")
	fl.StringVar(&c.CAFingerprint, "es-ca-fingerprint", c.CAFingerprint, "SHA-256 fingerprint (hex) of the engine's certificate or CA to pin")
	fl.BoolVar(&c.SkipVerify, "es-tls-skip-verify", c.SkipVerify, "do not verify the engine's TLS certificate (unsafe)")
}

// defaultConn is the connection of the commands other than run, whose
// user may come from the environment.
func defaultConn() sink.Conn {
	return sink.Conn{Flavor: sink.FlavorAuto, User: os.Getenv(sink.EnvUser)}
}

// outputFlags are how documents are indexed: run, replay and verify.
func outputFlags(fl *pflag.FlagSet, o *sink.Output) {
	fl.StringVar(&o.Index, "index", o.Index, "index name pattern; %{+yyyy.MM.dd} is the event date")
	fl.StringVar(&o.DataStream, "data-stream", o.DataStream, "index into this data stream instead (op type create)")
	fl.StringVar(&o.OpType, "op-type", o.OpType, "index (a re-sent document replaces the stored one) or create (409 counts as already indexed)")
	fl.BoolVar(&o.NoTemplate, "no-template", o.NoTemplate, "do not install the index template at start")
	fl.IntVar(&o.FlushBytes, "flush-bytes", o.FlushBytes, "send a bulk request at this body size")
	fl.IntVar(&o.FlushDocs, "flush-docs", o.FlushDocs, "or at this many documents")
	fl.DurationVar(&o.FlushInterval, "flush-interval", o.FlushInterval, "or when its oldest document waited this long")
	fl.IntVar(&o.MaxInFlight, "max-in-flight", o.MaxInFlight, "concurrent bulk requests")
	fl.IntVar(&o.MaxRetries, "max-retries", o.MaxRetries, "retries of a document before it is dead-lettered (0: retry forever, with back-pressure)")
	fl.DurationVar(&o.RequestTimeout, "request-timeout", o.RequestTimeout, "timeout of one bulk request")
}

// enrichFlags are the enrichment: replay and verify (run: --geoip-db and
// --host only, its file has the rest).
func enrichFlags(fl *pflag.FlagSet, s *enrich.Settings) {
	fl.StringVar(&s.GeoIPDB, "geoip-db", s.GeoIPDB, "MaxMind City database (default: first of "+strings.Join(enrich.DefaultGeoIPPaths, ", ")+")")
	fl.BoolVar(&s.NoGeoIP, "no-geoip", s.NoGeoIP, "do not add geoip blocks")
	fl.StringVar(&s.Dict, "dict", s.Dict, "dictionary file (YAML or JSON) laid over the --lang defaults")
	fl.StringVar(&s.Lang, "lang", s.Lang, "display language of translated codes: "+strings.Join(enrich.Languages, ", "))
	fl.StringVar(&s.Host, "host", s.Host, "value of the documents' host field (default: this machine's hostname)")
	fl.StringVar(&s.Directory, "directory", s.Directory, "directory file with userPools (id → name) and photos (userId → URL)")
	fl.IntVar(&s.CacheSize, "cache-size", s.CacheSize, "entries in each of the geoip and user-agent caches")
}
