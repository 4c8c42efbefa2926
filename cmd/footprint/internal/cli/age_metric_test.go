package cli_test

import (
	"bufio"
	"context"
	"math"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/footprint/footprint/internal/testenv"
)

// ageMetric scrapes the writer's footprint_writer_oldest_unwritten_age_seconds:
// the largest value over its partitions and how many series there are.
func ageMetric(t *testing.T, w *testenv.Process) (float64, int) {
	t.Helper()
	text, err := w.Scrape(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	top, n := 0.0, 0
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "footprint_writer_oldest_unwritten_age_seconds{")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", sc.Text(), err)
		}
		top, n = math.Max(top, v), n+1
	}
	return top, n
}

// The pg-writer's oldest-unwritten age metric is the number `footprint lag`
// shows: while PostgreSQL is cut off (the writer holds its batch, partitions
// paused) both grow and agree within half a second; once it is reachable
// again the writer catches up and both are 0.
func TestWriterAgeMetricMatchesLagWhileStoreCutOff(t *testing.T) {
	f := newFixture(t)
	bin := buildWriter(t)
	u, err := url.Parse(f.pgURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := testenv.NewProxy(t, u.Host)
	u.Host = proxy.Addr()
	group := testenv.UniqueName("pg_writer")
	w := f.startService(t, "pg-writer", bin, "FOOTPRINT_WRITER_GROUP="+group, "FOOTPRINT_PG_URL="+u.String(),
		"FOOTPRINT_WRITER_RETRY_MAX=300ms")
	f.produce(t, f.events(6, day())...)
	waitFor(t, "the writer to catch up", time.Minute, func() bool { lag, _, _ := f.lagOf(t, group); return lag == 0 })
	if age, n := ageMetric(t, w); age != 0 || n == 0 {
		t.Fatalf("caught up: age metric %.2f over %d series, want 0 and some series", age, n)
	}

	proxy.Cut()
	f.produce(t, f.events(9, day())...)
	waitFor(t, "the age to pass 2s in the metric and in footprint lag", time.Minute, func() bool {
		m, _ := ageMetric(t, w)
		_, age, _ := f.lagOf(t, group)
		return m >= 2 && age >= 2
	})
	before, _ := ageMetric(t, w)
	_, lagAge, _ := f.lagOf(t, group)
	after, _ := ageMetric(t, w)
	if lagAge < before-0.5 || lagAge > after+0.5 {
		t.Fatalf("footprint lag says %.2fs, the writer's metric %.2fs before and %.2fs after; want them to agree", lagAge, before, after)
	}
	t.Logf("store cut off: metric %.2fs / %.2fs around footprint lag's %.2fs", before, after, lagAge)

	proxy.Restore()
	waitFor(t, "the metric and footprint lag to return to 0", time.Minute, func() bool {
		m, n := ageMetric(t, w)
		lag, age, _ := f.lagOf(t, group)
		return m == 0 && n > 0 && lag == 0 && age == 0
	})
	if pg, _ := f.counts(t); pg != 15 {
		t.Fatalf("postgres holds %d events, want 15", pg)
	}
}
