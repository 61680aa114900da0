package enrich

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/ingestd/ingestd/parser"
	"go.yaml.in/yaml/v3"
)

//go:embed dict/*.yaml
var shippedDicts embed.FS

// Languages lists the shipped dictionaries; "none" keeps raw codes.
var Languages = []string{"zh-CN", "en", "none"}

// TranslatedKeys are the fields whose codes a dictionary translates. Their
// raw codes are kept in the document's "codes" object.
var TranslatedKeys = []parser.Key{
	parser.EventType, parser.OperationType, parser.ResourceType, parser.ResourceName,
	parser.RoleName, parser.EventResultCode, parser.OperationMode,
}

// dictFile is the on-disk layout of a dictionary (YAML or JSON).
type dictFile struct {
	Fields       map[string]map[string]string `yaml:"fields"`
	EventDetails map[string]string            `yaml:"eventDetails"`
}

// Dictionary maps codes to display strings. It is immutable after
// LoadDictionary and safe for concurrent use.
type Dictionary struct {
	fields    [parser.NumKeys]map[string]string
	templates map[string]template
}

// template is an eventDetails template split into literal text and
// references to the line's values.
type template []segment

type segment struct {
	text string
	key  parser.Key // parser.NumKeys for literal text
}

// LoadDictionary returns the shipped dictionary for lang ("zh-CN", "en" or
// "none"), with the entries of the file at path (if not empty) laid over it.
func LoadDictionary(lang, path string) (*Dictionary, error) {
	d := &Dictionary{templates: map[string]template{}}
	switch lang {
	case "none":
	case "zh-CN", "en":
		b, err := shippedDicts.ReadFile("dict/" + lang + ".yaml")
		if err != nil {
			return nil, fmt.Errorf("shipped dictionary %s: %w", lang, err)
		}
		if err := d.merge(b); err != nil {
			return nil, fmt.Errorf("shipped dictionary %s: %w", lang, err)
		}
	default:
		return nil, fmt.Errorf("unknown language %q (want one of %s)", lang, strings.Join(Languages, ", "))
	}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("dictionary: %w", err)
		}
		if err := d.merge(b); err != nil {
			return nil, fmt.Errorf("dictionary %s: %w", path, err)
		}
	}
	return d, nil
}

func (d *Dictionary) merge(b []byte) error {
	var f dictFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	names := make([]string, 0, len(f.Fields))
	for name := range f.Fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		k, ok := parser.LookupKey(name)
		if !ok || !isTranslated(k) {
			return fmt.Errorf("fields.%s: not a translated field (want one of %s)", name, translatedNames())
		}
		if d.fields[k] == nil {
			d.fields[k] = map[string]string{}
		}
		for code, display := range f.Fields[name] {
			d.fields[k][code] = display
		}
	}
	for eventType, text := range f.EventDetails {
		t, err := compileTemplate(text)
		if err != nil {
			return fmt.Errorf("eventDetails.%s: %w", eventType, err)
		}
		d.templates[eventType] = t
	}
	return nil
}

var translated = func() (t [parser.NumKeys]bool) {
	for _, k := range TranslatedKeys {
		t[k] = true
	}
	return t
}()

func isTranslated(k parser.Key) bool { return k < parser.NumKeys && translated[k] }

func translatedNames() string {
	s := make([]string, len(TranslatedKeys))
	for i, k := range TranslatedKeys {
		s[i] = k.String()
	}
	return strings.Join(s, ", ")
}

func compileTemplate(text string) (template, error) {
	var t template
	for len(text) > 0 {
		open := strings.IndexByte(text, '{')
		if open < 0 {
			t = append(t, segment{text: text, key: parser.NumKeys})
			break
		}
		end := strings.IndexByte(text[open:], '}')
		if end < 0 {
			return nil, fmt.Errorf("unclosed { in %q", text)
		}
		name := text[open+1 : open+end]
		k, ok := parser.LookupKey(name)
		if !ok {
			return nil, fmt.Errorf("{%s}: not a known key", name)
		}
		if open > 0 {
			t = append(t, segment{text: text[:open], key: parser.NumKeys})
		}
		t = append(t, segment{key: k})
		text = text[open+end+1:]
	}
	return t, nil
}

// Translate returns the display string for a code of field k, or the code
// itself when the dictionary has none.
func (d *Dictionary) Translate(k parser.Key, code []byte) []byte {
	if m := d.fields[k]; m != nil {
		if s, ok := m[string(code)]; ok {
			return bytesOf(s)
		}
	}
	return code
}

// appendDetails appends the eventDetails template of the event's eventType,
// rendered with the event's values, as a JSON string. ok is false when the
// dictionary has no template for that eventType.
func (d *Dictionary) appendDetails(dst []byte, ev *parser.Event) (out []byte, ok, bad bool) {
	et, _ := ev.Get(parser.EventType)
	t, ok := d.templates[string(et)]
	if !ok {
		return dst, false, false
	}
	dst = append(dst, '"')
	for _, s := range t {
		part := bytesOf(s.text)
		if s.key != parser.NumKeys {
			part, _ = ev.Get(s.key)
		}
		var b bool
		dst, b = appendEscaped(dst, part)
		bad = bad || b
	}
	return append(dst, '"'), true, bad
}
