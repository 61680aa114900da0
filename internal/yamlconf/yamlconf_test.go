package yamlconf

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

type testOutput struct {
	URLs      []string      `yaml:"urls"`
	FlushDocs int           `yaml:"flush_docs"`
	Interval  time.Duration `yaml:"flush_interval"`
	Skip      bool          `yaml:"tls_skip_verify"`
	Hidden    string        `yaml:"-"`
}

type testConn struct {
	User string `yaml:"user"`
}

type testConfig struct {
	Input struct {
		Dir     string `yaml:"dir"`
		Pattern string `yaml:"pattern"`
	} `yaml:"input"`
	Output struct {
		testConn   `yaml:",inline"`
		testOutput `yaml:",inline"`
	} `yaml:"output"`
	Workers int `yaml:"workers"`
}

func TestDecodeProblems(t *testing.T) {
	for _, tt := range []struct {
		name string
		yaml string
		want []string
	}{
		{"valid", "input:\n  dir: /x\noutput:\n  urls: [http://a:1]\n  flush_docs: 10\n", nil},
		{"empty file", "", nil},
		{"misspelt key", "input:\n  dir: /x\n  pattrn: \"a*\"\n",
			[]string{`input.pattrn (line 3): unknown key; did you mean "pattern"?`}},
		{"misspelt section", "ouptut:\n  urls: [x]\n",
			[]string{`ouptut (line 1): unknown key; did you mean "output"?`}},
		{"nothing alike", "input:\n  zzzzzzzz: 1\n",
			[]string{`input.zzzzzzzz (line 2): unknown key; known keys here: dir, pattern`}},
		{"key hidden from yaml", "output:\n  hidden: x\n",
			[]string{`output.hidden (line 2): unknown key; known keys here: flush_docs, flush_interval, tls_skip_verify, urls, user`}},
		{"inline sections", "output:\n  user: u\n  urls: [a]\n  usr: v\n",
			[]string{`output.usr (line 4): unknown key; did you mean "user"?`}},
		{"every problem at once", "input:\n  pattrn: x\noutput:\n  flush_docs: many\n  flush_interval: 5 sec\n  tls_skip_verify: maybe\nworkers: [1]\nextra: 1\n",
			[]string{
				`input.pattrn (line 2): unknown key; did you mean "pattern"?`,
				`output.flush_docs (line 4): "many" is not a whole number`,
				`output.flush_interval (line 5): "5 sec" is not a duration such as 1s, 5m or 720h`,
				`output.tls_skip_verify (line 6): "maybe" is not true or false`,
				`workers (line 7): a list is not a whole number`,
				`extra (line 8): unknown key; known keys here: input, output, workers`,
			}},
		{"section given a value", "input: /var/log\n",
			[]string{`input (line 1): "/var/log" is not a section of keys`}},
		{"not a mapping", "- a\n- b\n", []string{`line 1: the file must be a mapping of keys (such as input:, output:)`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var c testConfig
			_, problems, err := Decode([]byte(tt.yaml), &c)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range problems {
				got = append(got, p.String())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

// TestDecodeKeepsGoodValues: the values around a problem are decoded over
// the defaults.
func TestDecodeKeepsGoodValues(t *testing.T) {
	c := testConfig{Workers: 3}
	c.Output.FlushDocs = 5000
	_, problems, err := Decode([]byte("input:\n  dir: /x\n  pattrn: y\noutput:\n  flush_docs: bad\n  urls: [a, b]\n"), &c)
	if err != nil || len(problems) != 2 {
		t.Fatalf("err %v, problems %v", err, problems)
	}
	if c.Input.Dir != "/x" || c.Workers != 3 || c.Output.FlushDocs != 5000 || len(c.Output.URLs) != 2 {
		t.Errorf("decoded %+v", c)
	}
}

func TestDecodeSyntaxError(t *testing.T) {
	var c testConfig
	if _, _, err := Decode([]byte("input:\n  dir: [x\n"), &c); err == nil || !strings.Contains(err.Error(), "line") {
		t.Errorf("err = %v, want a YAML syntax error with its line", err)
	}
}

func TestAnnotate(t *testing.T) {
	var c testConfig
	f, _, err := Decode([]byte("input:\n  dir: /x\noutput:\n  flush_docs: -1\n"), &c)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ in, want string }{
		{"output.flush_docs: -1: must be positive", "output.flush_docs (line 4): -1: must be positive"},
		{"output.urls: at least one engine URL is required", "output.urls: at least one engine URL is required"},
		{"input.dir: /x is not a readable directory", "input.dir (line 2): /x is not a readable directory"},
		{"enrich: unknown language fr", "enrich: unknown language fr"},
		{"no key here", "no key here"},
	} {
		if got := f.Annotate(tt.in).String(); got != tt.want {
			t.Errorf("Annotate(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{{"pattrn", "pattern", 1}, {"", "abc", 3}, {"flush_doc", "flush_docs", 1}, {"kitten", "sitting", 3}} {
		if got := distance(tt.a, tt.b); got != tt.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// TestLongValueKeptWhole: yaml.v3 shortens long values in its messages;
// the problem quotes the value as written.
func TestLongValueKeptWhole(t *testing.T) {
	var c testConfig
	long := strings.Repeat("x", 80)
	_, problems, err := Decode([]byte("workers: "+long+"\n"), &c)
	if err != nil || len(problems) != 1 || problems[0].String() != `workers (line 1): "`+long+`" is not a whole number` {
		t.Errorf("err %v, problems %v", err, problems)
	}
}
