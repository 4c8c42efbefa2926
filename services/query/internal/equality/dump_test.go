package equality

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/google/uuid"

	"github.com/footprint/footprint/services/query/internal/engine"
	"github.com/footprint/footprint/services/query/internal/store"
	chstore "github.com/footprint/footprint/store/clickhouse"
	"github.com/footprint/footprint/store/storetest"
)

// TestDumpClickHouseSQL writes, for the chdb-core check of current
// ClickHouse releases (scripts/chdb-check.sh), into the directory
// FOOTPRINT_QUERY_SQL_DUMP names:
//   - queries.sql: every statement the equality suite's cases generate,
//     arguments inlined the way clickhouse-go binds them, one per line;
//   - results.jsonl: each statement's answer on the 18.16 server over
//     those rows, which the current release must give too;
//   - insert.sql: the rows the ClickHouse writer path stored for the
//     suite's hand-made events (store.WriteBatch on the 18.16 server), as
//     one INSERT per table it writes (events, its key table), naming every
//     column in table order.
//
// Without the variable it still builds every statement and checks that no
// placeholder is left unbound.
func TestDumpClickHouseSQL(t *testing.T) {
	dir := os.Getenv("FOOTPRINT_QUERY_SQL_DUMP")
	sts, _ := suiteStatements(t, engine.ClickHouse{Database: "footprint"})
	queries := make([]string, len(sts))
	for i, st := range sts {
		queries[i] = inline(st)
		if placeholder.MatchString(queries[i]) {
			t.Fatalf("unbound placeholder in %s", queries[i])
		}
	}
	if dir == "" {
		return
	}
	inserts, cfg := writerInserts(t)
	write(t, filepath.Join(dir, "queries.sql"), strings.Join(queries, "\n")+"\n")
	write(t, filepath.Join(dir, "insert.sql"), strings.Join(inserts, "\n")+"\n")
	write(t, filepath.Join(dir, "results.jsonl"), answers18(t, cfg))
	t.Logf("dumped %d query statements, their answers on 18.16 and the writer's insert to %s", len(queries), dir)
}

// suiteStatements lists every statement of the suite's cases and of
// Realtime in dialect d, with the number of int64 columns of each.
func suiteStatements(t *testing.T, d engine.Dialect) ([]engine.Statement, []int) {
	t.Helper()
	var sts []engine.Statement
	var ints []int
	for _, c := range cases() {
		plan, err := engine.NewPlan(c.req, engine.Options{MaxRangeDays: 800, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		all := plan.Statements(d)
		for _, st := range []*engine.Statement{all.Rows, all.Count, all.CompRows} {
			if st == nil {
				continue
			}
			sts = append(sts, *st)
			n := st.Ints()
			if st == all.Count {
				n = 1
			}
			ints = append(ints, n)
		}
	}
	v, p := engine.RealtimeStatements(d, site, false, now)
	return append(sts, v, p), append(ints, 1, 1)
}

// answers18 runs every statement on the 18.16 server over the writer's
// rows and returns one JSON array of rows (each an array of texts) per
// line: what the current release must answer too.
func answers18(t *testing.T, cfg chstore.Config) string {
	t.Helper()
	db, err := store.OpenClickHouse(store.ClickHouseOptions{Addr: cfg.Addr, Database: cfg.Database, User: cfg.User, Password: cfg.Password, MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sts, ints := suiteStatements(t, engine.ClickHouse{Database: cfg.Database})
	var b strings.Builder
	for i, st := range sts {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		rows, err := db.Query(ctx, st, ints[i])
		cancel()
		if err != nil {
			t.Fatalf("18.16: %v\n%s", err, st.SQL)
		}
		out := [][]string{}
		for _, r := range rows {
			vals := slices.Clone(r.Texts)
			for _, n := range r.Ints {
				vals = append(vals, strconv.FormatInt(n, 10))
			}
			out = append(out, vals)
		}
		line, err := json.Marshal(out)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writerInserts stores the hand-made events through the ClickHouse store
// in a test database and returns what it wrote as INSERT ... VALUES
// statements, and the database.
func writerInserts(t *testing.T) ([]string, chstore.Config) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := storetest.ClickHouseDB(t)
	st, err := chstore.Open(ctx, cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.WriteBatch(ctx, fixedEvents()); err != nil {
		t.Fatal(err)
	}
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{cfg.Addr}, Auth: clickhouse.Auth{Database: cfg.Database, Username: cfg.User, Password: cfg.Password}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	var out []string
	for _, table := range []string{"events", chstore.KeysTable} {
		out = append(out, tableInsert(ctx, t, conn, table))
	}
	return out, cfg
}

func tableInsert(ctx context.Context, t *testing.T, conn clickhouse.Conn, table string) string {
	rows, err := conn.Query(ctx, "SELECT * FROM "+table)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	cols := rows.Columns()
	var tuples []string
	for rows.Next() {
		vals := make([]any, len(cols))
		for i, ct := range rows.ColumnTypes() {
			vals[i] = newScanTarget(t, ct.DatabaseTypeName())
		}
		if err := rows.Scan(vals...); err != nil {
			t.Fatal(err)
		}
		lits := make([]string, len(vals))
		for i, v := range vals {
			lits[i] = literal(t, v)
		}
		tuples = append(tuples, "("+strings.Join(lits, ", ")+")")
	}
	if err := rows.Err(); err != nil || len(tuples) == 0 {
		t.Fatalf("read back %d rows: %v", len(tuples), err)
	}
	return "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " + strings.Join(tuples, ", ")
}

var enumType = regexp.MustCompile(`^Enum8`)

func newScanTarget(t *testing.T, typ string) any {
	switch {
	case typ == "String" || enumType.MatchString(typ):
		return new(string)
	case typ == "UUID":
		return new(uuid.UUID)
	case strings.HasPrefix(typ, "DateTime"):
		return new(time.Time)
	case typ == "UInt8":
		return new(uint8)
	case typ == "UInt32":
		return new(uint32)
	case typ == "UInt64":
		return new(uint64)
	case typ == "Array(String)":
		return new([]string)
	}
	t.Fatalf("no literal for column type %s: extend writerInsert", typ)
	return nil
}

func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func literal(t *testing.T, v any) string {
	switch v := v.(type) {
	case *string:
		return quote(*v)
	case *uuid.UUID:
		return quote(v.String())
	case *time.Time:
		return quote(v.UTC().Format("2006-01-02 15:04:05"))
	case *uint8:
		return strconv.FormatUint(uint64(*v), 10)
	case *uint32:
		return strconv.FormatUint(uint64(*v), 10)
	case *uint64:
		return strconv.FormatUint(*v, 10)
	case *[]string:
		q := make([]string, len(*v))
		for i, s := range *v {
			q[i] = quote(s)
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	t.Fatalf("no literal for %T", v)
	return fmt.Sprint(v)
}
