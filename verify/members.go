package verify

import (
	"encoding/json"

	"github.com/ingestd/ingestd/internal/jsonscan"
)

// searchAnswer is what verify reads of a search answer.
type searchAnswer struct {
	failedShards int
	hits         []mgetDoc // Index, ID, Source; Found true
}

// parseSearch reads a search answer without decoding the documents'
// _source (about 2 KB each, the bulk of the answer): they are compared
// field by field later.
func parseSearch(ans []byte) (searchAnswer, error) {
	var r searchAnswer
	err := jsonscan.Members(ans, func(k, v []byte) error {
		switch string(k) {
		case "_shards":
			return jsonscan.Members(v, func(k, v []byte) error {
				if string(k) == "failed" {
					return json.Unmarshal(v, &r.failedShards)
				}
				return nil
			})
		case "hits":
			return jsonscan.Members(v, func(k, v []byte) error {
				if string(k) != "hits" {
					return nil
				}
				return jsonscan.Elements(v, func(h []byte) error {
					d := mgetDoc{Found: true}
					err := jsonscan.Members(h, func(k, v []byte) error {
						switch string(k) {
						case "_index":
							d.Index = scalar(v).s
						case "_id":
							d.ID = scalar(v).s
						case "_source":
							d.Source = v
						}
						return nil
					})
					r.hits = append(r.hits, d)
					return err
				})
			})
		}
		return nil
	})
	return r, err
}
