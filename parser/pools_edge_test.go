package parser

import (
	"fmt"
	"testing"
)

// TestPoolEdges: lines that end in the middle of what the pool rule looks
// for, empty pool values, and a line without a user agent whose pool text
// follows the server's block.
func TestPoolEdges(t *testing.T) {
	for _, tt := range []struct {
		rest    string
		pools   string
		inTrust bool
	}{
		// An empty userPoolId at the very end of the line.
		{"logId=1 userPoolId=", "[]", false},
		// An empty userPoolId before the next key is no candidate.
		{"logId=1 userPoolId= userId=u", "[]", true},
		// The line ends with a key name and no '='.
		{"logId=1 userPoolId=p userId=u eventResultMsg=see userAgent", "[p]", true},
		{"logId=1 userPoolId=p userAgent", "[p]", true},
		// No user agent: the stretch runs to the first key after it, so
		// pool text in roleId's value (after the block) is in it.
		{"logId=1 userPoolId=p roleId=r userPoolId=q clientIp=1.2.3.4 eventType=e", "[p q]", true},
	} {
		var ev Event
		if err := Parse([]byte(ts+" "+tt.rest), &ev); err != nil {
			t.Fatalf("%s: %v", tt.rest, err)
		}
		got := fmt.Sprintf("%s", ev.AppendPoolCandidates(nil))
		if got != tt.pools || ev.PoolInStretch() != tt.inTrust {
			t.Errorf("%s: candidates %s in stretch %v, want %s %v", tt.rest, got, ev.PoolInStretch(), tt.pools, tt.inTrust)
		}
	}
}
