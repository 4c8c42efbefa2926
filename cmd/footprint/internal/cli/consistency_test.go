package cli_test

import (
	"context"
	"crypto/md5"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/store/ops"
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

// Both stores compute the checksum store/ops defines: the sum, modulo 2^64,
// of the first 8 bytes of MD5 of each id's text read as big-endian uint64.
func TestChecksumMatchesDefinitionInBothStores(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	evs := make([]*eventv1.Event, 50)
	var want uint64
	for i := range evs {
		evs[i] = f.event("page_view", "v", day().Add(time.Duration(i)*time.Minute))
		sum := md5.Sum([]byte(evs[i].GetEventId()))
		want += binary.BigEndian.Uint64(sum[:8])
	}
	for name, s := range map[string]interface {
		WriteBatch(context.Context, []*eventv1.Event) error
		DayTallies(context.Context, string, time.Time, time.Time) ([]ops.DayTally, error)
	}{"postgres": f.pg, "clickhouse": f.ch} {
		if err := s.WriteBatch(ctx, evs); err != nil {
			t.Fatal(err)
		}
		got, err := s.DayTallies(ctx, f.site, day(), day())
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Events != 50 || got[0].Checksum != want || !got[0].Day.Equal(day()) {
			t.Errorf("%s: tallies %+v, want one group of 50 events with checksum %x", name, got, want)
		}
	}
}
