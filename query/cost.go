package query

import (
	"fmt"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"
)

// The cost model of the token exchange. graphql-go's validation and error
// formatting have quadratic worst cases (a line and column computed for
// every error by scanning the whole document, overlapping-field checks
// over every pair of fields), so the exchange parses the document once
// and refuses, before any validation, whatever lies outside what Authing's
// SDKs send: the Node SDK sends one accessToken query, the Python SDK that
// query and the standard introspection query. The bounds are
// generous multiples of those documents and small in absolute terms, so
// validation and execution stay cheap whatever the document holds.
const (
	// maxDocNodes bounds the document's nodes as written: selections,
	// arguments, values, directives, variable definitions and their
	// types. The standard introspection query has 70.
	maxDocNodes = 400
	// maxExpandedSelections bounds the selections of the operation with
	// every fragment spread expanded, what execution walks. The
	// standard introspection query expands to 191 (245 with ten levels
	// of ofType).
	maxExpandedSelections = 500
	// maxDepth is the deepest field nesting, fragments expanded, that a
	// standard introspection query reaches (graphql-js' TypeRef with ten
	// levels of ofType, a few more than graphql-core 2 and graphql-js
	// 16 send, which reach 13).
	maxDepth = 16
	// maxDefinitions bounds the operations and fragments of a document
	// (introspection: one operation, three fragments).
	maxDefinitions = 10
	// maxValueDepth bounds nesting inside argument values and variable
	// types ([[[…]]] or {a:{b:…}}).
	maxValueDepth = 8
	// maxResolves bounds the fields execution may resolve: each selection
	// counts once per item of every list above it, a list counted at the
	// longest it can be in the schema (listBounds). Lists nest
	// (types → fields → type → ofType → fields …) and aliases repeat
	// them, so the selection count alone does not bound execution. The
	// standard introspection query is estimated at 11 883 (7 levels of
	// ofType) to 15 447 (10 levels); it resolves far fewer.
	maxResolves = 20_000
)

// maxLine bounds the lines of a document. graphql-go's syntax error
// builds its caret line by appending one space at a time, quadratic in
// the error's column: 60 ms of CPU and 100 MB of garbage for an error at
// the end of one 8 KiB line. Minified, the standard introspection query is
// a line of under 1 KiB.
const maxLine = 2 << 10

// longestLine returns the length of the longest line of q, lines ended as
// graphql-go's error locations end them (\r\n, \n or \r).
func longestLine(q string) int {
	longest, start := 0, 0
	for i := 0; i < len(q); i++ {
		if c := q[i]; c == '\n' || c == '\r' {
			longest = max(longest, i-start)
			if c == '\r' && i+1 < len(q) && q[i+1] == '\n' {
				i++
			}
			start = i + 1
		}
	}
	return max(longest, len(q)-start)
}

// fieldAccessToken is the one root field that mints a token (and runs
// bcrypt).
const fieldAccessToken = "accessToken"

// costError is a document refused by the cost model; its message is the
// client's.
type costError struct{ msg string }

func (e *costError) Error() string { return e.msg }

func refuse(format string, a ...any) error { return &costError{fmt.Sprintf(format, a...)} }

// parseExchange parses a token-exchange document with graphql-go's own
// parser (the lexer that execution uses, so comments, block strings and
// escapes are read exactly as they will be executed) and checks it against
// the cost model. operationName selects the operation as graphql-go would.
// lists holds the longest list each field name can return (listBounds).
func parseExchange(query, operationName string, lists map[string]int) (*ast.Document, error) {
	if n := longestLine(query); n > maxLine {
		return nil, refuse("query: a line of %d bytes, at most %d", n, maxLine)
	}
	// NoLocation: graphql-go computes an error's line and column by
	// compiling a regular expression and scanning the whole document,
	// once per error; validation reports up to one error per node.
	doc, err := parser.Parse(parser.ParseParams{
		Source:  source.NewSource(&source.Source{Body: []byte(query), Name: "GraphQL request"}),
		Options: parser.ParseOptions{NoLocation: true},
	})
	if err != nil {
		return nil, refuse("query: not a GraphQL document")
	}
	c := costWalk{fragments: map[string]*ast.FragmentDefinition{}, lists: lists, used: map[string]bool{}}
	op, err := c.definitions(doc, operationName)
	if err != nil {
		return nil, err
	}
	if err := c.written(doc); err != nil {
		return nil, err
	}
	if err := c.expand(op.SelectionSet, 1, 1, map[string]bool{}); err != nil {
		return nil, err
	}
	if c.accessTokens > 1 {
		return nil, refuse("query: at most one %s field per request", fieldAccessToken)
	}
	// Validation walks unused fragments too (and refuses them): refused
	// here, every fragment is within the expansion's bounds.
	for name := range c.fragments {
		if !c.used[name] {
			return nil, refuse("query: fragment %q is never used", name)
		}
	}
	return doc, nil
}

// costWalk holds the counts of one document.
type costWalk struct {
	fragments    map[string]*ast.FragmentDefinition
	used         map[string]bool // fragments the operation spreads
	lists        map[string]int
	resolves     int // fields execution may resolve
	nodes        int // written nodes
	expanded     int // selections with fragments expanded
	accessTokens int // root accessToken fields, fragments expanded
}

// definitions checks the document's definitions and returns the operation
// to run: exactly one query operation, fragments beside it.
func (c *costWalk) definitions(doc *ast.Document, operationName string) (*ast.OperationDefinition, error) {
	if len(doc.Definitions) > maxDefinitions {
		return nil, refuse("query: %d definitions, at most %d", len(doc.Definitions), maxDefinitions)
	}
	var op *ast.OperationDefinition
	for _, d := range doc.Definitions {
		switch d := d.(type) {
		case *ast.OperationDefinition:
			if d.Operation != ast.OperationTypeQuery {
				return nil, refuse("query: only query operations are served, not %s", d.Operation)
			}
			if op != nil {
				return nil, refuse("query: one operation per request")
			}
			op = d
		case *ast.FragmentDefinition:
			if d.Name == nil || c.fragments[d.Name.Value] != nil {
				return nil, refuse("query: fragments need distinct names")
			}
			c.fragments[d.Name.Value] = d
		default:
			return nil, refuse("query: only a query operation and its fragments are served")
		}
	}
	if op == nil {
		return nil, refuse("query: no query operation")
	}
	if operationName != "" && (op.Name == nil || op.Name.Value != operationName) {
		return nil, refuse("query: no operation named %q", operationName)
	}
	return op, nil
}

// written counts the nodes of the document as written and checks their
// nesting.
func (c *costWalk) written(doc *ast.Document) error {
	for _, d := range doc.Definitions {
		var err error
		switch d := d.(type) {
		case *ast.OperationDefinition:
			for _, v := range d.VariableDefinitions {
				if err = c.count(1); err == nil {
					if err = c.typeRef(v.Type, 1); err == nil {
						err = c.value(v.DefaultValue, 1)
					}
				}
				if err != nil {
					return err
				}
			}
			if err = c.directives(d.Directives); err == nil {
				err = c.selections(d.SelectionSet, 1)
			}
		case *ast.FragmentDefinition:
			if err = c.directives(d.Directives); err == nil {
				err = c.selections(d.SelectionSet, 1)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *costWalk) count(n int) error {
	if c.nodes += n; c.nodes > maxDocNodes {
		return refuse("query: more than %d fields, arguments and values", maxDocNodes)
	}
	return nil
}

// selections walks a selection set as written; depth is the nesting of
// the set (fragments are not expanded here, expand bounds the depth).
func (c *costWalk) selections(set *ast.SelectionSet, depth int) error {
	if set == nil {
		return nil
	}
	if depth > maxDepth {
		return refuse("query: nested more than %d deep", maxDepth)
	}
	for _, s := range set.Selections {
		if err := c.count(1); err != nil {
			return err
		}
		var err error
		switch s := s.(type) {
		case *ast.Field:
			if err = c.arguments(s.Arguments); err == nil {
				if err = c.directives(s.Directives); err == nil {
					err = c.selections(s.SelectionSet, depth+1)
				}
			}
		case *ast.InlineFragment:
			if err = c.directives(s.Directives); err == nil {
				err = c.selections(s.SelectionSet, depth+1)
			}
		case *ast.FragmentSpread:
			err = c.directives(s.Directives)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *costWalk) arguments(args []*ast.Argument) error {
	for _, a := range args {
		if err := c.count(1); err != nil {
			return err
		}
		if err := c.value(a.Value, 1); err != nil {
			return err
		}
	}
	return nil
}

func (c *costWalk) directives(ds []*ast.Directive) error {
	for _, d := range ds {
		if err := c.count(1); err != nil {
			return err
		}
		if err := c.arguments(d.Arguments); err != nil {
			return err
		}
	}
	return nil
}

// value counts an argument or default value and bounds its nesting.
func (c *costWalk) value(v ast.Value, depth int) error {
	if v == nil {
		return nil
	}
	if depth > maxValueDepth {
		return refuse("query: values nested more than %d deep", maxValueDepth)
	}
	if err := c.count(1); err != nil {
		return err
	}
	switch v := v.(type) {
	case *ast.ListValue:
		for _, e := range v.Values {
			if err := c.value(e, depth+1); err != nil {
				return err
			}
		}
	case *ast.ObjectValue:
		for _, f := range v.Fields {
			if err := c.value(f.Value, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// typeRef bounds the nesting of a variable's type ([[String!]!]).
func (c *costWalk) typeRef(t ast.Type, depth int) error {
	if depth > maxValueDepth {
		return refuse("query: variable types nested more than %d deep", maxValueDepth)
	}
	// graphql-go's parser takes `($v:)`, a variable without a type, on
	// which its validation panics.
	switch t := t.(type) {
	case *ast.List:
		if t != nil {
			return c.typeRef(t.Type, depth+1)
		}
	case *ast.NonNull:
		if t != nil {
			return c.typeRef(t.Type, depth+1)
		}
	case *ast.Named:
		if t != nil && t.Name != nil {
			return nil
		}
	}
	return refuse("query: a variable without a type")
}

// expand walks the operation as execution will, fragment spreads
// expanded, counting selections, resolves (times is how often this set
// runs) and root accessToken fields and bounding the depth; onPath holds
// the fragments being expanded (a cycle is refused here, before
// validation would report it).
func (c *costWalk) expand(set *ast.SelectionSet, depth, times int, onPath map[string]bool) error {
	if set == nil {
		return nil
	}
	if depth > maxDepth {
		return refuse("query: nested more than %d deep", maxDepth)
	}
	for _, s := range set.Selections {
		if c.expanded++; c.expanded > maxExpandedSelections {
			return refuse("query: more than %d selections once fragments are expanded", maxExpandedSelections)
		}
		var err error
		switch s := s.(type) {
		case *ast.Field:
			name := ""
			if s.Name != nil {
				name = s.Name.Value
			}
			if depth == 1 && name == fieldAccessToken {
				c.accessTokens++
			}
			if c.resolves += times; c.resolves > maxResolves {
				return refuse("query: would resolve more than %d fields", maxResolves)
			}
			// times <= maxResolves here, lists are small: no overflow.
			err = c.expand(s.SelectionSet, depth+1, times*max(1, c.lists[name]), onPath)
		case *ast.InlineFragment:
			err = c.expand(s.SelectionSet, depth, times, onPath)
		case *ast.FragmentSpread:
			err = c.spread(s, depth, times, onPath)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *costWalk) spread(s *ast.FragmentSpread, depth, times int, onPath map[string]bool) error {
	if s.Name == nil {
		return refuse("query: a fragment spread without a name")
	}
	name := s.Name.Value
	f := c.fragments[name]
	if f == nil {
		return refuse("query: unknown fragment %q", name)
	}
	if onPath[name] {
		return refuse("query: fragment %q spreads itself", name)
	}
	onPath[name], c.used[name] = true, true
	defer delete(onPath, name)
	return c.expand(f.SelectionSet, depth, times, onPath)
}

// listBounds returns, for each list field of introspection, the longest
// list it returns in schema: what the cost model multiplies by.
func listBounds(schema *graphql.Schema) map[string]int {
	b := map[string]int{"types": len(schema.TypeMap()), "directives": len(schema.Directives())}
	up := func(name string, n int) { b[name] = max(b[name], n) }
	for _, d := range schema.Directives() {
		up("args", len(d.Args))
		up("locations", len(d.Locations))
	}
	fields := func(fs graphql.FieldDefinitionMap) {
		up("fields", len(fs))
		for _, f := range fs {
			up("args", len(f.Args))
		}
	}
	for _, t := range schema.TypeMap() {
		switch t := t.(type) {
		case *graphql.Object:
			fields(t.Fields())
			up("interfaces", len(t.Interfaces()))
		case *graphql.Interface:
			fields(t.Fields())
			up("possibleTypes", len(schema.PossibleTypes(t)))
		case *graphql.Union:
			up("possibleTypes", len(schema.PossibleTypes(t)))
		case *graphql.Enum:
			up("enumValues", len(t.Values()))
		case *graphql.InputObject:
			up("inputFields", len(t.Fields()))
		}
	}
	return b
}
