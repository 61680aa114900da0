package enrich

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/ingestd/ingestd/deploy"
	"github.com/ingestd/ingestd/parser"
	"github.com/ingestd/ingestd/schema"
)

// templateFields returns the leaf fields deploy/index-template.json maps.
func templateFields(t *testing.T) map[schema.Field]bool {
	t.Helper()
	var tpl struct {
		Template struct {
			Mappings struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"mappings"`
		} `json:"template"`
	}
	if err := json.Unmarshal(deploy.IndexTemplate, &tpl); err != nil {
		t.Fatal(err)
	}
	out := map[schema.Field]bool{}
	var walk func(prefix string, props map[string]json.RawMessage)
	walk = func(prefix string, props map[string]json.RawMessage) {
		for name, raw := range props {
			var m struct {
				Properties map[string]json.RawMessage `json:"properties"`
			}
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			if m.Properties != nil {
				walk(prefix+name+".", m.Properties)
			} else {
				out[schema.Field(prefix+name)] = true
			}
		}
	}
	walk("", tpl.Template.Mappings.Properties)
	return out
}

// documentFields adds to out the leaf fields of doc: a member whose path
// is a schema leaf (extra, geoip.location) is not descended into.
func documentFields(t *testing.T, doc []byte, out map[schema.Field]bool) {
	t.Helper()
	leaves := map[schema.Field]bool{}
	for _, f := range schema.Leaves {
		leaves[f] = true
	}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for name, v := range m {
			f := schema.Field(prefix + name)
			if sub, ok := v.(map[string]any); ok && !leaves[f] {
				walk(string(f)+".", sub)
				continue
			}
			out[f] = true
		}
	}
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatalf("invalid document %s: %v", doc, err)
	}
	walk("", m)
}

// schemaCorpus is lines that, together, make the encoder write every
// field it can: geoip with a metro code and a postal code, user agents
// with patch, OS versions and device, unknown keys, invalid UTF-8, and
// repeated and out-of-order keys (among them userPoolId).
var schemaCorpus = []string{
	"[2021-09-22T07:47:21.559-0000] logId=1 userPoolId=p1 userId=u1 userAgent=Mozilla/5.0 (iPhone; CPU iPhone OS 12_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.1 Mobile/15E148 Safari/604.1 clientIp=216.160.83.56 eventType=login tenantId=t1",
	"[2021-09-22T07:47:21.559-0000] logId=2 userName=a\xffb userPoolId=p1 userPoolId=p2 clientIp=2a02:598:2::1 userAgent=Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/91.0.4472.124 Safari/537.36",
	"[2021-09-22T07:47:21.559-0000] userId=u2 logId=3 userPoolId=p3",
}

// TestTemplateMatchesEncoder proves that every field the index template
// maps is one the encoder writes, and the other way round, and that both
// are the fields package schema names.
func TestTemplateMatchesEncoder(t *testing.T) {
	tpl := templateFields(t)
	want := map[schema.Field]bool{}
	for _, f := range schema.Leaves {
		want[f] = true
	}
	notIn(t, tpl, want, "template maps %s, which package schema does not name")
	notIn(t, want, tpl, "package schema names %s, which the template does not map")

	e := newTestEnricher(t)
	e.SetTables(e.cfg.Dict, &Directory{UserPools: map[string]string{"p3": "Pool 3"},
		Photos: map[string]string{"u2": "https://example.com/u2.png"}, DefaultPhotoURL: DefaultPhotoURL})
	written := map[schema.Field]bool{}
	lines := schemaCorpus
	for _, file := range []string{"../testdata/cases.log", "../testdata/audit.2021-09-22.log"} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
	}
	var ev parser.Event
	for _, l := range lines {
		if parser.Parse([]byte(l), &ev) != nil {
			continue
		}
		documentFields(t, e.AppendDocument(nil, &ev, "/var/log/authing-server/audit.log"), written)
	}
	notIn(t, written, tpl, "the encoder writes %s, which the template does not map")
	notIn(t, tpl, written, "the template maps %s, which the encoder never wrote")
}

// notIn reports, with format, each field of a that b lacks.
func notIn(t *testing.T, a, b map[schema.Field]bool, format string) {
	t.Helper()
	for f := range a {
		if !b[f] {
			t.Errorf(format, f)
		}
	}
}

// TestSchemaNamesParserKeys checks that each known key is a schema field
// under the parser's name, and that "codes" holds the translated keys.
func TestSchemaNamesParserKeys(t *testing.T) {
	for k := parser.Key(0); k < parser.NumKeys; k++ {
		if !slices.Contains(schema.Leaves, schema.Field(k.String())) {
			t.Errorf("key %s is not a schema field", k)
		}
	}
	codes := []schema.Field{schema.CodesEventType, schema.CodesOperationType, schema.CodesResourceType,
		schema.CodesResourceName, schema.CodesRoleName, schema.CodesEventResultCode, schema.CodesOperationMode}
	if len(codes) != len(TranslatedKeys) {
		t.Fatalf("%d codes fields, %d translated keys", len(codes), len(TranslatedKeys))
	}
	for i, k := range TranslatedKeys {
		if codes[i].Name() != k.String() || string(codes[i]) != string(schema.Codes)+"."+k.String() {
			t.Errorf("codes field %s for translated key %s", codes[i], k)
		}
	}
}
