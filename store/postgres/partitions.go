package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const partitionLayout = "20060102"

func partitionName(day time.Time) string { return "events_p" + day.Format(partitionLayout) }

// Maintain creates the daily partitions from today to PartitionsAhead days
// ahead and, when Upkeep.Keep > 0, drops partitions (and deletes rows of
// the default partition) older than the retention. It is idempotent.
func (s *Store) Maintain(ctx context.Context, now time.Time) error {
	today := now.UTC().Truncate(24 * time.Hour)
	var errs []error
	for i := range s.cfg.PartitionsAhead + 1 {
		day := today.AddDate(0, 0, i)
		name := pgx.Identifier{s.cfg.Schema, partitionName(day)}.Sanitize()
		sql := fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s PARTITION OF %s FOR VALUES FROM ('%s') TO ('%s')",
			name, s.events, day.Format(time.RFC3339), day.AddDate(0, 0, 1).Format(time.RFC3339))
		if _, err := s.pool.Exec(ctx, sql); err != nil {
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && pgErr.Code == "23514" {
				// The default partition already holds rows of that day (the
				// writer was down longer than PartitionsAhead days): move them
				// into a new partition and attach it.
				if err := s.adoptFromDefault(ctx, day); err != nil {
					errs = append(errs, err)
				}
				continue
			}
			errs = append(errs, fmt.Errorf("create partition %s: %w", partitionName(day), err))
		}
	}
	if s.cfg.Upkeep.Keep > 0 {
		if err := s.applyRetention(ctx, today.AddDate(0, 0, -s.cfg.Upkeep.Keep)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// adoptFromDefault creates the partition of day from the rows the default
// partition holds for it, in one transaction, then attaches it.
func (s *Store) adoptFromDefault(ctx context.Context, day time.Time) error {
	name := pgx.Identifier{s.cfg.Schema, partitionName(day)}.Sanitize()
	def := pgx.Identifier{s.cfg.Schema, "events_default"}.Sanitize()
	from, to := day.Format(time.RFC3339), day.AddDate(0, 0, 1).Format(time.RFC3339)
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("adopt partition %s: %w", partitionName(day), err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	for _, q := range []string{
		"CREATE TABLE " + name + " (LIKE " + s.events + " INCLUDING DEFAULTS INCLUDING CONSTRAINTS)",
		"WITH moved AS (DELETE FROM " + def + " WHERE occurred_at >= '" + from + "' AND occurred_at < '" + to + "' RETURNING *) INSERT INTO " + name + " SELECT * FROM moved",
		"ALTER TABLE " + s.events + " ATTACH PARTITION " + name + " FOR VALUES FROM ('" + from + "') TO ('" + to + "')",
	} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("adopt partition %s: %w", partitionName(day), err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("adopt partition %s: %w", partitionName(day), err)
	}
	s.log.Info("created partition from rows of the default partition", "partition", partitionName(day))
	return nil
}

func (s *Store) applyRetention(ctx context.Context, cutoff time.Time) error {
	rows, err := s.pool.Query(ctx, `SELECT c.relname FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid
		JOIN pg_class p ON p.oid = i.inhparent
		JOIN pg_namespace n ON n.oid = p.relnamespace
		WHERE n.nspname = $1 AND p.relname = 'events'`, s.cfg.Schema)
	if err != nil {
		return fmt.Errorf("list partitions: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("list partitions: %w", err)
	}
	for _, n := range names {
		suffix, ok := strings.CutPrefix(n, "events_p")
		if !ok {
			continue
		}
		day, err := time.Parse(partitionLayout, suffix)
		if err != nil || day.AddDate(0, 0, 1).After(cutoff) {
			continue
		}
		// The whole day is older than the cutoff: dropping is instant and
		// leaves no dead tuples, unlike DELETE.
		if _, err := s.pool.Exec(ctx, "DROP TABLE IF EXISTS "+pgx.Identifier{s.cfg.Schema, n}.Sanitize()); err != nil {
			return fmt.Errorf("drop partition %s: %w", n, err)
		}
		s.log.Info("dropped partition past retention", "partition", n)
	}
	// Rows in the default partition have no partition to drop.
	if _, err := s.pool.Exec(ctx, "DELETE FROM "+pgx.Identifier{s.cfg.Schema, "events_default"}.Sanitize()+" WHERE occurred_at < $1", cutoff); err != nil {
		return fmt.Errorf("retention on default partition: %w", err)
	}
	// The keys of the dropped events go too: a redelivery that old would be
	// stored again and dropped again by the next run.
	if _, err := s.pool.Exec(ctx, "DELETE FROM "+s.keys+" WHERE occurred_at < $1", cutoff); err != nil {
		return fmt.Errorf("retention on event keys: %w", err)
	}
	return nil
}
