package fakees

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
)

// New starts the fake. Every bulk item gets status (a 400 comes with a
// mapping error); onBulk, if not nil, is called with the number of
// documents of each bulk request before it is answered. Close the server
// when done.
func New(status int, onBulk func(docs int)) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/":
			io.WriteString(w, `{"version":{"number":"8.15.0"}}`)
		case "/_bulk":
			body, _ := io.ReadAll(r.Body)
			n := bytes.Count(body, []byte("\n")) / 2 // action and document lines
			if onBulk != nil {
				onBulk(n)
			}
			if status < 300 {
				io.WriteString(w, `{"took":1,"errors":false,"items":[]}`)
				return
			}
			item := fmt.Sprintf(`{"index":{"status":%d}}`, status)
			if status == 400 {
				item = `{"index":{"status":400,"error":{"type":"mapper_parsing_exception","reason":"rejected by the test"}}}`
			}
			items := strings.TrimSuffix(strings.Repeat(item+",", n), ",")
			fmt.Fprintf(w, `{"errors":true,"items":[%s]}`, items)
		default:
			io.WriteString(w, `{"acknowledged":true}`)
		}
	}))
}
