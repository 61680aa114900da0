package enrich

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ingestd/ingestd/parser"
)

// TestDocumentPoolsNotPlanted: the fields the query API lets a pool see an
// event by (userPoolId, ambiguousKeys.userPoolIds) never hold a pool named
// by text anyone can write (the user agent and every value after it), and
// always hold the real pool when a user name spoofs one. Issue 9, item 3;
// the rule is in README "Parsing rules".
func TestDocumentPoolsNotPlanted(t *testing.T) {
	const (
		seed   = "[2021-09-22T07:47:21.559-0000] logId=c72c118e-c1a9-4fbd-bafe-c45d00da173b appId=null userName=@authing.cn userPoolId=61384d3e302f1f75e69ce95a userId=61384cf9628539c0f83943e7 requestId=6939cb03-9013-4c08-8954-2920babeed35 roleName=admin roleCode=null roleId=null userAgent=python-requests/2.26.0 clientIp=111.202.167.58 eventType=createUser eventDetails=null resourceType=DATA resourceName=user resourceDetails=shxbxpbodj operationType=create operationMode=sdk originValue=null targetValue=null eventResultCode=success operationParam=null eventResultMsg=null"
		real   = "61384d3e302f1f75e69ce95a"
		victim = "victimpool"
	)
	set := func(l, key, v string) string {
		i := strings.Index(l, " "+key+"=")
		j := i + len(key) + 2
		k := strings.Index(l[j:], " ")
		if k < 0 {
			return l[:j] + v
		}
		return l[:j] + v + l[j+k:]
	}
	drop := func(l, key string) string {
		i := strings.Index(l, " "+key+"=")
		k := strings.Index(l[i+1:], " ")
		return l[:i] + l[i+1+k:]
	}
	tests := []struct {
		name     string
		line     string
		userPool any    // the document's userPoolId (nil: absent)
		pools    string // ambiguousKeys.userPoolIds, comma-separated
	}{
		{"issue 9 reproduction", set(seed, "userAgent", "curl/8 userAgent=x userPoolId="+victim), real, real},
		{"resourceDetails repeating userAgent", set(seed, "resourceDetails", "x userAgent=y userPoolId="+victim), real, real},
		{"operationParam repeating userAgent", set(seed, "operationParam", "a userAgent=b userPoolId="+victim), real, real},
		{"eventResultMsg repeating userAgent", set(seed, "eventResultMsg", "failed userAgent=b userPoolId="+victim), real, real},
		{"targetValue repeating userAgent", set(seed, "targetValue", "b userAgent=c userPoolId="+victim), real, real},
		{"no user agent, resourceDetails naming a pool", set(drop(seed, "userAgent"), "resourceDetails", "x userPoolId="+victim), real, real},
		{"quoted user name closed by the user agent", set(set(seed, "userName", `"x`), "userAgent", `y" userPoolId=`+victim), nil, real},
		{"JSON user name closed by the user agent", set(set(seed, "userName", `{"n":"`), "userAgent", `"} userPoolId=`+victim), nil, real},
		{"no pool on the line, user agent naming one", set(drop(seed, "userPoolId"), "userAgent", "curl userPoolId="+victim), nil, ""},
		{"no pool, quoted user name closed by the user agent", set(set(drop(seed, "userPoolId"), "userName", `"x`), "userAgent", `y" userPoolId=`+victim), nil, ""},
		{"user name faking userAgent, user agent naming a pool", set(set(seed, "userAgent", "curl userPoolId="+victim), "userName", "x userPoolId=evilpool userAgent=y"), "evilpool", "evilpool," + real},
	}
	e := newTestEnricher(t)
	var ev parser.Event
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := parser.Parse([]byte(tt.line), &ev); err != nil {
				t.Fatal(err)
			}
			var doc struct {
				UserPoolID    any      `json:"userPoolId"`
				Tags          []string `json:"tags"`
				AmbiguousKeys struct {
					UserPoolIDs []string `json:"userPoolIds"`
				} `json:"ambiguousKeys"`
			}
			b := e.AppendDocument(nil, &ev, "audit.log")
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatalf("%v: %s", err, b)
			}
			if fmt.Sprint(doc.UserPoolID) != fmt.Sprint(tt.userPool) {
				t.Errorf("userPoolId = %v, want %v", doc.UserPoolID, tt.userPool)
			}
			if got := strings.Join(doc.AmbiguousKeys.UserPoolIDs, ","); got != tt.pools {
				t.Errorf("ambiguousKeys.userPoolIds = %q, want %q", got, tt.pools)
			}
			if !slices.Contains(doc.Tags, "_ambiguous_keys") {
				t.Errorf("not tagged _ambiguous_keys: %v", doc.Tags)
			}
			if doc.UserPoolID == victim || slices.Contains(doc.AmbiguousKeys.UserPoolIDs, victim) {
				t.Errorf("the victim pool would see the event: %s", b)
			}
		})
	}
}
