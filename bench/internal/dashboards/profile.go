package dashboards

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	queryv1 "github.com/footprint/footprint/gen/footprint/query/v1"
	"github.com/jackc/pgx/v5"
)

// Profiles of the slowest panels, for the targets a store misses: the
// PostgreSQL plans with actual times (EXPLAIN ANALYZE, captured by
// auto_explain from the query service's own statements) and ClickHouse's
// counters of each statement (rows and bytes read, memory, duration) from
// system.query_log.

// profiledQueries are the queries profiled, on the 30-day view without
// filter: the cards, the chart, a panel without visits and panels with.
var profiledQueries = []string{"cards", "chart", "panel:page", "panel:entry_page", "panel:source"}

// Profile is what one store showed for one query.
type Profile struct {
	Query string `json:"query"`
	Store string `json:"store"`
	// Text is the plans (PostgreSQL) or the statements' counters
	// (ClickHouse), one block per SQL statement the query ran.
	Text string `json:"text"`
}

// profile collects both stores' profiles of the profiled queries. A store
// whose profile cannot be taken gets a note instead of failing the run.
func profile(ctx context.Context, s Stores, bin, logDir string, data DataConfig, logger *slog.Logger) []Profile {
	var qs []Query
	for _, q := range Queries(data.Site, Variants(data)[1]) {
		for _, id := range profiledQueries {
			if q.ID == id {
				qs = append(qs, q)
			}
		}
	}
	var out []Profile
	pg, err := profilePostgres(ctx, s, bin, logDir, data.Site, qs, logger)
	if err != nil {
		logger.Warn("postgres profile", "err", err)
		pg = []Profile{{Query: "-", Store: "postgres", Text: "not taken: " + err.Error()}}
	}
	out = append(out, pg...)
	chp, err := profileClickHouse(ctx, s, bin, logDir, data.Site, qs, logger)
	if err != nil {
		logger.Warn("clickhouse profile", "err", err)
		chp = []Profile{{Query: "-", Store: "clickhouse", Text: "not taken: " + err.Error()}}
	}
	return append(out, chp...)
}

// profilePostgres switches auto_explain on for the bench database (new
// sessions only), starts a fresh query service so its sessions load it,
// runs each query once and reads the plans from the server's log.
func profilePostgres(ctx context.Context, s Stores, bin, logDir, site string, qs []Query, logger *slog.Logger) ([]Profile, error) {
	conn, err := pgx.Connect(ctx, s.PGURL)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	var dataDir string
	if err := conn.QueryRow(ctx, "SELECT current_setting('data_directory')").Scan(&dataDir); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	// deploy/local/stack.sh starts the server with pg_ctl -l <data>/../postgres.log.
	logPath := filepath.Join(filepath.Dir(dataDir), "postgres.log")
	if _, err := os.Stat(logPath); err != nil {
		return nil, fmt.Errorf("server log: %w", err)
	}
	u, err := url.Parse(s.PGURL)
	if err != nil {
		return nil, fmt.Errorf("parse url: %w", err)
	}
	db := pgx.Identifier{strings.TrimPrefix(u.Path, "/")}.Sanitize()
	for _, set := range []string{"session_preload_libraries = 'auto_explain'", "auto_explain.log_min_duration = 0",
		"auto_explain.log_analyze = on", "auto_explain.log_buffers = on"} {
		if _, err := conn.Exec(ctx, "ALTER DATABASE "+db+" SET "+set); err != nil {
			return nil, fmt.Errorf("alter database set %s: %w", set, err)
		}
	}
	defer func() { _, _ = conn.Exec(context.WithoutCancel(ctx), "ALTER DATABASE "+db+" RESET ALL") }()
	q, err := startQuery(ctx, s, bin, logDir, site, logger)
	if err != nil {
		return nil, err
	}
	defer func() { _ = q.stop() }()
	var out []Profile
	for _, query := range qs {
		off, err := fileSize(logPath)
		if err != nil {
			return out, err
		}
		if _, _, err := q.caller.call(ctx, query, queryv1.Store_STORE_POSTGRES); err != nil {
			return out, err
		}
		plans, err := readPlans(logPath, off)
		if err != nil {
			return out, err
		}
		out = append(out, Profile{Query: query.ID, Store: "postgres", Text: plans})
	}
	return out, nil
}

func fileSize(path string) (int64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, fmt.Errorf("stat %s: %w", path, err)
	}
	return st.Size(), nil
}

// readPlans returns the auto_explain entries logged after offset: a line
// with "duration: ... plan:" and its indented continuation lines. Only the
// bench database's sessions load auto_explain, so every entry is ours.
func readPlans(path string, offset int64) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("open server log: %w", err)
	}
	defer func() { _ = f.Close() }()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return "", fmt.Errorf("seek server log: %w", err)
	}
	var b strings.Builder
	in := false
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.Contains(line, "duration:") && strings.Contains(line, "plan:"):
			in = true
			b.WriteString(line[strings.Index(line, "duration:"):] + "\n")
		case in && (strings.HasPrefix(line, "\t") || strings.HasPrefix(line, " ")):
			if t := strings.TrimSpace(line); strings.HasPrefix(t, "Query Text:") && len(t) > 400 {
				line = "\t" + t[:400] + " ..."
			}
			b.WriteString(line + "\n")
		default:
			in = false
		}
	}
	return b.String(), sc.Err()
}

// profileClickHouse runs each query once through the service while it
// watches system.processes for the statements on the bench database, then
// runs each statement it saw again with log_queries on (the stack's server
// logs no queries by default) and reads its system.query_log row.
func profileClickHouse(ctx context.Context, s Stores, bin, logDir, site string, qs []Query, logger *slog.Logger) ([]Profile, error) {
	conn, err := ch.Open(&ch.Options{Addr: []string{s.CHConfig.Addr}, Auth: ch.Auth{Username: s.CHConfig.User, Password: s.CHConfig.Password}})
	if err != nil {
		return nil, fmt.Errorf("open clickhouse: %w", err)
	}
	defer func() { _ = conn.Close() }()
	q, err := startQuery(ctx, s, bin, logDir, site, logger)
	if err != nil {
		return nil, err
	}
	defer func() { _ = q.stop() }()
	var out []Profile
	for _, query := range qs {
		stmts, err := watchStatements(ctx, conn, s.CHConfig.Database, func() error {
			_, _, err := q.caller.call(ctx, query, queryv1.Store_STORE_CLICKHOUSE)
			return err
		})
		if err != nil {
			return out, err
		}
		var b strings.Builder
		for i, st := range stmts {
			counters, err := queryLog(ctx, conn, st, fmt.Sprintf("fp-bench-%s-%d-%d", strings.ReplaceAll(query.ID, ":", "-"), time.Now().UnixNano(), i))
			if err != nil {
				counters = "query_log: " + err.Error()
			}
			text := st
			if len(text) > 400 {
				text = text[:400] + " ..."
			}
			fmt.Fprintf(&b, "%s\n\tQuery Text: %s\n", counters, text)
		}
		if len(stmts) == 0 {
			b.WriteString("no statement seen in system.processes (it finished between two 5 ms polls)\n")
		}
		out = append(out, Profile{Query: query.ID, Store: "clickhouse", Text: b.String()})
	}
	return out, nil
}

// watchStatements runs call while polling system.processes every 5 ms and
// returns the distinct statements that read database's events table.
func watchStatements(ctx context.Context, conn ch.Conn, database string, call func() error) ([]string, error) {
	done := make(chan error, 1)
	go func() { done <- call() }()
	seen := map[string]bool{}
	var order []string
	var mu sync.Mutex
	poll := func() {
		rows, err := conn.Query(ctx, "SELECT query FROM system.processes WHERE query LIKE ? AND query NOT LIKE '%system.processes%'", "%"+database+".events%")
		if err != nil {
			return
		}
		defer func() { _ = rows.Close() }()
		for rows.Next() {
			var text string
			if rows.Scan(&text) == nil {
				mu.Lock()
				if !seen[text] {
					seen[text] = true
					order = append(order, text)
				}
				mu.Unlock()
			}
		}
	}
	for {
		select {
		case err := <-done:
			return order, err
		case <-time.After(5 * time.Millisecond):
			poll()
		}
	}
}

// queryLog runs stmt with log_queries on under id and returns its finished
// entry's counters.
func queryLog(ctx context.Context, conn ch.Conn, stmt, id string) (string, error) {
	qctx := ch.Context(ctx, ch.WithQueryID(id), ch.WithSettings(ch.Settings{"log_queries": 1}))
	rows, err := conn.Query(qctx, stmt)
	if err != nil {
		return "", fmt.Errorf("rerun: %w", err)
	}
	for rows.Next() {
	}
	_ = rows.Close()
	var durMs, readRows, readBytes, resultRows uint64
	var mem int64
	// The entry is written when the query's log is flushed, which another
	// session's flush can race: poll a few times.
	for attempt := 0; ; attempt++ {
		if err := conn.Exec(ctx, "SYSTEM FLUSH LOGS"); err != nil {
			return "", fmt.Errorf("flush logs: %w", err)
		}
		err = conn.QueryRow(ctx, "SELECT query_duration_ms, read_rows, read_bytes, result_rows, toInt64(memory_usage) FROM system.query_log WHERE query_id = ? AND type = 2 ORDER BY event_time DESC LIMIT 1", id).
			Scan(&durMs, &readRows, &readBytes, &resultRows, &mem)
		if err == nil {
			break
		}
		if attempt == 10 {
			return "", fmt.Errorf("read query_log: %w", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Sprintf("query_duration_ms %d, read_rows %d, read_bytes %d (%.1f MiB), result_rows %d, memory_usage %.1f MiB",
		durMs, readRows, readBytes, float64(readBytes)/(1<<20), resultRows, float64(mem)/(1<<20)), nil
}
