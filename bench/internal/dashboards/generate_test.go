package dashboards

import (
	"math"
	"testing"
	"time"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
)

// sample generates n events of the default shape.
func sample(t *testing.T, n int, seed uint64) []*eventv1.Event {
	t.Helper()
	cfg := DefaultData()
	cfg.Events, cfg.Seed = n, seed
	var all []*eventv1.Event
	if err := Generate(cfg, 7_000, func(evs []*eventv1.Event) error {
		all = append(all, evs...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return all
}

func share(n, of int) float64 { return float64(n) / float64(of) }

func within(t *testing.T, what string, got, lo, hi float64) {
	t.Helper()
	if got < lo || got > hi {
		t.Errorf("%s = %.4f, want within [%.4f, %.4f]", what, got, lo, hi)
	}
}

func TestGenerateShape(t *testing.T) {
	const n = 200_000
	evs := sample(t, n, 42)
	if len(evs) != n {
		t.Fatalf("generated %d events, want exactly %d", len(evs), n)
	}
	cfg := DefaultData()
	first, end := cfg.FirstDay(), cfg.LastDay.AddDate(0, 0, 1)
	ids := map[string]bool{}
	visitors := map[string]bool{}
	var bots, custom, server, mobile, humans int
	perHour := make([]int, 24)
	weekday, weekend := 0, 0
	pages := map[string]int{}
	for _, e := range evs {
		if ids[e.GetEventId()] {
			t.Fatalf("duplicate event id %s", e.GetEventId())
		}
		ids[e.GetEventId()] = true
		visitors[e.GetVisitorId()] = true
		at := e.GetOccurredAt().AsTime()
		if at.Before(first) || !at.Before(end) {
			t.Fatalf("event at %s outside [%s, %s)", at, first, end)
		}
		perHour[at.Hour()]++
		if wd := at.Weekday(); wd == time.Saturday || wd == time.Sunday {
			weekend++
		} else {
			weekday++
		}
		pages[e.GetPage().GetPath()]++
		if e.GetEnrichment().GetIsBot() {
			bots++
			continue
		}
		humans++
		if e.GetName() != "page_view" {
			custom++
		}
		if e.GetHttpMethod() != "" {
			server++
		}
		if e.GetEnrichment().GetDeviceClass() == eventv1.DeviceClass_DEVICE_CLASS_MOBILE {
			mobile++
		}
	}
	pool := cfg
	pool.Events = n
	within(t, "distinct visitors / pool", share(len(visitors), pool.VisitorPool()), 0.9, 1.0)
	within(t, "bot share", share(bots, n), 0.03, 0.07)
	within(t, "custom share (humans)", share(custom, humans), 0.025, 0.035)
	within(t, "server-side share", share(server, humans), 0.18, 0.22)
	within(t, "mobile share", share(mobile, humans), 0.5, 0.66)
	// Daily cycle: the afternoon peak is several times the night trough.
	within(t, "15:00 / 03:00 traffic", share(perHour[15], perHour[3]), 4, 10)
	// Weekly cycle: a weekend day is quieter than a weekday (the 30 days
	// hold 8 weekend days and 22 weekdays).
	within(t, "weekend day / weekday", (float64(weekend)/8)/(float64(weekday)/22), 0.55, 0.8)
	// Zipf pages: rank 0 over rank 1 is about 2^1.1, and there is a long tail.
	within(t, "page rank 0 / rank 1", share(pages[pageName(0)], pages[pageName(1)]), 1.8, 2.5)
	if len(pages) < 2000 {
		t.Errorf("%d distinct pages, want a long tail of at least 2000", len(pages))
	}
}

func TestVisitLengthsHaveALongTail(t *testing.T) {
	g := newGenerator(DefaultData())
	const n = 200_000
	ones, ten, hundred, sum := 0, 0, 0, 0
	for range n {
		l := g.visitLength()
		sum += l
		switch {
		case l == 1:
			ones++
		case l >= 100:
			hundred++
		}
		if l >= 10 {
			ten++
		}
	}
	// P(L >= k) = k^-1.4.
	within(t, "one-event visits", share(ones, n), 1-math.Pow(2, -1.4)-0.01, 1-math.Pow(2, -1.4)+0.01)
	within(t, "visits of 10+ events", share(ten, n), 0.035, 0.045)
	within(t, "visits of 100+ events", share(hundred, n), 0.0013, 0.0027)
	within(t, "mean events per visit", share(sum, n), 2.5, 4.5)
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, b, c := sample(t, 5_000, 1), sample(t, 5_000, 1), sample(t, 5_000, 2)
	for i := range a {
		if a[i].GetEventId() != b[i].GetEventId() || !a[i].GetOccurredAt().AsTime().Equal(b[i].GetOccurredAt().AsTime()) {
			t.Fatalf("event %d differs between two runs with one seed", i)
		}
	}
	if a[0].GetEventId() == c[0].GetEventId() {
		t.Error("another seed gave the same first event id")
	}
}

func TestDataConfigValidate(t *testing.T) {
	if err := DefaultData().Validate(); err != nil {
		t.Fatalf("default: %v", err)
	}
	bad := DataConfig{}
	if err := bad.Validate(); err == nil {
		t.Error("empty config accepted")
	}
}
