// Package internal is the root of code shared by Footprint's own modules (the
// services, the SDK's tests and the benchmarks). Go's internal rule keeps it
// out of reach of other projects. It must never import a store driver: the
// collector must not link pgx or clickhouse-go through it.
package internal
