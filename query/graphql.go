package query

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/graphql-go/graphql"
)

// authError is the GraphQL error of a failed token exchange. Authing's
// SDKs read errors[].message as an object {code, message}.
type authError struct{}

func (authError) Error() string { return "invalid user pool id or secret" }

// codeInvalidSecret is the error code returned for a wrong secret.
const codeInvalidSecret = 2003

// newGraphQL serves the part of Authing's GraphQL API the SDKs use to get
// a management token: accessToken(userPoolId, secret) { accessToken exp iat },
// with introspection (the Python SDK fetches the schema first).
func newGraphQL(s *Server) (http.Handler, error) {
	tokenType := graphql.NewObject(graphql.ObjectConfig{
		Name: "AccessTokenRes",
		Fields: graphql.Fields{
			"accessToken": &graphql.Field{Type: graphql.String},
			"exp":         &graphql.Field{Type: graphql.Int},
			"iat":         &graphql.Field{Type: graphql.Int},
		},
	})
	schema, err := graphql.NewSchema(graphql.SchemaConfig{
		Query: graphql.NewObject(graphql.ObjectConfig{
			Name: "Query",
			Fields: graphql.Fields{
				"accessToken": &graphql.Field{
					Type: graphql.NewNonNull(tokenType),
					Args: graphql.FieldConfigArgument{
						"userPoolId": &graphql.ArgumentConfig{Type: graphql.NewNonNull(graphql.String)},
						"secret":     &graphql.ArgumentConfig{Type: graphql.NewNonNull(graphql.String)},
					},
					Resolve: func(p graphql.ResolveParams) (any, error) {
						pool, _ := p.Args["userPoolId"].(string)
						secret, _ := p.Args["secret"].(string)
						if !s.cfg.Pools.Check(pool, secret) {
							return nil, authError{}
						}
						tok, iat, exp, err := s.cfg.Signer.Mint([]string{pool}, s.cfg.TokenTTL)
						if err != nil {
							return nil, err
						}
						return map[string]any{"accessToken": tok, "exp": exp.Unix(), "iat": iat.Unix()}, nil
					},
				},
			},
		}),
	})
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Query         string         `json:"query"`
			Variables     map[string]any `json:"variables"`
			OperationName string         `json:"operationName"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxGraphQLBody)).Decode(&req); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("body: want a JSON GraphQL request of at most %d bytes", maxGraphQLBody))
			return
		}
		// graphql-go's validation grows with the square of the nesting
		// depth: a 30 KB query nested 10 000 deep costs 40 s of CPU, with
		// no login. The SDKs' queries, introspection included, nest about
		// 10 deep.
		if d := queryDepth(req.Query); d > maxGraphQLDepth {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("query nested %d deep: at most %d", d, maxGraphQLDepth))
			return
		}
		res := graphql.Do(graphql.Params{Schema: schema, RequestString: req.Query,
			VariableValues: req.Variables, OperationName: req.OperationName, Context: r.Context()})
		out := map[string]any{"data": res.Data}
		if len(res.Errors) > 0 {
			var errs []any
			for _, e := range res.Errors {
				code := 400
				if errors.As(e.OriginalError(), new(authError)) || e.Message == (authError{}).Error() {
					code = codeInvalidSecret
				}
				errs = append(errs, map[string]any{
					"message":    map[string]any{"code": code, "message": e.Message},
					"locations":  e.Locations,
					"path":       e.Path,
					"extensions": map[string]any{"code": code},
				})
			}
			out["errors"] = errs
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(out)
	}), nil
}

// Limits of a token-exchange request: ample for the SDKs' queries
// (introspection included, a few KB and about 10 levels deep).
const (
	maxGraphQLBody  = 64 << 10
	maxGraphQLDepth = 32
)

// queryDepth returns the deepest nesting of braces, brackets and
// parentheses in a GraphQL document, outside strings and comments.
func queryDepth(q string) int {
	depth, deepest := 0, 0
	for i := 0; i < len(q); i++ {
		switch c := q[i]; c {
		case '{', '(', '[':
			depth++
			deepest = max(deepest, depth)
		case '}', ')', ']':
			depth--
		case '#': // comment to the end of the line
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case '"':
			if strings.HasPrefix(q[i:], `"""`) { // block string
				if j := strings.Index(q[i+3:], `"""`); j >= 0 {
					i += 3 + j + 2
				} else {
					i = len(q)
				}
				continue
			}
			for i++; i < len(q) && q[i] != '"'; i++ {
				if q[i] == '\\' {
					i++
				}
			}
		}
	}
	return deepest
}
