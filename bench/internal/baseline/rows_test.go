package baseline

import (
	"strings"
	"testing"

	"github.com/footprint/footprint/bench/internal/gen"
)

func TestRowMatchesColumnsAndDDL(t *testing.T) {
	e := gen.New(gen.Config{Seed: 3, Enriched: true}).Event()
	for _, ch := range []bool{false, true} {
		if got := len(Row(e, ch)); got != len(Columns) {
			t.Errorf("clickhouse=%v: %d values for %d columns", ch, got, len(Columns))
		}
	}
	for _, c := range Columns {
		if !strings.Contains(PostgresDDL, "  "+c+" ") && !strings.Contains(PostgresDDL, " "+c+" ") {
			t.Errorf("PostgresDDL lacks column %s", c)
		}
		if !strings.Contains(ClickHouseDDL, " "+c+" ") {
			t.Errorf("ClickHouseDDL lacks column %s", c)
		}
	}
}
