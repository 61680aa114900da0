package enrich

import (
	"sync/atomic"
	"time"

	"github.com/ingestd/ingestd/parser"
	"github.com/ingestd/ingestd/schema"
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
// Layout (field names in package schema): the fields of the reference
// sample (translated codes, templated eventDetails, geoip, ua, photoUrl,
// userPoolName, timestamp, @timestamp, @version, host, path, filedate,
// message), plus "codes" with the raw codes of the translated fields and
// "extra" with keys the parser did not know.
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
	w := docWriter{dst: dst}
	w.header(e.hostJS, ev, path)

	rep, ooo := ev.Repeated(), ev.OutOfOrder()
	poolAmbiguous := rep.Has(parser.UserPoolID) || ooo.Has(parser.UserPoolID)
	// An ambiguous userPoolId taken from beyond the name stretch (text
	// anyone can write) is not written: the query API would show the
	// event to that pool. ambiguousKeys.userPoolIds decides; message keeps
	// the line (README "Parsing rules").
	dropPool := poolAmbiguous && !ev.PoolInStretch()
	tb := e.tables.Load() // one snapshot for the whole document
	w.keys(tb.dict, ev, dropPool)
	w.directory(tb, ev, poolAmbiguous)
	e.lookups(&w, ev)
	w.codes(ev)
	w.extra(ev)

	ambiguous := rep != 0 || ooo != 0
	if ambiguous {
		w.ambiguous(ev, rep, ooo, poolAmbiguous)
		e.AmbiguousKeys.Add(1)
		if poolAmbiguous {
			e.AmbiguousUserPool.Add(1)
		}
	}
	invalid := w.bad || ev.InvalidUTF8
	if invalid {
		e.InvalidUTF8.Add(1)
	}
	w.tags(invalid, ambiguous)
	return append(w.dst, '}')
}

// docWriter is one document being appended: dst grows, bad records that
// a string had bytes that are not UTF-8.
type docWriter struct {
	dst []byte
	bad bool
}

// str appends ,"name":"v".
func (w *docWriter) str(name string, v []byte) {
	w.dst = append(w.dst, ',')
	w.dst = appendKey(w.dst, name)
	w.value(v)
}

// value appends v as a JSON string.
func (w *docWriter) value(v []byte) {
	var b bool
	w.dst, b = appendString(w.dst, v)
	w.bad = w.bad || b
}

// header appends the fields every document starts with: the times, the
// host, the file and the raw line.
func (w *docWriter) header(hostJS []byte, ev *parser.Event, path string) {
	w.dst = append(w.dst, `{"`+schema.Timestamp+`":"`...)
	w.dst = time.UnixMilli(ev.UnixMilli).UTC().AppendFormat(w.dst, "2006-01-02T15:04:05.000Z")
	w.dst = append(w.dst, `","`+schema.Version+`":"1"`...)
	w.str(string(schema.ServerTime), ev.Timestamp)
	w.dst = append(w.dst, `,"`+schema.Host+`":`...)
	w.dst = append(w.dst, hostJS...)
	w.str(string(schema.Path), bytesOf(path))
	// filedate is the event's date as the server wrote it (its own offset),
	// which is the date in the name of the file it writes.
	ts := ev.Timestamp
	w.dst = append(w.dst, `,"`+schema.FileDate+`":"`...)
	w.dst = append(w.dst, ts[0:4]...)
	w.dst = append(w.dst, '.')
	w.dst = append(w.dst, ts[5:7]...)
	w.dst = append(w.dst, '.')
	w.dst = append(w.dst, ts[8:10]...)
	w.dst = append(w.dst, '"')
	w.str(string(schema.Message), ev.Line)
}

// keys appends the line's known keys under their names, translated where
// the dictionary translates them; eventDetails "null" is templated.
func (w *docWriter) keys(d *Dictionary, ev *parser.Event, dropPool bool) {
	for k := parser.Key(0); k < parser.NumKeys; k++ {
		v, ok := ev.Get(k)
		if !ok || k == parser.UserPoolID && dropPool {
			continue
		}
		switch {
		case k == parser.EventDetails && string(v) == "null":
			w.dst = append(w.dst, `,"`+schema.EventDetails+`":`...)
			var tok, tbad bool
			w.dst, tok, tbad = d.appendDetails(w.dst, ev)
			if !tok {
				w.dst, tbad = appendString(w.dst, v)
			}
			w.bad = w.bad || tbad
		case isTranslated(k):
			w.str(k.String(), d.Translate(k, v))
		default:
			w.str(k.String(), v)
		}
	}
}

// directory appends photoUrl and, unless the pool may be spoofed,
// userPoolName.
func (w *docWriter) directory(tb *tables, ev *parser.Event, poolAmbiguous bool) {
	uid, _ := ev.Get(parser.UserID)
	dir := tb.dir
	if photo, ok := dir.Photos[string(uid)]; ok {
		w.str(string(schema.PhotoURL), bytesOf(photo))
	} else {
		w.dst = append(w.dst, `,"`+schema.PhotoURL+`":`...)
		w.dst = append(w.dst, tb.photoJS...)
	}
	if pool, ok := ev.Get(parser.UserPoolID); ok && !poolAmbiguous {
		if name, ok := dir.UserPools[string(pool)]; ok {
			w.str(string(schema.UserPoolName), bytesOf(name))
		}
	}
}

// lookups appends the geoip and ua blocks (rendered and cached by
// geoip.go and useragent.go).
func (e *Enricher) lookups(w *docWriter, ev *parser.Event) {
	if e.cfg.GeoIP != nil {
		ip, _ := ev.Get(parser.ClientIP)
		if frag := e.cfg.GeoIP.lookup(ip); frag != nil {
			w.dst = append(w.dst, `,"`+schema.GeoIP+`":`...)
			w.dst = append(w.dst, frag...)
		}
	}
	if e.cfg.UA != nil {
		if ua, ok := ev.Get(parser.UserAgent); ok {
			w.dst = append(w.dst, `,"`+schema.UA+`":`...)
			w.dst = append(w.dst, e.cfg.UA.lookup(ua)...)
		}
	}
}

// codes appends the raw codes of the translated keys.
func (w *docWriter) codes(ev *parser.Event) {
	w.dst = append(w.dst, `,"`+schema.Codes+`":{`...)
	first := true
	for _, k := range TranslatedKeys {
		if v, ok := ev.Get(k); ok {
			if !first {
				w.dst = append(w.dst, ',')
			}
			first = false
			w.dst = appendKey(w.dst, k.String())
			w.value(v)
		}
	}
	w.dst = append(w.dst, '}')
}

// extra appends the keys the parser did not know, if any.
func (w *docWriter) extra(ev *parser.Event) {
	if len(ev.Extra) == 0 {
		return
	}
	w.dst = append(w.dst, `,"`+schema.Extra+`":{`...)
	for i, f := range ev.Extra {
		if i > 0 {
			w.dst = append(w.dst, ',')
		}
		w.dst, _ = appendString(w.dst, f.Name)
		w.dst = append(w.dst, ':')
		w.value(f.Value)
	}
	w.dst = append(w.dst, '}')
}

// ambiguous appends the ambiguousKeys object.
func (w *docWriter) ambiguous(ev *parser.Event, rep, ooo parser.KeySet, poolAmbiguous bool) {
	w.dst = append(w.dst, `,"`+schema.AmbiguousKeys+`":{`...)
	if rep != 0 {
		w.dst = appendKeySet(w.dst, schema.AmbiguousRepeated.Name(), rep)
	}
	if ooo != 0 {
		if rep != 0 {
			w.dst = append(w.dst, ',')
		}
		w.dst = appendKeySet(w.dst, schema.AmbiguousOutOfOrder.Name(), ooo)
	}
	if poolAmbiguous {
		// The pools the line may belong to (README "Parsing rules"),
		// so that the query API shows the event to each of them: the
		// real pool does not lose it to a name-borne spoof, and text
		// anyone can write never adds one (see query's pool filter).
		w.dst = append(w.dst, `,"`+schema.AmbiguousUserPoolIDs.Name()+`":[`...)
		for i, v := range ev.AppendPoolCandidates(nil) {
			if i > 0 {
				w.dst = append(w.dst, ',')
			}
			w.dst, _ = appendString(w.dst, v)
		}
		w.dst = append(w.dst, ']')
	}
	w.dst = append(w.dst, '}')
}

// tags appends the tags field when the document has any.
func (w *docWriter) tags(invalid, ambiguous bool) {
	const open = `,"` + schema.Tags + `":[`
	switch {
	case invalid && ambiguous:
		w.dst = append(w.dst, open+`"`+schema.TagInvalidUTF8+`","`+schema.TagAmbiguousKeys+`"]`...)
	case invalid:
		w.dst = append(w.dst, open+`"`+schema.TagInvalidUTF8+`"]`...)
	case ambiguous:
		w.dst = append(w.dst, open+`"`+schema.TagAmbiguousKeys+`"]`...)
	}
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
