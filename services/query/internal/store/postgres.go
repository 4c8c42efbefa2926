package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/footprint/footprint/services/query/internal/engine"
)

// Postgres is a pgx pool.
type Postgres struct{ pool *pgxpool.Pool }

// PostgresOptions say where and as whom to connect, and how.
type PostgresOptions struct {
	// URL is the read-only role's.
	URL      string
	MaxConns int
	// WorkMem is the sessions' work_mem (PostgreSQL memory units); empty
	// keeps the server's.
	WorkMem string
}

// OpenPostgres connects, at most o.MaxConns at once.
func OpenPostgres(ctx context.Context, o PostgresOptions) (*Postgres, error) {
	cfg, err := pgxpool.ParseConfig(o.URL)
	if err != nil {
		return nil, fmt.Errorf("postgres url: %w", err)
	}
	cfg.MaxConns = int32(o.MaxConns)
	// Read-only by construction as well as by role.
	cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	cfg.ConnConfig.RuntimeParams["application_name"] = "footprint-query"
	if o.WorkMem != "" {
		cfg.ConnConfig.RuntimeParams["work_mem"] = o.WorkMem
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres connect: %w", err)
	}
	return &Postgres{pool: pool}, nil
}

// Query runs st and scans text then int64 columns.
func (p *Postgres) Query(ctx context.Context, st engine.Statement, ints int) ([]Row, error) {
	rows, err := p.pool.Query(ctx, st.SQL, st.Args...)
	if err != nil {
		return nil, fmt.Errorf("postgres query: %w", err)
	}
	defer rows.Close()
	var out []Row
	for rows.Next() {
		r := Row{Texts: make([]string, st.NumDims), Ints: make([]int64, ints)}
		if err := rows.Scan(scanTargets(&r)...); err != nil {
			return nil, fmt.Errorf("postgres scan: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres rows: %w", err)
	}
	return out, nil
}

func scanTargets(r *Row) []any {
	dst := make([]any, 0, len(r.Texts)+len(r.Ints))
	for i := range r.Texts {
		dst = append(dst, &r.Texts[i])
	}
	for i := range r.Ints {
		dst = append(dst, &r.Ints[i])
	}
	return dst
}

// Ping checks the connection.
func (p *Postgres) Ping(ctx context.Context) error { return p.pool.Ping(ctx) }

// Close closes the pool.
func (p *Postgres) Close() { p.pool.Close() }
