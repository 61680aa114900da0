package query

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/graphql-go/graphql"
	"github.com/ingestd/ingestd/schema"
)

// Transport performs requests against the search engine (the clients of
// sink.Connect satisfy it).
type Transport interface {
	Perform(*http.Request) (*http.Response, error)
}

// Config configures a Server.
type Config struct {
	Transport Transport
	Index     string // indices to search, e.g. "authing-audit-*"
	Signer    *Signer
	Pools     *Pools        // for the GraphQL token exchange; nil disables it
	TokenTTL  time.Duration // lifetime of exchanged tokens; default 24h
	MaxLimit  int           // largest page size; default 100
	Exchange  ExchangeLimits
	Logger    *slog.Logger
}

// maxWindow is the engines' default index.max_result_window.
const maxWindow = 10_000

// Server answers Authing's audit-log API over the indexed documents.
type Server struct {
	cfg    Config
	mux    *http.ServeMux
	schema graphql.Schema
	lists  map[string]int // listBounds(schema)
	gate   *gate
	// exchangeHook, for tests, runs when an exchange takes its slot; the
	// func it returns runs when the exchange ends.
	exchangeHook func() func()
}

// New returns the API server.
func New(cfg Config) (*Server, error) {
	if cfg.Transport == nil || cfg.Signer == nil {
		return nil, errors.New("query: transport and signer are required")
	}
	if cfg.Index == "" {
		cfg.Index = DefaultIndex
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.MaxLimit <= 0 {
		cfg.MaxLimit = DefaultMaxLimit
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := cfg.Exchange.validate(runtime.GOMAXPROCS(0)); err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), gate: newGate(cfg.Exchange)}
	s.mux.HandleFunc("GET /api/v2/analysis/audit", s.list)
	s.mux.HandleFunc("GET /api/v2/analysis/user-action", s.list)
	if cfg.Pools != nil {
		var err error
		if s.schema, err = newSchema(s); err != nil {
			return nil, err
		}
		s.lists = listBounds(&s.schema)
		s.mux.HandleFunc("POST /graphql/v2", s.exchange)
	}
	return s, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			s.cfg.Logger.Error("request panicked", "path", r.URL.Path, "panic", v)
			writeError(w, http.StatusInternalServerError, "internal error")
		}
	}()
	s.mux.ServeHTTP(w, r)
}

// apiError is an error with its HTTP status.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func bad(format string, a ...any) error {
	return &apiError{http.StatusBadRequest, fmt.Sprintf(format, a...)}
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"code": status, "message": msg})
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.RawQuery) > maxQueryString {
		writeError(w, http.StatusRequestURITooLong, fmt.Sprintf("query string of %d bytes: at most %d", len(r.URL.RawQuery), maxQueryString))
		return
	}
	pools, err := s.authorize(r)
	if err == nil {
		var q *search
		if q, err = parseQuery(r.URL.Query(), s.cfg.MaxLimit); err == nil {
			q.pools = pools
			var total int
			var docs []json.RawMessage
			if total, docs, err = s.search(r.Context(), q); err == nil {
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				json.NewEncoder(w).Encode(map[string]any{"message": "", "code": 200,
					"data": map[string]any{"totalCount": total, "list": docs}})
				return
			}
		}
	}
	var ae *apiError
	if errors.As(err, &ae) {
		writeError(w, ae.status, ae.msg)
		return
	}
	writeError(w, http.StatusInternalServerError, "internal error")
}

// authorize returns the pools the caller may read.
func (s *Server) authorize(r *http.Request) ([]string, error) {
	h := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || token == "" {
		return nil, &apiError{http.StatusUnauthorized, "missing bearer token"}
	}
	c, err := s.cfg.Signer.Verify(strings.TrimSpace(token))
	if err != nil {
		return nil, &apiError{http.StatusUnauthorized, "invalid or expired token"}
	}
	pools, ok := narrow(c.UserPoolIDs, r.Header.Get("x-authing-userpool-id"))
	if !ok {
		return nil, &apiError{http.StatusForbidden, "the token does not allow this user pool"}
	}
	return pools, nil
}

// search is a parsed request.
type search struct {
	pools, eventTypes, userIDs, appIDs []string
	clientIP                           string
	start, end                         *time.Time
	page, limit                        int
}

// Bounds of a list request: the SDKs send one to a few values per filter.
const (
	// maxValues bounds the values of one filter (all its spellings
	// together).
	maxValues = 100
	// maxQueryString bounds the raw query string: 100 values of each
	// filter as long ARNs fit.
	maxQueryString = 32 << 10
)

// MaxHeaderBytes is what the HTTP server should accept of a request's
// line and headers: the longest query string, a token and the usual
// headers.
const MaxHeaderBytes = maxQueryString + 32<<10

// values returns the values of a parameter given as k=a&k=b, k[]=a&k[]=b
// or k=a,b, under any of names; more than maxValues is a 400.
func values(q url.Values, names ...string) ([]string, error) {
	var out []string
	for _, n := range names {
		for _, key := range []string{n, n + "[]"} {
			for _, v := range q[key] {
				for part := range strings.SplitSeq(v, ",") {
					if part = strings.TrimSpace(part); part == "" {
						continue
					}
					if len(out) == maxValues {
						return nil, bad("%s: more than %d values", names[0], maxValues)
					}
					out = append(out, part)
				}
			}
		}
	}
	return out, nil
}

func parseQuery(q url.Values, maxLimit int) (*search, error) {
	s := &search{page: 1, limit: 10}
	var err error
	if s.page, err = intParam(q, "page", 1, 1, 1<<30); err != nil {
		return nil, err
	}
	if s.limit, err = intParam(q, "limit", 10, 1, maxLimit); err != nil {
		return nil, err
	}
	if (s.page-1)*s.limit+s.limit > maxWindow {
		return nil, bad("page %d with limit %d is beyond the first %d results; narrow the filters (start, end)", s.page, s.limit, maxWindow)
	}
	ips, err := values(q, "clientip", "clientIp", "client_ip")
	if err != nil {
		return nil, err
	}
	if len(ips) > 0 {
		if _, err := netip.ParseAddr(ips[0]); err != nil || len(ips) > 1 {
			return nil, bad("clientip: %q is not an IP address", strings.Join(ips, ","))
		}
		s.clientIP = ips[0]
	}
	if s.eventTypes, err = values(q, "operation_name", "operation_names", "eventType"); err != nil {
		return nil, err
	}
	users, err := values(q, "operator_arn", "user_ids", "userId")
	if err != nil {
		return nil, err
	}
	for _, v := range users {
		s.userIDs = append(s.userIDs, userFromARN(v))
	}
	if s.appIDs, err = values(q, "app_id", "app_ids", "appId"); err != nil {
		return nil, err
	}
	if s.start, err = timeParam(q, "start"); err != nil {
		return nil, err
	}
	if s.end, err = timeParam(q, "end"); err != nil {
		return nil, err
	}
	return s, nil
}

// userFromARN accepts arn:cn:authing:user:<id>, arn:cn:authing:<pool>:user:<id>
// or a bare id.
func userFromARN(v string) string {
	if strings.HasPrefix(v, "arn:") {
		if i := strings.LastIndex(v, ":user:"); i >= 0 {
			return v[i+len(":user:"):]
		}
	}
	return v
}

func intParam(q url.Values, name string, def, lo, hi int) (int, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, bad("%s: %q: want an integer from %d to %d", name, v, lo, hi)
	}
	return n, nil
}

// timeParam reads epoch milliseconds or ISO-8601, years 0001 to 9999 (what
// the engine's date format takes). A bare date as end means the end of that
// day: end=2021-09-22 includes the 22nd.
func timeParam(q url.Values, name string) (*time.Time, error) {
	v := q.Get(name)
	if v == "" {
		return nil, nil
	}
	var t time.Time
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		t = time.UnixMilli(ms).UTC()
	} else if d, err := time.Parse("2006-01-02", v); err == nil {
		t = d
		if name == "end" {
			t = d.Add(24*time.Hour - time.Millisecond)
		}
	} else if t, err = time.Parse(time.RFC3339Nano, v); err != nil {
		if t, err = time.Parse("2006-01-02T15:04:05.000Z0700", v); err != nil {
			return nil, bad("%s: %q: want epoch milliseconds or ISO-8601", name, v)
		}
	}
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return nil, bad("%s: %q: out of range (years 0001 to 9999)", name, v)
	}
	return &t, nil
}

// body builds the engine query: structured term filters only, never a
// query string.
func (q *search) body() ([]byte, error) {
	// A caller's pools: the document's userPoolId, or — for a line whose
	// userPoolId is ambiguous (a user-controlled value may have posed as
	// the key) — any pool the line names, so that a spoof can neither hide
	// an event from the real pool nor be told apart by the spoofing one.
	filter := []any{map[string]any{"bool": map[string]any{
		"should": []any{
			map[string]any{"terms": map[string]any{schema.UserPoolID.String(): q.pools}},
			map[string]any{"terms": map[string]any{schema.AmbiguousUserPoolIDs.String(): q.pools}},
		},
		"minimum_should_match": 1,
	}}}
	term := func(field schema.Field, vals []string) {
		if len(vals) > 0 {
			filter = append(filter, map[string]any{"terms": map[string]any{field.String(): vals}})
		}
	}
	term(schema.CodesEventType, q.eventTypes)
	term(schema.UserID, q.userIDs)
	term(schema.AppID, q.appIDs)
	if q.clientIP != "" {
		term(schema.ClientIP, []string{q.clientIP})
	}
	if q.start != nil || q.end != nil {
		rng := map[string]any{"format": "strict_date_optional_time"}
		if q.start != nil {
			rng["gte"] = q.start.UTC().Format(time.RFC3339Nano)
		}
		if q.end != nil {
			rng["lte"] = q.end.UTC().Format(time.RFC3339Nano)
		}
		filter = append(filter, map[string]any{"range": map[string]any{schema.Timestamp.String(): rng}})
	}
	return json.Marshal(map[string]any{
		"from": (q.page - 1) * q.limit, "size": q.limit, "track_total_hits": true,
		"query": map[string]any{"bool": map[string]any{"filter": filter}},
		"sort":  []any{map[string]any{schema.Timestamp.String(): "desc"}, map[string]any{schema.LogID.String(): "desc"}},
	})
}

func (s *Server) search(ctx context.Context, q *search) (int, []json.RawMessage, error) {
	body, err := q.body()
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "/"+s.cfg.Index+"/_search?ignore_unavailable=true&allow_no_indices=true", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	unavailable := &apiError{http.StatusServiceUnavailable, "search engine unavailable"}
	res, err := s.cfg.Transport.Perform(req)
	if err != nil {
		s.cfg.Logger.Warn("search failed", "err", err)
		return 0, nil, unavailable
	}
	defer res.Body.Close()
	rb, err := io.ReadAll(res.Body)
	if err == nil && res.StatusCode == http.StatusBadRequest {
		// The engine refused the query itself (a parameter it cannot
		// take): the caller's request, not an outage.
		return 0, nil, bad("the search engine rejected the query; check the parameters")
	}
	if err != nil || res.StatusCode/100 != 2 {
		s.cfg.Logger.Warn("search failed", "status", res.StatusCode, "body", string(rb[:min(len(rb), 512)]))
		return 0, nil, unavailable
	}
	var sr struct {
		Hits struct {
			Total struct {
				Value int `json:"value"`
			} `json:"total"`
			Hits []struct {
				Source json.RawMessage `json:"_source"`
			} `json:"hits"`
		} `json:"hits"`
	}
	if err := json.Unmarshal(rb, &sr); err != nil {
		return 0, nil, unavailable
	}
	docs := make([]json.RawMessage, 0, len(sr.Hits.Hits))
	for _, h := range sr.Hits.Hits {
		docs = append(docs, h.Source)
	}
	return sr.Hits.Total.Value, docs, nil
}
