// Package codecheck holds tests over the repository's own source: the
// limits of the developers' guide that a reviewer would otherwise count by
// hand (function lengths). It has no non-test code besides this comment.
package codecheck
