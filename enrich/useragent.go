package enrich

import (
	"fmt"
	"runtime/debug"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/ua-parser/uap-go/uaparser"

	"github.com/ingestd/ingestd/enrich/uamatch"
)

// User-agent cache bounds. An entry holds the agent (key) and its rendered
// "ua" object. Agents longer than maxCachedAgent are parsed every time (real
// browser agents are 100–300 bytes; longer ones are rare or hostile), and a
// rendered object is at most a few hundred bytes for such agents, so the
// worst case is maxUACacheEntries × (512 B key + ~1 KiB object + ~150 B
// LRU overhead) ≈ 33 MiB; with typical 130-byte agents ≈ 9 MiB.
const (
	maxCachedAgent    = 512
	maxCachedUA       = 1 << 10
	maxUACacheEntries = 20000
)

// UserAgents parses user-agent strings into Logstash's legacy useragent
// layout with uap-go's patterns and answers (through uamatch, which tries
// only the patterns whose literals occur in the agent). Rendered results
// are kept in a bounded LRU keyed by the string. Safe for concurrent use.
type UserAgents struct {
	p     *uamatch.Parser
	cache *lru.Cache[string, []byte]
}

// NewUserAgents indexes uap-go's embedded regexes. cacheSize is the number
// of cached agents, capped at maxUACacheEntries.
func NewUserAgents(cacheSize int) (*UserAgents, error) {
	p, err := uamatch.New()
	if err != nil {
		return nil, fmt.Errorf("user-agent parser: %w", err)
	}
	cacheSize = min(max(cacheSize, 1), maxUACacheEntries)
	cache, err := lru.New[string, []byte](cacheSize)
	if err != nil {
		return nil, err
	}
	// Building the matcher allocates ~70 MB that is garbage at once (uap-go's
	// YAML and regex compilation, the literal analysis, the automaton's
	// construction) for ~16 MB kept. Without this the runtime keeps those
	// pages for minutes: an idle daemon held 37 MB of RssAnon instead of 25
	// (issue 12). Once per process, a few milliseconds.
	debug.FreeOSMemory()
	return &UserAgents{p: p, cache: cache}, nil
}

// lookup returns the rendered "ua" object for s.
func (u *UserAgents) lookup(s []byte) []byte {
	if len(s) <= maxCachedAgent {
		if frag, ok := u.cache.Get(lookupKey(s)); ok {
			return frag
		}
	}
	key := string(s)
	b := render(u.p.Parse(key))
	if len(s) <= maxCachedAgent && len(b) <= maxCachedUA {
		u.cache.Add(key, b)
	}
	return b
}

// render writes the "ua" object of one parse.
func render(c *uaparser.Client) []byte {
	b := []byte{'{'}
	first := true
	field := func(name, v string, always bool) {
		if v == "" && !always {
			return
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendKey(b, name)
		b = appendStr(b, v)
	}
	field("name", c.UserAgent.Family, false)
	field("major", c.UserAgent.Major, false)
	field("minor", c.UserAgent.Minor, false)
	field("patch", c.UserAgent.Patch, false)
	field("build", "", true)
	field("os", c.Os.Family, false)
	field("os_name", c.Os.Family, false)
	field("os_major", c.Os.Major, false)
	field("os_minor", c.Os.Minor, false)
	field("device", c.Device.Family, false)
	return append(b, '}')
}
