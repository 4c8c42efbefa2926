package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/footprint/footprint/store/ops"
)

// idHash is the event-id hash of store/ops in SQL: the first 8 bytes of
// MD5(toString(event_id)) as a big-endian UInt64 (reinterpretAsUInt64 reads
// little-endian, hence reverse). Only string functions, so 18.16 and
// current releases compute the same value.
const idHash = "reinterpretAsUInt64(reverse(unhex(substring(hex(MD5(toString(event_id))), 1, 16))))"

// mutationPoll is how often Erase checks whether its mutation is done.
const mutationPoll = 200 * time.Millisecond

// DayTallies returns the distinct events and the event-id checksum of site
// per UTC day and event name, for the days from..to (inclusive). DISTINCT
// makes the result right before ReplacingMergeTree merges; sum of UInt64
// wraps modulo 2^64, as the checksum is defined.
func (s *Store) DayTallies(ctx context.Context, site string, from, to time.Time) ([]ops.DayTally, error) {
	start, end := ops.DayRange(from, to)
	rows, err := s.conn.Query(ctx, "SELECT toString(day), name, count(), sum(h) FROM ("+
		"SELECT DISTINCT toDate(occurred_at) AS day, name, event_id, "+idHash+" AS h FROM events"+
		" WHERE site_id = ? AND occurred_at >= ? AND occurred_at < ?) GROUP BY day, name ORDER BY day, name",
		site, start, end)
	if err != nil {
		return nil, fmt.Errorf("day tallies: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []ops.DayTally
	for rows.Next() {
		var day, name string
		var n, sum uint64
		if err := rows.Scan(&day, &name, &n, &sum); err != nil {
			return nil, fmt.Errorf("scan day tally: %w", err)
		}
		d, err := time.Parse(time.DateOnly, day)
		if err != nil {
			return nil, fmt.Errorf("day tally: day %q: %w", day, err)
		}
		out = append(out, ops.DayTally{Day: d, Name: name, Events: int64(n), Checksum: sum})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("day tallies: %w", err)
	}
	return out, nil
}

// DayEventIDs returns the distinct event ids (lower case) of site's events
// named name on the UTC day of day.
func (s *Store) DayEventIDs(ctx context.Context, site string, day time.Time, name string) ([]string, error) {
	start, end := ops.DayRange(day, day)
	rows, err := s.conn.Query(ctx, "SELECT DISTINCT toString(event_id) FROM events"+
		" WHERE site_id = ? AND name = ? AND occurred_at >= ? AND occurred_at < ?", site, name, start, end)
	if err != nil {
		return nil, fmt.Errorf("day event ids: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("scan event id: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("day event ids: %w", err)
	}
	return ids, nil
}

// Erase deletes every event of the subject with an ALTER TABLE ... DELETE
// mutation, waits until the server reports every mutation of the events
// table done (system.mutations.is_done; 18.16 has no mutations_sync), and
// returns how many distinct events it removed. The ids stay in the key table
// (no personal data; they stop a redelivered copy from being stored again).
// There are no aggregate tables in this store; a future one must be covered
// here.
func (s *Store) Erase(ctx context.Context, subj ops.Subject) (int64, error) {
	if err := subj.Validate(); err != nil {
		return 0, err
	}
	where := "site_id = ? AND " + subj.Kind.Column() + " = ?"
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT "+distinctIDs+" FROM events WHERE "+where, subj.Site, subj.ID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count events to erase: %w", err)
	}
	if n == 0 {
		return 0, nil
	}
	if err := s.conn.Exec(ctx, "ALTER TABLE events DELETE WHERE "+where, subj.Site, subj.ID); err != nil {
		return 0, fmt.Errorf("erase %s %s of site %s: %w", subj.Kind, subj.ID, subj.Site, err)
	}
	if err := s.awaitMutations(ctx); err != nil {
		return 0, err
	}
	return int64(n), nil
}

// awaitMutations polls until no mutation of the events table is pending.
func (s *Store) awaitMutations(ctx context.Context) error {
	t := time.NewTicker(mutationPoll)
	defer t.Stop()
	for {
		var pending uint64
		if err := s.conn.QueryRow(ctx, "SELECT count() FROM system.mutations WHERE database = ? AND table = 'events' AND is_done = 0",
			s.cfg.Database).Scan(&pending); err != nil {
			return fmt.Errorf("check mutations: %w", err)
		}
		if pending == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for the delete mutation: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// Rebuild drops every table the migrations create (the events and their
// keys, and a key table of an older migration that a store not yet upgraded
// still has: 0003 would copy its keys) and creates them again from the
// migrations (every statement is idempotent), so that a replay from Kafka
// stores every event again: with keys left, it would skip them all. It also
// recreates an events table dropped by hand.
func (s *Store) Rebuild(ctx context.Context) error {
	tables, _, err := migrationTables()
	if err != nil {
		return err
	}
	for _, table := range tables {
		if err := s.conn.Exec(ctx, "DROP TABLE IF EXISTS "+table); err != nil {
			return fmt.Errorf("drop %s: %w", table, err)
		}
	}
	files, err := migrations.ReadDir("migrations")
	if err != nil {
		return fmt.Errorf("read migrations: %w", err)
	}
	for _, f := range files { // ReadDir sorts by name: version order
		body, err := migrations.ReadFile("migrations/" + f.Name())
		if err != nil {
			return fmt.Errorf("read migration %s: %w", f.Name(), err)
		}
		for _, stmt := range splitStatements(string(body)) {
			if err := s.conn.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("recreate from %s: %w", f.Name(), err)
			}
		}
	}
	return nil
}
