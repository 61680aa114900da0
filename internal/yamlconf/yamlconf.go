package yamlconf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// File records where each key of a decoded file is.
type File struct {
	lines  map[string]int        // dotted key path → line
	byLine map[int]string        // line → dotted key path of the value on it
	values map[string]*yaml.Node // dotted key path → value
}

// Problem is one thing wrong with the file.
type Problem struct {
	Key  string // dotted path, e.g. "input.pattern"; empty if unknown
	Line int    // 0 when the file does not set the key
	Msg  string
}

// String formats the problem as "key (line N): message".
func (p Problem) String() string {
	switch {
	case p.Key != "" && p.Line > 0:
		return fmt.Sprintf("%s (line %d): %s", p.Key, p.Line, p.Msg)
	case p.Key != "":
		return p.Key + ": " + p.Msg
	case p.Line > 0:
		return fmt.Sprintf("line %d: %s", p.Line, p.Msg)
	}
	return p.Msg
}

// Decode decodes data over v, a pointer to a struct that holds the
// defaults, and returns the problems of unknown keys and mistyped values.
// err is set only when data is not YAML (nothing was decoded).
func Decode(data []byte, v any) (*File, []Problem, error) {
	f := &File{lines: map[string]int{}, byLine: map[int]string{}, values: map[string]*yaml.Node{}}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return f, nil, nil // an empty file: the defaults
		}
		return f, nil, err
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return f, []Problem{{Line: root.Line, Msg: "the file must be a mapping of keys (such as input:, output:)"}}, nil
	}
	t := reflect.TypeOf(v).Elem()
	problems := f.walk("", root, t)
	if err := root.Decode(v); err != nil {
		problems = append(problems, f.typeProblems(err)...)
	}
	sort.SliceStable(problems, func(i, j int) bool { return problems[i].Line < problems[j].Line })
	return f, problems, nil
}

// walk records the lines of the keys of node, a mapping decoded into a
// struct of type t, and reports the keys t does not have.
func (f *File) walk(prefix string, node *yaml.Node, t reflect.Type) []Problem {
	fields := yamlFields(t)
	var problems []Problem
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, val := node.Content[i], node.Content[i+1]
		path := prefix + k.Value
		ft, ok := fields[k.Value]
		if !ok {
			problems = append(problems, Problem{Key: path, Line: k.Line, Msg: unknownKey(k.Value, fields)})
			continue
		}
		f.lines[path] = k.Line
		f.byLine[val.Line] = path
		f.values[path] = val
		if ft.Kind() == reflect.Struct && val.Kind == yaml.MappingNode {
			problems = append(problems, f.walk(path+".", val, ft)...)
		}
	}
	return problems
}

// yamlFields maps the yaml key names of struct type t to their types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	if t.Kind() != reflect.Struct {
		return out
	}
	for i := range t.NumField() {
		sf := t.Field(i)
		name, opts, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if opts == "inline" {
			maps.Copy(out, yamlFields(sf.Type))
			continue
		}
		if name == "-" || !sf.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(sf.Name)
		}
		out[name] = sf.Type
	}
	return out
}

// unknownKey says that name is not a key, and which known key it may be.
func unknownKey(name string, fields map[string]reflect.Type) string {
	best, bestD := "", len(name)/2+2
	for known := range fields {
		if d := distance(strings.ToLower(name), known); d < bestD || d == bestD && known < best {
			best, bestD = known, d
		}
	}
	if best == "" || bestD > max(2, len(name)/3) {
		keys := make([]string, 0, len(fields))
		for k := range fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return "unknown key; known keys here: " + strings.Join(keys, ", ")
	}
	return fmt.Sprintf("unknown key; did you mean %q?", best)
}

// distance is the Levenshtein distance between a and b (bytes).
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// typeMsg matches one of yaml.v3's type errors.
var typeMsg = regexp.MustCompile("^line (\\d+): cannot unmarshal !!(\\w+)(?: `(.*)`)? into (.+)$")

// typeProblems turns yaml.v3's type errors into problems naming the key.
func (f *File) typeProblems(err error) []Problem {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return []Problem{{Msg: err.Error()}}
	}
	var out []Problem
	for _, e := range te.Errors {
		m := typeMsg.FindStringSubmatch(e)
		if m == nil {
			out = append(out, Problem{Msg: e})
			continue
		}
		line, _ := strconv.Atoi(m[1])
		key := f.byLine[line]
		val := strconv.Quote(m[3]) // yaml.v3 cuts long values: take the node's
		if n := f.values[key]; n != nil && n.Kind == yaml.ScalarNode {
			val = strconv.Quote(n.Value)
		}
		if m[2] == "seq" || m[2] == "map" {
			val = "a " + map[string]string{"seq": "list", "map": "mapping"}[m[2]]
		}
		out = append(out, Problem{Key: key, Line: line, Msg: val + " is not " + kindName(m[4])})
	}
	return out
}

// kindName names a Go type as the user knows it.
func kindName(goType string) string {
	switch goType {
	case "int", "int64", "uint", "uint64", "int32":
		return "a whole number"
	case "time.Duration":
		return "a duration such as 1s, 5m or 720h"
	case "bool":
		return "true or false"
	case "string":
		return "a single value"
	case "[]string":
		return "a list such as [a, b]"
	}
	if strings.Contains(goType, ".") || strings.HasPrefix(goType, "struct") {
		return "a section of keys" // a named or anonymous struct
	}
	return "a " + goType
}

// Line returns the line where the file sets key (a dotted path), or 0.
// A nil File (no file was read) sets no key.
func (f *File) Line(key string) int {
	if f == nil {
		return 0
	}
	return f.lines[key]
}

// Annotate turns "key: message", the form of a settings owner's check,
// into a Problem with the key's line, if the file sets it.
func (f *File) Annotate(msg string) Problem {
	key, rest, ok := strings.Cut(msg, ": ")
	if !ok || strings.ContainsAny(key, " \t") {
		return Problem{Msg: msg}
	}
	return Problem{Key: key, Line: f.Line(key), Msg: rest}
}
