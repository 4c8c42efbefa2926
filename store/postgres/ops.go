package postgres

import (
	"context"
	"fmt"
	"math/big"
	"time"

	"github.com/footprint/footprint/store/ops"
	"github.com/jackc/pgx/v5"
)

// idHash is the event-id hash of store/ops in SQL: the first 8 bytes of
// MD5(event_id::text) as a bigint (signed; summed as numeric and reduced
// modulo 2^64 it equals ClickHouse's unsigned sum).
const idHash = "('x' || left(md5(event_id::text), 16))::bit(64)::bigint::numeric"

// two64 is 2^64, the checksum's modulus.
const two64 = "18446744073709551616"

// DayTallies returns the distinct events and the event-id checksum of site
// per UTC day and event name, for the days from..to (inclusive).
func (s *Store) DayTallies(ctx context.Context, site string, from, to time.Time) ([]ops.DayTally, error) {
	start, end := ops.DayRange(from, to)
	rows, err := s.pool.Query(ctx, "SELECT to_char(day, 'YYYY-MM-DD'), name, count(*), "+
		"(mod(mod(sum(h), "+two64+") + "+two64+", "+two64+"))::text FROM ("+
		"SELECT DISTINCT (occurred_at AT TIME ZONE 'UTC')::date AS day, name, event_id, "+idHash+" AS h FROM "+s.events+
		" WHERE site_id = $1 AND occurred_at >= $2 AND occurred_at < $3) ids GROUP BY day, name ORDER BY day, name",
		site, start, end)
	if err != nil {
		return nil, fmt.Errorf("day tallies: %w", err)
	}
	var out []ops.DayTally
	for rows.Next() {
		var day, name, sum string
		var n int64
		if err := rows.Scan(&day, &name, &n, &sum); err != nil {
			return nil, fmt.Errorf("scan day tally: %w", err)
		}
		t, err := tally(day, name, n, sum)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("day tallies: %w", err)
	}
	return out, nil
}

func tally(day, name string, n int64, sum string) (ops.DayTally, error) {
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return ops.DayTally{}, fmt.Errorf("day tally: day %q: %w", day, err)
	}
	b, ok := new(big.Int).SetString(sum, 10)
	if !ok || !b.IsUint64() {
		return ops.DayTally{}, fmt.Errorf("day tally: checksum %q is not a uint64", sum)
	}
	return ops.DayTally{Day: d, Name: name, Events: n, Checksum: b.Uint64()}, nil
}

// DayEventIDs returns the distinct event ids (lower case) of site's events
// named name on the UTC day of day: what the consistency check compares
// once the tallies of that group differ.
func (s *Store) DayEventIDs(ctx context.Context, site string, day time.Time, name string) ([]string, error) {
	start, end := ops.DayRange(day, day)
	rows, err := s.pool.Query(ctx, "SELECT DISTINCT event_id::text FROM "+s.events+
		" WHERE site_id = $1 AND name = $2 AND occurred_at >= $3 AND occurred_at < $4", site, name, start, end)
	if err != nil {
		return nil, fmt.Errorf("day event ids: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("day event ids: %w", err)
	}
	return ids, nil
}

// Erase deletes every event of the subject and returns how many. The ids
// stay in event_keys: they carry no personal data, and a redelivered copy
// of an erased event (a writer's crash before its commit) meets its key and
// is not stored again. There are no aggregate tables in this store; a
// future one must be covered here.
func (s *Store) Erase(ctx context.Context, subj ops.Subject) (int64, error) {
	if err := subj.Validate(); err != nil {
		return 0, err
	}
	tag, err := s.pool.Exec(ctx, "DELETE FROM "+s.events+" WHERE site_id = $1 AND "+subj.Kind.Column()+" = $2", subj.Site, subj.ID)
	if err != nil {
		return 0, fmt.Errorf("erase %s %s of site %s: %w", subj.Kind, subj.ID, subj.Site, err)
	}
	return tag.RowsAffected(), nil
}

// Rebuild empties the events and their keys, so that a replay from Kafka
// stores every event again (with the keys left, it would skip them all).
func (s *Store) Rebuild(ctx context.Context) error {
	if _, err := s.pool.Exec(ctx, "TRUNCATE "+s.events+", "+s.keys); err != nil {
		return fmt.Errorf("truncate events and keys: %w", err)
	}
	return nil
}
