package baseline

import (
	"strings"
	"testing"

	"github.com/footprint/footprint/bench/internal/gen"
)

func TestRowMatchesColumnsAndDDL(t *testing.T) {
	e := gen.New(gen.Config{Seed: 3, Enriched: true}).Event()
	for _, shape := range []Shape{ShapeFull, ShapeLink} {
		for _, ch := range []bool{false, true} {
			if got, want := len(shape.row(e, ch)), len(shape.columns()); got != want {
				t.Errorf("shape %d clickhouse=%v: %d values for %d columns", shape, ch, got, want)
			}
		}
		pg, chDDL := PostgresDDL("t", shape), ClickHouseDDL("db", "t", shape)
		for _, c := range shape.columns() {
			if !strings.Contains(pg, " "+c+" ") && !strings.Contains(pg, "("+c+" ") {
				t.Errorf("shape %d: PostgresDDL lacks column %s", shape, c)
			}
			if !strings.Contains(chDDL, " "+c+" ") && !strings.Contains(chDDL, "("+c+" ") {
				t.Errorf("shape %d: ClickHouseDDL lacks column %s", shape, c)
			}
		}
	}
	if got := LinkRow(e, false); got[0] != e.GetPage().GetUrl() || got[1] != e.GetHttpMethod() {
		t.Errorf("LinkRow = %v, want the page URL and the HTTP method first", got)
	}
}
