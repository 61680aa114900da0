package enrich

import (
	"fmt"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/ua-parser/uap-go/uaparser"
)

// UserAgents parses user-agent strings with uap-go into Logstash's legacy
// useragent layout. uap-go runs hundreds of regular expressions per new
// string, so rendered results are kept in a bounded LRU keyed by the string.
// Safe for concurrent use.
type UserAgents struct {
	p     *uaparser.Parser
	cache *lru.Cache[string, []byte]
}

// NewUserAgents compiles uap-go's embedded regexes.
func NewUserAgents(cacheSize int) (*UserAgents, error) {
	// uap-go's own cache would hold a second copy of what ours holds.
	p, err := uaparser.New(uaparser.WithCacheSize(1))
	if err != nil {
		return nil, fmt.Errorf("user-agent parser: %w", err)
	}
	if cacheSize <= 0 {
		cacheSize = 1
	}
	cache, err := lru.New[string, []byte](cacheSize)
	if err != nil {
		return nil, err
	}
	return &UserAgents{p: p, cache: cache}, nil
}

// lookup returns the rendered "ua" object for s.
func (u *UserAgents) lookup(s []byte) []byte {
	if frag, ok := u.cache.Get(string(s)); ok {
		return frag
	}
	key := string(s)
	c := u.p.Parse(key)
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
	b = append(b, '}')
	u.cache.Add(key, b)
	return b
}
