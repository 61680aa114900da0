package sink

import (
	"context"
	"strings"
	"testing"
)

// TestIndexNameAcrossMidnight: the cached daily index name follows the
// event date: a request with events of two days, and days going back (a
// replayed older file), name each document's own day.
func TestIndexNameAcrossMidnight(t *testing.T) {
	ip, err := parseIndexPattern(DefaultIndex)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		date uint32
		want string
	}{
		{20211231, "authing-audit-2021.12.31"},
		{20211231, "authing-audit-2021.12.31"},
		{20220101, "authing-audit-2022.01.01"},
		{20220101, "authing-audit-2022.01.01"},
		{20211231, "authing-audit-2021.12.31"},
		{20220228, "authing-audit-2022.02.28"},
	} {
		if got := string(ip.append([]byte("x"), tt.date)); got != "x"+tt.want {
			t.Errorf("append(%d) = %s, want x%s", tt.date, got, tt.want)
		}
	}
	// A first document without a date still gets a well-formed name.
	ip, _ = parseIndexPattern(DefaultIndex)
	if got := string(ip.append(nil, 0)); got != "authing-audit-0000.00.00" {
		t.Errorf("append(0) first = %s", got)
	}

	// Through the sink: one request, documents of 23:59 and 00:00.
	tb := newTestBulk(t, BulkConfig{}, okAnswer)
	batch := makeBatch(0, 3, nil)
	batch.Meta[0].Date, batch.Meta[1].Date, batch.Meta[2].Date = 20210922, 20210923, 20210922
	if err := tb.Write(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	if err := tb.Close(); err != nil {
		t.Fatal(err)
	}
	body := string(tb.tr.requests()[0])
	for i, want := range []string{"authing-audit-2021.09.22", "authing-audit-2021.09.23", "authing-audit-2021.09.22"} {
		line := strings.Split(body, "\n")[2*i]
		if !strings.Contains(line, `"_index":"`+want+`"`) {
			t.Errorf("document %d: action %s, want index %s", i, line, want)
		}
	}
}

// TestIndexPatternEdges: what index patterns render to, and which names
// the engine would refuse are refused up front.
func TestIndexPatternEdges(t *testing.T) {
	good := []struct{ pattern, want, prefix string }{
		{"%{+yyyy.MM.dd}-audit", "2021.09.22-audit", ""},
		{"a_%{+yyyy_MM_dd}", "a_2021_09_22", "a_"},
		{"a-%{+dd}-%{+MM}", "a-22-09", "a-"},
		{"a-%{+yyyyMMdd}", "a-20210922", "a-"},
		{"a%{+yyyy}b%{+MM}", "a2021b09", "a"},
		{"0audit", "0audit", "0audit"},
	}
	for _, tt := range good {
		ip, err := parseIndexPattern(tt.pattern)
		if err != nil {
			t.Errorf("%q: %v", tt.pattern, err)
			continue
		}
		if got := string(ip.render(nil, 20210922)); got != tt.want || ip.Prefix() != tt.prefix {
			t.Errorf("%q renders %q prefix %q, want %q prefix %q", tt.pattern, got, ip.Prefix(), tt.want, tt.prefix)
		}
	}
	if got := string(mustPattern(t, "d-%{+yyyy.MM.dd}").render(nil, 20000101)); got != "d-2000.01.01" {
		t.Errorf("zero padding: %s", got)
	}
	bad := []struct{ pattern, want string }{
		{"-audit", "not a valid index name"},
		{"_audit", "not a valid index name"},
		{"+audit", "not a valid index name"},
		{"audit*", "not a valid index name"},
		{"au dit", "not a valid index name"},
		{"au:dit", "not a valid index name"},
		{"au#dit", "not a valid index name"},
		{"au,dit", "not a valid index name"},
		{"au/dit", "not a valid index name"},
		{"au\\dit", "not a valid index name"},
		{"au?dit", "not a valid index name"},
		{`au"dit`, "not a valid index name"},
		{"Audit", "not a valid index name"},
		{"a-%{+yyyy.MM.dd", "unclosed %{+"},
		{"a-%{+yy}", `date format "yy"`},
		{"a-%{+yyyy/MM}", `date format "yyyy/MM"`},
		{"a-%{+M}", `date format "M"`},
		{"a-%{+d}", `date format "d"`},
	}
	for _, tt := range bad {
		if _, err := parseIndexPattern(tt.pattern); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err %v, want %q", tt.pattern, err, tt.want)
		}
	}
}

func mustPattern(t *testing.T, p string) *indexPattern {
	t.Helper()
	ip, err := parseIndexPattern(p)
	if err != nil {
		t.Fatal(err)
	}
	return &ip
}

// TestTemplateNames: template names and patterns for index patterns and
// data streams, including patterns that cannot be parsed.
func TestTemplateNames(t *testing.T) {
	for _, tt := range []struct{ index, ds, want string }{
		{DefaultIndex, "", "ingestd-authing-audit"},
		{"logs_%{+yyyy}", "", "ingestd-logs"},
		{"static", "", "ingestd-static"},
		{"Bad", "", "ingestd"},
		{"", "logs-x-", "ingestd-logs-x"},
	} {
		if got := TemplateName(tt.index, tt.ds); got != tt.want {
			t.Errorf("TemplateName(%q, %q) = %q, want %q", tt.index, tt.ds, got, tt.want)
		}
	}
	if _, err := Template([]byte(`{}`), "Bad", ""); err == nil {
		t.Error("template for an invalid index pattern")
	}
	if _, err := Template([]byte(`not json`), DefaultIndex, ""); err == nil || !strings.Contains(err.Error(), "index template") {
		t.Errorf("template from invalid JSON: %v", err)
	}
}
