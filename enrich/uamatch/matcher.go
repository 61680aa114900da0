package uamatch

import (
	"bytes"
	"fmt"
	"math/bits"
	"regexp/syntax"
	"strings"
	"sync"

	"github.com/ua-parser/uap-go/uaparser"
)

// list names one of uap-go's three ordered pattern lists.
type list uint8

const (
	listUA list = iota
	listOS
	listDevice
	numLists
)

// target is one pattern of one list that a literal can unlock. The
// automaton holds at most maxIndexed bytes of a literal; rest is what
// follows them in the pattern's required literal, checked where the
// indexed prefix occurs before the pattern becomes a candidate.
type target struct {
	list list
	idx  int32
	rest []byte
}

// bitset holds one bit per pattern of a list, in pattern order.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (b bitset) set(i int) { b[i/64] |= 1 << (uint(i) % 64) }

// Parser answers exactly what uaparser.Parser.Parse answers for the same
// definitions, trying only the patterns whose required literals occur in
// the agent. Safe for concurrent use.
type Parser struct {
	defs    *uaparser.RegexDefinitions
	size    [numLists]int
	always  [numLists]bitset // patterns without a usable literal
	targets [][]target       // literal id → patterns it unlocks
	lits    []string         // literal id → lowercase literal
	ac      finder
	scratch sync.Pool // *scratch
}

type scratch struct {
	folded []byte
	cand   [numLists]bitset
}

// New indexes uap-go's embedded definitions (regexes.yaml).
func New() (*Parser, error) {
	ref, err := uaparser.New(uaparser.WithCacheSize(1))
	if err != nil {
		return nil, fmt.Errorf("uap-go definitions: %w", err)
	}
	return newParser(ref.RegexDefinitions)
}

func newParser(defs *uaparser.RegexDefinitions) (*Parser, error) {
	p := &Parser{defs: defs}
	exprs := [numLists][]string{}
	for _, d := range defs.UA {
		exprs[listUA] = append(exprs[listUA], d.Reg.String())
	}
	for _, d := range defs.OS {
		exprs[listOS] = append(exprs[listOS], d.Reg.String())
	}
	for _, d := range defs.Device {
		exprs[listDevice] = append(exprs[listDevice], d.Reg.String())
	}
	litID := map[string]int{}
	for l := range numLists {
		p.size[l] = len(exprs[l])
		p.always[l] = newBitset(p.size[l])
		for i, expr := range exprs[l] {
			re, err := syntax.Parse(expr, syntax.Perl)
			if err != nil {
				return nil, fmt.Errorf("uap-go pattern %q: %w", expr, err)
			}
			req := requiredLiterals(re)
			if req == nil {
				p.always[l].set(i)
				continue
			}
			for _, s := range req {
				// Any match contains a prefix of a required literal
				// too; short keys keep the automaton small.
				key, rest := s[:min(len(s), maxIndexed)], s[min(len(s), maxIndexed):]
				id, ok := litID[key]
				if !ok {
					id = len(p.lits)
					litID[key] = id
					p.lits = append(p.lits, key)
					p.targets = append(p.targets, nil)
				}
				p.targets[id] = append(p.targets[id], target{list(l), int32(i), []byte(rest)})
			}
		}
	}
	ac, err := newFinder(p.lits)
	if err != nil {
		return nil, err
	}
	p.ac = ac
	p.scratch.New = func() any {
		s := &scratch{}
		for l := range numLists {
			s.cand[l] = newBitset(p.size[l])
		}
		return s
	}
	return p, nil
}

// Parse returns the user agent, OS and device of agent, equal to
// uaparser.Parser.Parse(agent).
func (p *Parser) Parse(agent string) *uaparser.Client {
	s := p.scratch.Get().(*scratch)
	p.candidates(agent, s)
	c := &uaparser.Client{
		UserAgent: p.parseUA(agent, s.cand[listUA]),
		Os:        p.parseOS(agent, s.cand[listOS]),
		Device:    p.parseDevice(agent, s.cand[listDevice]),
	}
	p.scratch.Put(s)
	return c
}

// candidates fills s.cand with the patterns worth trying on agent.
func (p *Parser) candidates(agent string, s *scratch) {
	if strings.ContainsRune(agent, kelvin) || strings.ContainsRune(agent, longS) {
		// (?i) literals match these runes too; try everything.
		for l := range numLists {
			for i := range s.cand[l] {
				s.cand[l][i] = ^uint64(0)
			}
		}
		return
	}
	for l := range numLists {
		copy(s.cand[l], p.always[l])
	}
	s.folded = s.folded[:0]
	for i := 0; i < len(agent); i++ {
		s.folded = append(s.folded, lower(agent[i]))
	}
	p.ac.each(s.folded, func(id, end int) {
		for _, t := range p.targets[id] {
			if len(t.rest) == 0 || bytes.HasPrefix(s.folded[end:], t.rest) {
				s.cand[t.list].set(int(t.idx))
			}
		}
	})
	if cap(s.folded) > maxScratch {
		s.folded = nil
	}
}

// maxIndexed is the longest literal put in the automaton: a longer one is
// cut to its prefix, and the rest is compared where the prefix occurs
// (an 8-byte key keeps the automaton at a few thousand states; comparing
// the rest keeps a pattern such as "Android Application …" from being
// tried on every agent containing "android ").
const maxIndexed = 8

// maxScratch bounds the lowercase copy a pooled scratch keeps between calls.
const maxScratch = 4 << 10

// each calls fn(i) for every set bit i < n in order.
func each(b bitset, n int, fn func(i int) bool) {
	for w, word := range b {
		for word != 0 {
			i := w*64 + bits.TrailingZeros64(word)
			if i >= n || !fn(i) {
				return
			}
			word &= word - 1
		}
	}
}

// The three parse functions mirror uaparser's ParseUserAgent, ParseOs and
// ParseDevice, with uap-go's own Match methods building the result;
// firstFamily is their shared rule.

func (p *Parser) parseUA(agent string, cand bitset) *uaparser.UserAgent {
	return firstFamily(cand, p.size[listUA], func(u *uaparser.UserAgent) *string { return &u.Family },
		func(i int, u *uaparser.UserAgent) { p.defs.UA[i].Match(agent, u) })
}

func (p *Parser) parseOS(agent string, cand bitset) *uaparser.Os {
	return firstFamily(cand, p.size[listOS], func(o *uaparser.Os) *string { return &o.Family },
		func(i int, o *uaparser.Os) { p.defs.OS[i].Match(agent, o) })
}

func (p *Parser) parseDevice(agent string, cand bitset) *uaparser.Device {
	return firstFamily(cand, p.size[listDevice], func(d *uaparser.Device) *string { return &d.Family },
		func(i int, d *uaparser.Device) { p.defs.Device[i].Match(agent, d) })
}

// firstFamily tries the candidate patterns i < n in order until one gives
// the result a non-empty family (first match wins), else "Other".
func firstFamily[T any](cand bitset, n int, family func(*T) *string, match func(i int, r *T)) *T {
	r := new(T)
	f := family(r)
	each(cand, n, func(i int) bool {
		match(i, r)
		return *f == ""
	})
	if *f == "" {
		*f = "Other"
	}
	return r
}
