// Package fakees is an Elasticsearch 8 stand-in for tests and benchmarks:
// GET / answers with the product header go-elasticsearch requires, and
// every _bulk item gets one fixed status. (The sink's own tests use a
// richer fake with fault injection.)
//
// The server answers concurrent requests (onBulk must be safe for
// concurrent calls), holds no request body after answering, and is shut
// down by closing the returned httptest server.
package fakees
