package query

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
)

// Limits of a token-exchange request. The SDKs send at most 1.5 KB: the
// Node SDK's accessToken query with its variables is about 300 bytes, the
// introspection query the Python SDK (gql 2) sends first is 1436 bytes;
// graphql-js' own introspection query, descriptions included, is under
// 2 KB.
const (
	maxExchangeBody = 8 << 10
	// maxAnswerErrors bounds the errors of one answer (validation may
	// report one per node).
	maxAnswerErrors = 20
)

// exchangeRequest is the JSON body of a GraphQL request.
type exchangeRequest struct {
	Query         string         `json:"query"`
	Variables     map[string]any `json:"variables"`
	OperationName string         `json:"operationName"`
}

// exchange serves POST /graphql/v2. Order of the checks: the client's
// rate, the content type, a concurrency slot, the body, the cost model;
// only then graphql-go's validation and execution, which stop when the
// client leaves.
func (s *Server) exchange(w http.ResponseWriter, r *http.Request) {
	if ok, wait := s.gate.allow(r.RemoteAddr, time.Now()); !ok {
		retryAfter(w, wait)
		writeError(w, http.StatusTooManyRequests, "too many token exchanges from this address; retry later")
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "Content-Type: want application/json")
		return
	}
	if !s.gate.acquire() {
		retryAfter(w, time.Second)
		writeError(w, http.StatusServiceUnavailable, "too many token exchanges at once; retry later")
		return
	}
	defer s.gate.release()
	if s.exchangeHook != nil {
		defer s.exchangeHook()()
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxExchangeBody))
	var req exchangeRequest
	if err == nil {
		err = json.NewDecoder(bytes.NewReader(body)).Decode(&req)
	}
	if tooBig := new(http.MaxBytesError); errors.As(err, &tooBig) {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body: at most %d bytes", maxExchangeBody))
		return
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "body: want a JSON GraphQL request {query, variables, operationName}")
		return
	}
	doc, err := parseExchange(req.Query, req.OperationName, s.lists)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	client := r.Context()
	var res *graphql.Result
	if v := graphql.ValidateDocument(&s.schema, doc, nil); !v.IsValid {
		res = &graphql.Result{Errors: v.Errors}
	} else if client.Err() == nil {
		res = graphql.Execute(graphql.ExecuteParams{Schema: s.schema, AST: doc,
			OperationName: req.OperationName, Args: req.Variables, Context: executionContext(client)})
	}
	if client.Err() != nil { // the client left: nobody to answer
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(answer(res))
}

// answer shapes a result as Authing answers: each error's message is an
// object {code, message}, the code 2003 for a wrong secret.
func answer(res *graphql.Result) map[string]any {
	out := map[string]any{"data": res.Data}
	if len(res.Errors) == 0 {
		return out
	}
	errs := make([]any, 0, min(len(res.Errors), maxAnswerErrors))
	for _, e := range res.Errors[:min(len(res.Errors), maxAnswerErrors)] {
		errs = append(errs, formatError(e))
	}
	out["errors"] = errs
	return out
}

func formatError(e gqlerrors.FormattedError) map[string]any {
	code := http.StatusBadRequest
	if errors.As(e.OriginalError(), new(authError)) || e.Message == (authError{}).Error() {
		code = codeInvalidSecret
	}
	return map[string]any{
		"message":    map[string]any{"code": code, "message": e.Message},
		"locations":  e.Locations,
		"path":       e.Path,
		"extensions": map[string]any{"code": code},
	}
}
