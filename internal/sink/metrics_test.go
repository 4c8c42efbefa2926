package sink

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetricsCarryTheWriterAsALabel(t *testing.T) {
	reg := prometheus.NewRegistry()
	pg, err := newMetrics(reg, "pg_writer")
	if err != nil {
		t.Fatal(err)
	}
	// Both writers on one registry: same names, different label values.
	ch, err := newMetrics(reg, "ch_writer")
	if err != nil {
		t.Fatal(err)
	}
	pg.written.Add(3)
	ch.written.Add(5)
	want := `
# HELP footprint_writer_written_total Events handed to the store in successful batch writes (after in-batch dedup).
# TYPE footprint_writer_written_total counter
footprint_writer_written_total{writer="ch_writer"} 5
footprint_writer_written_total{writer="pg_writer"} 3
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "footprint_writer_written_total"); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if !strings.HasPrefix(f.GetName(), "footprint_writer_") {
			t.Errorf("metric %s does not start with footprint_writer_", f.GetName())
		}
		if strings.Contains(f.GetName(), "pg_writer") || strings.Contains(f.GetName(), "ch_writer") {
			t.Errorf("metric %s has the writer in its name", f.GetName())
		}
	}
}

func TestMetricsRegistrationErrorsInsteadOfPanicking(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := newMetrics(reg, "pg_writer"); err != nil {
		t.Fatal(err)
	}
	if _, err := newMetrics(reg, "pg_writer"); err == nil {
		t.Fatal("registering one writer's metrics twice did not fail")
	}
}
