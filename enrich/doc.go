// Package enrich turns a parsed audit line (parser.Event) into the JSON
// document ingestd indexes: it is both the enrichment stage (translated
// codes and eventDetails templates from a Dictionary, userPoolName and
// photoUrl from a Directory, the client address's "geoip" block from a
// MaxMind City database, the "ua" block from uap-go's patterns through
// enrich/uamatch) and the document's JSON encoder (jsonw.go: its own
// escaping, with invalid UTF-8 replaced and counted, no encoding/json on
// the hot path). The document's field names live in package schema; a test
// checks them against deploy/index-template.json.
//
// Contract:
//
//   - Buffer ownership: Enricher.AppendDocument appends to the caller's
//     buffer and returns it; it keeps no reference to the buffer, to the
//     Event or to the path once it returns. The geoip and ua fragments it
//     copies in come from bounded caches and are never modified once
//     stored.
//   - Concurrency: an Enricher, a GeoIP and a UserAgents are safe for
//     concurrent use by the pipeline's workers. Dictionary and Directory
//     are immutable once loaded; SetTables (SIGHUP reload) swaps both at
//     once and a document is always built from one snapshot. A replaced
//     GeoIP database (GeoIP.Check, GeoIP.Watch) is swapped the same way.
//   - Failure: AppendDocument never fails; a bad byte becomes U+FFFD and
//     the document is tagged. Loading a dictionary, a directory or a
//     database fails with an error naming the file.
//   - Shutdown: GeoIP.Watch returns when its context ends; GeoIP.Close
//     releases the database once no document is being built. Nothing else
//     holds a goroutine or a file.
package enrich
