// Command pg-writer consumes footprint.events.v1 and stores the events in
// PostgreSQL. Configuration comes from FOOTPRINT_* environment variables
// (see README.md; `pg-writer -help` lists them with their defaults).
package main

import (
	"github.com/footprint/footprint/internal/sink"
	"github.com/footprint/footprint/store/postgres"
)

// writer is the whole binary: the shared writer service over the PostgreSQL store.
func writer() sink.Writer[postgres.Config, *postgres.Store] {
	return sink.Writer[postgres.Config, *postgres.Store]{Name: "pg-writer", AdminAddr: "127.0.0.1:9465", Store: postgres.DefaultConfig(), StoreVars: (*postgres.Config).Vars, Open: postgres.Open}
}

func main() { writer().Main() }
