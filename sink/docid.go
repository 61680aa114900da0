package sink

import (
	"crypto/sha256"
	"encoding/hex"
)

// maxIDLen is Elasticsearch's limit on _id (512 bytes).
const maxIDLen = 512

// AppendID appends the document id for a line to dst: its logId when the
// line has a usable one, so that a replay or a restart overwrites instead
// of duplicating; otherwise a stable hash of the raw line ("h-" and 40 hex
// digits), so that the same line always gets the same id. A logId that is
// empty, "null", longer than 512 bytes, or contains bytes that are not
// printable ASCII is not usable.
func AppendID(dst, logID, raw []byte) []byte {
	if usableID(logID) {
		return append(dst, logID...)
	}
	sum := sha256.Sum256(raw)
	dst = append(dst, 'h', '-')
	return hex.AppendEncode(dst, sum[:20])
}

func usableID(id []byte) bool {
	if len(id) == 0 || len(id) > maxIDLen || string(id) == "null" {
		return false
	}
	for _, c := range id {
		if c <= 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
