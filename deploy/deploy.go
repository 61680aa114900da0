// Package deploy holds the files operators deploy next to ingestd; the
// index template is embedded from here so that the shipped file and the
// one ingestd installs are the same bytes.
package deploy

import _ "embed"

// IndexTemplate is the composable index template (PUT _index_template/NAME)
// for the default index pattern authing-audit-*.
//
//go:embed index-template.json
var IndexTemplate []byte
