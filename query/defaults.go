package query

import "time"

// Defaults of Config, declared once: New applies them to zero values and
// the serve command shows them as its flags' defaults.
const (
	DefaultIndex    = "authing-audit-*"
	DefaultTokenTTL = 24 * time.Hour
	DefaultMaxLimit = 100
)
