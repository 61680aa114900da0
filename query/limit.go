package query

import (
	"errors"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"
)

// ExchangeLimits bound the token exchange, which needs no login.
type ExchangeLimits struct {
	// Concurrency is how many exchanges run at once; more get 503 at
	// once. Default: half the CPUs, at least 1 (each exchange may run one
	// bcrypt, which holds a core for tens of milliseconds; the other half
	// stays for list requests under a flood of exchanges).
	Concurrency int
	// Rate is the exchanges per second one client address may start
	// (token bucket; IPv6 clients are keyed by their /64); excess gets
	// 429 with Retry-After. Default 1.
	Rate float64
	// Burst is the bucket's size: exchanges a client may send at once
	// after a quiet period. Default 10.
	Burst int
}

// Defaults of ExchangeLimits.
const (
	DefaultExchangeRate  = 1.0
	DefaultExchangeBurst = 10
	// maxRateClients bounds the client addresses whose buckets are
	// remembered (least recently seen forgotten first): memory stays
	// bounded whatever the number of addresses.
	maxRateClients = 10_000
)

func (l *ExchangeLimits) validate(cpus int) error {
	if l.Concurrency == 0 {
		l.Concurrency = max(1, cpus/2)
	}
	if l.Rate == 0 {
		l.Rate = DefaultExchangeRate
	}
	if l.Burst == 0 {
		l.Burst = DefaultExchangeBurst
	}
	switch {
	case l.Concurrency < 1:
		return errors.New("exchange concurrency: want at least 1")
	case l.Rate < 0 || math.IsNaN(l.Rate) || math.IsInf(l.Rate, 0):
		return errors.New("exchange rate: want a positive number of exchanges per second")
	case l.Burst < 1:
		return errors.New("exchange burst: want at least 1")
	}
	return nil
}

// gate holds the exchange's concurrency slots and per-client buckets.
type gate struct {
	slots   chan struct{}
	rate    rate.Limit
	burst   int
	mu      sync.Mutex // guards clients (lru's own lock does not make get-or-add atomic)
	clients *lru.Cache[netip.Prefix, *rate.Limiter]
}

func newGate(l ExchangeLimits) *gate {
	c, _ := lru.New[netip.Prefix, *rate.Limiter](maxRateClients) // size > 0: no error
	return &gate{slots: make(chan struct{}, l.Concurrency), rate: rate.Limit(l.Rate), burst: l.Burst, clients: c}
}

// clientKey is the address a bucket belongs to: the remote IPv4 address,
// or the /64 of an IPv6 one (one host usually holds a whole /64).
func clientKey(remoteAddr string) netip.Prefix {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Prefix{}
	}
	a = a.Unmap()
	bits := 32
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits)
	return p
}

// allow takes a token from the client's bucket; when it is empty, it
// returns how long until the next one.
func (g *gate) allow(remoteAddr string, now time.Time) (bool, time.Duration) {
	key := clientKey(remoteAddr)
	g.mu.Lock()
	lim, ok := g.clients.Get(key)
	if !ok {
		lim = rate.NewLimiter(g.rate, g.burst)
		g.clients.Add(key, lim)
	}
	g.mu.Unlock()
	// AllowN takes nothing when it refuses (a reservation cancelled with
	// CancelAt may not give all its tokens back, golang/go#69419).
	if lim.AllowN(now, 1) {
		return true, 0
	}
	missing := 1 - lim.TokensAt(now)
	return false, time.Duration(missing / float64(g.rate) * float64(time.Second))
}

// acquire takes a concurrency slot without waiting.
func (g *gate) acquire() bool {
	select {
	case g.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

func (g *gate) release() { <-g.slots }

// retryAfter sets Retry-After in whole seconds, at least 1.
func retryAfter(w http.ResponseWriter, d time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(d.Seconds())))))
}
