package deploy

import _ "embed"

// IndexTemplate is the composable index template (PUT _index_template/NAME)
// for the default index pattern authing-audit-*.
//
//go:embed index-template.json
var IndexTemplate []byte
