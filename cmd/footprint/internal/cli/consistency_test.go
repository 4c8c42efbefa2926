package cli_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// A row deleted by hand from PostgreSQL makes the check fail with exit 1,
// name the day and event name, and list the missing id as only in ClickHouse.
func TestConsistencyDetectsRowDeletedByHand(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	evs := f.events(40, day())
	if err := f.pg.WriteBatch(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if err := f.ch.WriteBatch(ctx, evs); err != nil {
		t.Fatal(err)
	}
	from, to := day().Format(time.DateOnly), day().AddDate(0, 0, 1).Format(time.DateOnly)
	code, out, _ := f.run(t, "consistency", "--site", f.site, "--from", from, "--to", to)
	if code != 0 || !strings.Contains(out, "agree (4 groups)") {
		t.Fatalf("equal stores: exit %d, want 0 and 4 agreeing groups", code)
	}

	gone := evs[7]
	conn, err := pgx.Connect(ctx, f.pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(ctx) }()
	if tag, err := conn.Exec(ctx, "DELETE FROM footprint.events WHERE event_id = $1", gone.GetEventId()); err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("delete by hand: %v, %d rows", err, tag.RowsAffected())
	}
	code, out, _ = f.run(t, "consistency", "--site", f.site, "--from", from, "--to", to, "--samples", "5")
	if code != 1 {
		t.Fatalf("exit %d after a row was deleted, want 1", code)
	}
	goneDay := gone.GetOccurredAt().AsTime().Format(time.DateOnly)
	for _, want := range []string{
		"only in clickhouse: " + gone.GetEventId() + " (" + goneDay + ", " + gone.GetName() + ")",
		"DIFFER on 1 day(s)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if n := strings.Count(out, "DIFFERENT"); n != 1 {
		t.Errorf("%d groups marked DIFFERENT, want 1", n)
	}
}
