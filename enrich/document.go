package enrich

import (
	"sync/atomic"
	"time"

	"github.com/ingestd/ingestd/parser"
)

// Config assembles an Enricher. Nil GeoIP or UA disables that block; a nil
// Dictionary keeps raw codes; a nil Directory means no pool names and the
// default photo.
type Config struct {
	GeoIP     *GeoIP
	UA        *UserAgents
	Dict      *Dictionary
	Directory *Directory
	Host      string // the "host" field
}

// Enricher turns parsed events into JSON documents. It is safe for
// concurrent use; its caches are shared.
type Enricher struct {
	cfg    Config
	hostJS []byte
	tables atomic.Pointer[tables] // dictionary and directory in use (reload.go)
	// InvalidUTF8 counts documents whose bad bytes were replaced by U+FFFD.
	InvalidUTF8 atomic.Int64
	// AmbiguousKeys counts documents tagged "_ambiguous_keys": their line
	// had a repeated or out-of-order known key, so its values may be
	// spoofed by text written before them (see the parser package).
	AmbiguousKeys atomic.Int64
	// AmbiguousUserPool counts, among those, the documents whose userPoolId
	// itself was repeated or out of order: the tenant may be spoofed, and
	// userPoolName was not looked up. Alert on this one.
	AmbiguousUserPool atomic.Int64
}

// New returns an Enricher for cfg.
func New(cfg Config) *Enricher {
	if cfg.Dict == nil {
		cfg.Dict = &Dictionary{}
	}
	if cfg.Directory == nil {
		cfg.Directory = &Directory{DefaultPhotoURL: DefaultPhotoURL}
	}
	e := &Enricher{cfg: cfg, hostJS: appendStr(nil, cfg.Host)}
	e.SetTables(cfg.Dict, cfg.Directory)
	return e
}

// GeoIPStats returns the lookup counters, or nil without a database.
func (e *Enricher) GeoIPStats() *GeoIPStats {
	if e.cfg.GeoIP == nil {
		return nil
	}
	return &e.cfg.GeoIP.Stats
}

// AppendDocument appends the JSON document for ev, read from the file at
// path, to dst and returns the extended buffer. It never fails: bytes that
// are not UTF-8 become U+FFFD (counted, and tagged "_invalid_utf8").
//
// Layout: the fields of the reference sample (translated codes, templated
// eventDetails, geoip, ua, photoUrl, userPoolName, timestamp, @timestamp,
// @version, host, path, filedate, message), plus "codes" with the raw codes
// of the translated fields and "extra" with keys the parser did not know.
//
// Ambiguous lines (parser.Event.Repeated or OutOfOrder not empty) are
// counted and tagged "_ambiguous_keys", and get
//
//	"ambiguousKeys":{"repeated":["userPoolId","clientIp"],"outOfOrder":["userId"]}
//
// (each list only when not empty, key names in the server's order). When
// userPoolId is in either list, userPoolName is not looked up in the
// directory: the id may be spoofed, and its pool's name would lend it
// credibility. The document then gets "userPoolIds", the pools the line
// may belong to, and keeps userPoolId only when the parser read it inside
// the name stretch (parser.Event.PoolInStretch; README "Parsing rules").
func (e *Enricher) AppendDocument(dst []byte, ev *parser.Event, path string) []byte {
	bad := false
	str := func(name string, v []byte) {
		dst = append(dst, ',')
		dst = appendKey(dst, name)
		var b bool
		dst, b = appendString(dst, v)
		bad = bad || b
	}

	dst = append(dst, `{"@timestamp":"`...)
	dst = time.UnixMilli(ev.UnixMilli).UTC().AppendFormat(dst, "2006-01-02T15:04:05.000Z")
	dst = append(dst, `","@version":"1"`...)
	str("timestamp", ev.Timestamp)
	dst = append(dst, `,"host":`...)
	dst = append(dst, e.hostJS...)
	str("path", bytesOf(path))
	// filedate is the event's date as the server wrote it (its own offset),
	// which is the date in the name of the file it writes.
	ts := ev.Timestamp
	dst = append(dst, `,"filedate":"`...)
	dst = append(dst, ts[0:4]...)
	dst = append(dst, '.')
	dst = append(dst, ts[5:7]...)
	dst = append(dst, '.')
	dst = append(dst, ts[8:10]...)
	dst = append(dst, '"')
	str("message", ev.Line)

	rep, ooo := ev.Repeated(), ev.OutOfOrder()
	poolAmbiguous := rep.Has(parser.UserPoolID) || ooo.Has(parser.UserPoolID)
	// An ambiguous userPoolId taken from beyond the name stretch (text
	// anyone can write) is not written: the query API would show the
	// event to that pool. ambiguousKeys.userPoolIds decides; message keeps
	// the line (README "Parsing rules").
	dropPool := poolAmbiguous && !ev.PoolInStretch()
	tb := e.tables.Load() // one snapshot for the whole document
	d := tb.dict
	for k := parser.Key(0); k < parser.NumKeys; k++ {
		v, ok := ev.Get(k)
		if !ok || k == parser.UserPoolID && dropPool {
			continue
		}
		switch {
		case k == parser.EventDetails && string(v) == "null":
			dst = append(dst, `,"eventDetails":`...)
			var tok, tbad bool
			dst, tok, tbad = d.appendDetails(dst, ev)
			if !tok {
				dst, tbad = appendString(dst, v)
			}
			bad = bad || tbad
		case isTranslated(k):
			str(k.String(), d.Translate(k, v))
		default:
			str(k.String(), v)
		}
	}

	uid, _ := ev.Get(parser.UserID)
	dir := tb.dir
	if photo, ok := dir.Photos[string(uid)]; ok {
		str("photoUrl", bytesOf(photo))
	} else {
		dst = append(dst, `,"photoUrl":`...)
		dst = append(dst, tb.photoJS...)
	}
	if pool, ok := ev.Get(parser.UserPoolID); ok && !poolAmbiguous {
		if name, ok := dir.UserPools[string(pool)]; ok {
			str("userPoolName", bytesOf(name))
		}
	}
	if e.cfg.GeoIP != nil {
		ip, _ := ev.Get(parser.ClientIP)
		if frag := e.cfg.GeoIP.lookup(ip); frag != nil {
			dst = append(dst, `,"geoip":`...)
			dst = append(dst, frag...)
		}
	}
	if e.cfg.UA != nil {
		if ua, ok := ev.Get(parser.UserAgent); ok {
			dst = append(dst, `,"ua":`...)
			dst = append(dst, e.cfg.UA.lookup(ua)...)
		}
	}

	dst = append(dst, `,"codes":{`...)
	first := true
	for _, k := range TranslatedKeys {
		if v, ok := ev.Get(k); ok {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = appendKey(dst, k.String())
			var b bool
			dst, b = appendString(dst, v)
			bad = bad || b
		}
	}
	dst = append(dst, '}')

	if len(ev.Extra) > 0 {
		dst = append(dst, `,"extra":{`...)
		for i, f := range ev.Extra {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst, _ = appendString(dst, f.Name)
			dst = append(dst, ':')
			var b bool
			dst, b = appendString(dst, f.Value)
			bad = bad || b
		}
		dst = append(dst, '}')
	}
	ambiguous := rep != 0 || ooo != 0
	if ambiguous {
		dst = append(dst, `,"ambiguousKeys":{`...)
		if rep != 0 {
			dst = appendKeySet(dst, "repeated", rep)
		}
		if ooo != 0 {
			if rep != 0 {
				dst = append(dst, ',')
			}
			dst = appendKeySet(dst, "outOfOrder", ooo)
		}
		if poolAmbiguous {
			// The pools the line may belong to (README "Parsing rules"),
			// so that the query API shows the event to each of them: the
			// real pool does not lose it to a name-borne spoof, and text
			// anyone can write never adds one (see query's pool filter).
			dst = append(dst, `,"userPoolIds":[`...)
			for i, v := range ev.AppendPoolCandidates(nil) {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst, _ = appendString(dst, v)
			}
			dst = append(dst, ']')
		}
		dst = append(dst, '}')
		e.AmbiguousKeys.Add(1)
		if poolAmbiguous {
			e.AmbiguousUserPool.Add(1)
		}
	}

	invalid := bad || ev.InvalidUTF8
	if invalid {
		e.InvalidUTF8.Add(1)
	}
	switch {
	case invalid && ambiguous:
		dst = append(dst, `,"tags":["_invalid_utf8","_ambiguous_keys"]`...)
	case invalid:
		dst = append(dst, `,"tags":["_invalid_utf8"]`...)
	case ambiguous:
		dst = append(dst, `,"tags":["_ambiguous_keys"]`...)
	}
	return append(dst, '}')
}

// appendKeySet appends "name":["key",…] with the names of the keys of s in
// the server's order (key names need no escaping).
func appendKeySet(dst []byte, name string, s parser.KeySet) []byte {
	dst = appendKey(dst, name)
	dst = append(dst, '[')
	first := true
	for k := range s.All() {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, '"')
		dst = append(dst, k.String()...)
		dst = append(dst, '"')
	}
	return append(dst, ']')
}
