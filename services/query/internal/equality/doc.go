// Package equality holds the shared equality suite: one set of dashboard
// queries run against a real PostgreSQL and a real ClickHouse loaded with
// the same events through the stores' own write path, asserting identical
// answers (see equality_test.go). It has no non-test code.
package equality
