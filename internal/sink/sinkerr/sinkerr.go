// Package sinkerr holds the one error a store returns to the consume loop to
// say "this data can never be stored". It is its own package, free of Kafka,
// so the store packages (and every service that reads a store) can use it
// without linking the Kafka client that package sink needs.
package sinkerr

import "errors"

// ErrRejected marks a WriteBatch error caused by the data of the batch (for
// example a value the store cannot represent), not by the store being
// unavailable: retrying the same batch cannot succeed. Stores wrap it
// (fmt.Errorf("%w: %w", sinkerr.ErrRejected, err)); the loop then splits the
// batch until it knows the rejected events and sends them to the DLQ, so a
// partition never stalls on them.
var ErrRejected = errors.New("store rejected the data")
