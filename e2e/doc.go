// Package e2e holds end-to-end tests that run the ingestd binary against a
// real search engine (OpenSearch, started by scripts/engine.sh). They need
// INGESTD_ENGINE_URL (and, for the node-loss test, INGESTD_ENGINE3_URLS);
// without them they skip, except under CI=true where they fail: CI must
// never pass without having run them.
package e2e
