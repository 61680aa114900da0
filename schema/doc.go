// Package schema names the fields of the JSON document ingestd writes for
// every audit line: the encoder (package enrich) writes them, the query API
// (package query) filters and sorts on them, verify compares them, and
// deploy/index-template.json maps them (a test in enrich proves the
// template and the encoder agree, field for field).
//
// It is a leaf: standard library only, no state, no goroutines, nothing to
// shut down. A Field is the dotted path of the field in _source, the form
// the engine's queries take ("codes.eventType"); Name gives the last
// element, the key the encoder writes inside its parent object.
package schema
