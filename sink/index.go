package sink

import (
	"fmt"
	"strings"
)

// indexPattern is a parsed index name pattern such as
// "authing-audit-%{+yyyy.MM.dd}" (Logstash's date syntax, limited to
// yyyy, MM and dd).
type indexPattern struct {
	parts []indexPart
	// last rendered name, reused while the date does not change
	lastDate uint32
	last     []byte
}

type indexPart struct {
	lit  string
	date byte // 'y', 'M' or 'd' for a date field, 0 for literal text
}

func parseIndexPattern(p string) (indexPattern, error) {
	var ip indexPattern
	rest := p
	for rest != "" {
		lit, spec, found := strings.Cut(rest, "%{+")
		if lit != "" {
			ip.parts = append(ip.parts, indexPart{lit: lit})
		}
		if !found {
			break
		}
		format, after, closed := strings.Cut(spec, "}")
		if !closed {
			return ip, fmt.Errorf("index pattern %q: unclosed %%{+", p)
		}
		f := format
		for f != "" {
			switch {
			case strings.HasPrefix(f, "yyyy"):
				ip.parts = append(ip.parts, indexPart{date: 'y'})
				f = f[4:]
			case strings.HasPrefix(f, "MM"):
				ip.parts = append(ip.parts, indexPart{date: 'M'})
				f = f[2:]
			case strings.HasPrefix(f, "dd"):
				ip.parts = append(ip.parts, indexPart{date: 'd'})
				f = f[2:]
			case f[0] == '.' || f[0] == '-' || f[0] == '_':
				ip.parts = append(ip.parts, indexPart{lit: f[:1]})
				f = f[1:]
			default:
				return ip, fmt.Errorf("index pattern %q: date format %q: only yyyy, MM, dd and . - _ are supported", p, format)
			}
		}
		rest = after
	}
	name := string(ip.render(nil, 20210922))
	if name == "" || name != strings.ToLower(name) || strings.ContainsAny(name, ` "*\<|,>/?#:`) || name[0] == '-' || name[0] == '_' || name[0] == '+' {
		return ip, fmt.Errorf("index pattern %q: %q is not a valid index name (lowercase, no spaces or \\/*?\"<>|,#:)", p, name)
	}
	return ip, nil
}

// Prefix returns the literal text before the first date field: the
// template's index pattern is Prefix()+"*".
func (ip *indexPattern) Prefix() string {
	var b strings.Builder
	for _, p := range ip.parts {
		if p.date != 0 {
			break
		}
		b.WriteString(p.lit)
	}
	return b.String()
}

func (ip *indexPattern) render(dst []byte, date uint32) []byte {
	for _, p := range ip.parts {
		switch p.date {
		case 'y':
			dst = fmt.Appendf(dst, "%04d", date/10000)
		case 'M':
			dst = fmt.Appendf(dst, "%02d", date/100%100)
		case 'd':
			dst = fmt.Appendf(dst, "%02d", date%100)
		default:
			dst = append(dst, p.lit...)
		}
	}
	return dst
}

// append appends the index name for date, caching the last one. Not safe
// for concurrent use (Bulk calls it under its lock).
func (ip *indexPattern) append(dst []byte, date uint32) []byte {
	if ip.last == nil || date != ip.lastDate {
		ip.last = ip.render(ip.last[:0], date)
		ip.lastDate = date
	}
	return append(dst, ip.last...)
}

// IndexNames renders an index pattern for event dates, as the bulk sink
// names the index of each document. Not safe for concurrent use.
type IndexNames struct{ ip indexPattern }

// NewIndexNames parses pattern (e.g. DefaultIndex).
func NewIndexNames(pattern string) (*IndexNames, error) {
	ip, err := parseIndexPattern(pattern)
	if err != nil {
		return nil, err
	}
	return &IndexNames{ip: ip}, nil
}

// Append appends the index name for date (yyyymmdd) to dst.
func (n *IndexNames) Append(dst []byte, date uint32) []byte { return n.ip.append(dst, date) }
