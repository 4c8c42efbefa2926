package dashboards

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/footprint/footprint/internal/testenv"
)

// TestQuickRunAnswersIdentically runs the quick mode against the real stack
// (both stores, the query service built from this checkout): both stores
// must hold the same events and give identical answers to every query of
// every view, and the three result files must be complete. It asserts no
// timing.
func TestQuickRunAnswersIdentically(t *testing.T) {
	testenv.KafkaBrokers(t)
	testenv.PostgresAdminURL(t)
	testenv.ClickHouseAddr(t)
	cfg := QuickConfig()
	cfg.Out = t.TempDir()
	cfg.Command = "go test (TestQuickRunAnswersIdentically)"
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	rep, err := Run(ctx, cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Sizes) != 1 {
		t.Fatalf("%d sizes measured, want 1", len(rep.Sizes))
	}
	sz := rep.Sizes[0]
	want := int64(cfg.Sizes[0])
	if sz.Load.PostgresIDs != want || sz.Load.ClickHouseIDs != want || sz.Load.MismatchedDays != 0 || sz.Load.ConsistencyGroups == 0 {
		t.Errorf("load check: %+v, want %d events in each store and 0 mismatched days", sz.Load, want)
	}
	vs := cfg.variants(cfg.Data)
	perView := len(Queries(cfg.Data.Site, vs[0]))
	if len(sz.Parity) != len(vs)*perView {
		t.Errorf("%d answers compared, want %d", len(sz.Parity), len(vs)*perView)
	}
	for _, p := range sz.Parity {
		if !p.Match {
			t.Errorf("%s %s: stores differ: %v", p.Variant, p.Query, p.Diffs)
		}
		if p.Query == "cards" && p.Rows != 1 {
			t.Errorf("%s cards: %d rows, want 1", p.Variant, p.Rows)
		}
	}
	timed := len(cfg.timedVariants(cfg.Data))
	if len(sz.Queries) != 2*timed*perView || len(sz.Dashboards) != 2*timed {
		t.Errorf("%d query and %d dashboard timings, want %d and %d", len(sz.Queries), len(sz.Dashboards), 2*timed*perView, 2*timed)
	}
	if err := rep.Write(cfg.Out); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(cfg.Out, "dashboards.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(raw, &back); err != nil || len(back.Sizes) != 1 {
		t.Fatalf("dashboards.json does not read back: %v", err)
	}
	md, err := os.ReadFile(filepath.Join(cfg.Out, "dashboards.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"panel:entry_page", "Whole dashboard", "bytes per event", "identical on both stores"} {
		if !strings.Contains(string(md), s) {
			t.Errorf("dashboards.md lacks %q", s)
		}
	}
	if st, err := os.Stat(filepath.Join(cfg.Out, "dashboards.png")); err != nil || st.Size() == 0 {
		t.Errorf("dashboards.png missing or empty: %v", err)
	}
}
