// Command ch-writer consumes footprint.events.v1 and stores the events in
// ClickHouse. Configuration comes from FOOTPRINT_* environment variables
// (see README.md; `ch-writer -help` lists them with their defaults).
package main

import (
	"github.com/footprint/footprint/internal/sink"
	"github.com/footprint/footprint/store/clickhouse"
)

// writer is the whole binary: the shared writer service over the ClickHouse store.
func writer() sink.Writer[clickhouse.Config, *clickhouse.Store] {
	return sink.Writer[clickhouse.Config, *clickhouse.Store]{Name: "ch-writer", AdminAddr: "127.0.0.1:9466", Store: clickhouse.DefaultConfig(), StoreVars: (*clickhouse.Config).Vars, Open: clickhouse.Open}
}

func main() { writer().Main() }
