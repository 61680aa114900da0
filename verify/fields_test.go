package verify

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/ingestd/ingestd/enrich"
	"github.com/ingestd/ingestd/parser"
)

// seedDoc is the document enrich builds from the repository's seed line.
func seedDoc(t testing.TB) []byte {
	t.Helper()
	raw, err := os.ReadFile("../testdata/audit.2021-09-22.log")
	if err != nil {
		t.Fatal(err)
	}
	line := []byte(strings.TrimRight(string(raw), "\n"))
	var ev parser.Event
	if err := parser.Parse(line, &ev); err != nil {
		t.Fatal(err)
	}
	return enrich.New(enrich.Config{Host: "h1"}).AppendDocument(nil, &ev, "/var/log/authing-server/audit.2021-09-22.log")
}

// source decodes a document and applies edits: a nil value deletes the
// key, a json.RawMessage is set as is.
func source(t *testing.T, doc []byte, edits map[string]any) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range edits {
		if v == nil {
			delete(m, k)
			continue
		}
		if r, ok := v.(json.RawMessage); ok {
			m[k] = r
			continue
		}
		b, _ := json.Marshal(v)
		m[k] = b
	}
	return m
}

func TestCompare(t *testing.T) {
	doc := seedDoc(t)
	want, host, err := expected(doc)
	if err != nil {
		t.Fatal(err)
	}
	if host != "h1" {
		t.Fatalf("host %q", host)
	}
	msg := want[0].s
	if !strings.HasPrefix(msg, "[2021-09-22T07:47:21.559-0000] logId=c72c118e") {
		t.Fatalf("message %q", msg)
	}
	for _, tc := range []struct {
		name  string
		edits map[string]any
		diffs []Field // fields reported, in order
	}{
		{"identical", nil, nil},
		{"field order does not matter", map[string]any{"message": json.RawMessage(`"` + strings.ReplaceAll(msg, "c", `\u0063`) + `"`)}, nil},
		{"a number stored for a digit string", map[string]any{"userId": json.RawMessage(`61384`)}, []Field{FieldUserID}},
		{"timestamp as epoch milliseconds", map[string]any{"@timestamp": json.RawMessage(`1632296841559`)}, nil},
		{"timestamp as epoch milliseconds in a string", map[string]any{"@timestamp": "1632296841559"}, nil},
		{"timestamp with another offset", map[string]any{"@timestamp": "2021-09-22T15:47:21.559+08:00"}, nil},
		{"timestamp one millisecond off", map[string]any{"@timestamp": "2021-09-22T07:47:21.558Z"}, []Field{FieldTimestamp}},
		{"codes.eventType as a dotted key", map[string]any{"codes": nil, "codes.eventType": "createUser"}, nil},
		{"codes.eventType changed", map[string]any{"codes": map[string]string{"eventType": "deleteUser"}}, []Field{FieldEventType}},
		{"codes missing", map[string]any{"codes": nil}, []Field{FieldEventType}},
		{"message one byte changed", map[string]any{"message": strings.Replace(msg, "createUser", "createUsex", 1)}, []Field{FieldMessage}},
		{"message with a trailing CR", map[string]any{"message": msg + "\r"}, []Field{FieldMessage}},
		{"tenant changed", map[string]any{"userPoolId": "evil"}, []Field{FieldUserPool}},
		{"tenant removed", map[string]any{"userPoolId": nil}, []Field{FieldUserPool}},
		{"tenant null", map[string]any{"userPoolId": json.RawMessage(`null`)}, []Field{FieldUserPool}},
		{"a case variant of the key does not stand in", map[string]any{"userPoolId": "evil", "UserPoolId": "61384d3e302f1f75e69ce95a"}, []Field{FieldUserPool}},
		{"client address and user changed", map[string]any{"clientIp": "10.0.0.1", "userId": "u"}, []Field{FieldUserID, FieldClientIP}},
		{"an object where a string was", map[string]any{"userId": map[string]int{"a": 1}}, []Field{FieldUserID}},
		{"other fields are not compared", map[string]any{"userName": "x", "geoip": nil}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := source(t, doc, tc.edits)
			// Round-trip through a map: the engine's key order is not ours.
			b, _ := json.Marshal(src)
			got := compare(want, stored(b))
			var fields []Field
			for _, d := range got {
				fields = append(fields, d.Field)
			}
			if strings.Join(asStrings(fields), ",") != strings.Join(asStrings(tc.diffs), ",") {
				t.Fatalf("diffs %+v, want fields %v", got, tc.diffs)
			}
		})
	}
}

func marshal(m map[string]json.RawMessage) []byte {
	b, _ := json.Marshal(m)
	return b
}

func asStrings(fs []Field) []string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = string(f)
	}
	return s
}

func TestDiffDetails(t *testing.T) {
	doc := seedDoc(t)
	want, _, _ := expected(doc)
	long := strings.Repeat("é", 300)
	d := compare(want, stored(marshal(source(t, doc, map[string]any{"message": long, "userPoolId": nil}))))
	if len(d) != 2 || d[0].Field != FieldMessage || d[0].Stored == nil || d[0].At != 0 {
		t.Fatalf("diffs %+v", d)
	}
	if len(*d[0].Stored) > maxShown+len("…") || !strings.HasSuffix(*d[0].Stored, "…") || !json.Valid([]byte(`"`+*d[0].Stored+`"`)) {
		t.Errorf("long stored value not cut at a rune: %q", *d[0].Stored)
	}
	if d[1].Field != FieldUserPool || d[1].Stored != nil || d[1].Expected != "61384d3e302f1f75e69ce95a" {
		t.Errorf("absent field: %+v", d[1])
	}
	changed := strings.Replace(want[0].s, "createUser", "createUsex", 1)
	d = compare(want, stored(marshal(source(t, doc, map[string]any{"message": changed}))))
	if len(d) != 1 || d[0].At != strings.Index(want[0].s, "createUser")+9 {
		t.Errorf("first difference at %d, want %d", d[0].At, strings.Index(want[0].s, "createUser")+9)
	}
}

func BenchmarkExpected(b *testing.B) {
	doc := seedDoc(b)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := expected(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStored(b *testing.B) {
	doc := seedDoc(b)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		stored(doc)
	}
}
