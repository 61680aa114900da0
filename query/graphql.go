package query

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/graphql-go/graphql"
)

// authError is the GraphQL error of a failed token exchange. Authing's
// SDKs read errors[].message as an object {code, message}.
type authError struct{}

func (authError) Error() string { return "invalid user pool id or secret" }

// codeInvalidSecret is the error code returned for a wrong secret.
const codeInvalidSecret = 2003

// errOneCheck refuses a second secret check within one request (the cost
// model already allows one accessToken field; this is the backstop).
var errOneCheck = errors.New("one accessToken per request")

// exchangeKey is the context key of a request's exchangeState.
type exchangeKey struct{}

// exchangeState is what the resolver knows of its request.
type exchangeState struct {
	// client is the request's context, canceled when the client leaves.
	// Execution itself runs under a context that is never canceled:
	// graphql-go's Execute returns at cancellation but leaves its
	// goroutine running, which would free the concurrency slot while a
	// bcrypt still runs. Execution is bounded by the cost model; the
	// resolver checks client before starting a bcrypt.
	client context.Context
	checks atomic.Int32
}

// newSchema builds the part of Authing's GraphQL API the SDKs use to get a
// management token: accessToken(userPoolId, secret) { accessToken exp iat },
// with introspection (the Python SDK fetches the schema first).
func newSchema(s *Server) (graphql.Schema, error) {
	tokenType := graphql.NewObject(graphql.ObjectConfig{
		Name: "AccessTokenRes",
		Fields: graphql.Fields{
			"accessToken": &graphql.Field{Type: graphql.String},
			"exp":         &graphql.Field{Type: graphql.Int},
			"iat":         &graphql.Field{Type: graphql.Int},
		},
	})
	return graphql.NewSchema(graphql.SchemaConfig{
		Query: graphql.NewObject(graphql.ObjectConfig{
			Name: "Query",
			Fields: graphql.Fields{
				fieldAccessToken: &graphql.Field{
					Type: graphql.NewNonNull(tokenType),
					Args: graphql.FieldConfigArgument{
						"userPoolId": &graphql.ArgumentConfig{Type: graphql.NewNonNull(graphql.String)},
						"secret":     &graphql.ArgumentConfig{Type: graphql.NewNonNull(graphql.String)},
					},
					Resolve: s.resolveAccessToken,
				},
			},
		}),
	})
}

func (s *Server) resolveAccessToken(p graphql.ResolveParams) (any, error) {
	pool, _ := p.Args["userPoolId"].(string)
	secret, _ := p.Args["secret"].(string)
	st, ok := p.Context.Value(exchangeKey{}).(*exchangeState)
	if !ok || st.checks.Add(1) > 1 {
		return nil, errOneCheck
	}
	if err := st.client.Err(); err != nil { // the client left: no bcrypt for nobody
		return nil, err
	}
	if !s.cfg.Pools.Check(pool, secret) {
		return nil, authError{}
	}
	tok, iat, exp, err := s.cfg.Signer.Mint([]string{pool}, s.cfg.TokenTTL)
	if err != nil {
		return nil, err
	}
	return map[string]any{"accessToken": tok, "exp": exp.Unix(), "iat": iat.Unix()}, nil
}

// executionContext returns the context to execute a request under: not
// canceled when the client leaves, allowing one secret check.
func executionContext(client context.Context) context.Context {
	return context.WithValue(context.WithoutCancel(client), exchangeKey{}, &exchangeState{client: client})
}
