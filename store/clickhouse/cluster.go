package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"

	"github.com/footprint/footprint/internal/envconfig"
)

// ErrDistributedDatabase: a cluster's Distributed tables need a database of
// their own (same table names as the replicated ones they read).
var ErrDistributedDatabase = errors.New("clickhouse store: a cluster needs FOOTPRINT_CH_DISTRIBUTED_DATABASE, different from FOOTPRINT_CH_DATABASE")

// Cluster makes the migrations cluster-aware (docs/deploy.md, "ClickHouse
// cluster"). With a Name, every table of the migrations is created ON
// CLUSTER with the Replicated variant of its engine in the store's database,
// which the writer then writes (one replica replicates to the others through
// ZooKeeper), and a Distributed table of the same name over it is created in
// DistributedDatabase, which the query service reads: it picks a live
// replica per query. The writer writes the replicated table, not the
// Distributed one: with one shard a Distributed insert only adds an
// asynchronous hop, and its event_keys look-up must see the rows it just
// wrote, which a replica's own table guarantees.
type Cluster struct {
	// Name is the cluster in the servers' remote_servers; empty: one server.
	Name string
	// DistributedDatabase holds the Distributed tables.
	DistributedDatabase string
}

// Vars are FOOTPRINT_CH_CLUSTER and FOOTPRINT_CH_DISTRIBUTED_DATABASE, bound to c's fields.
func (c *Cluster) Vars() envconfig.Vars {
	return envconfig.Vars{
		envconfig.String("FOOTPRINT_CH_CLUSTER", &c.Name, "a ClickHouse cluster (remote_servers): the migrations create Replicated tables ON CLUSTER in FOOTPRINT_CH_DATABASE, which the writer writes, and Distributed tables over them (docs/deploy.md); empty: one server"),
		envconfig.String("FOOTPRINT_CH_DISTRIBUTED_DATABASE", &c.DistributedDatabase, "with a cluster: the database of the Distributed tables (the query service reads it); required then, and different from FOOTPRINT_CH_DATABASE"),
	}
}

func (c Cluster) validate(database string) error {
	if c.Name != "" && (c.DistributedDatabase == "" || c.DistributedDatabase == database) {
		return ErrDistributedDatabase
	}
	return nil
}

// addrs splits a comma-separated address list. The driver dials them in
// order, so a writer prefers the first replica and fails over to the next.
func addrs(list string) []string {
	out := strings.Split(list, ",")
	for i := range out {
		out[i] = strings.TrimSpace(out[i])
	}
	return out
}

func checkAddrs(list string) error {
	for _, a := range addrs(list) {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return ErrAddr
		}
	}
	return nil
}

var (
	createTable = regexp.MustCompile(`(?is)^\s*CREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\s+(\w+)\s*\(`)
	dropTable   = regexp.MustCompile(`(?is)^\s*DROP\s+TABLE\s+IF\s+EXISTS\s+(\w+)\s*$`)
	// An engine of the MergeTree family with optional arguments: ReplacingMergeTree(ver).
	mergeTreeEngine = regexp.MustCompile(`(?i)ENGINE\s*=\s*(\w*)MergeTree(\s*\(([^)]*)\))?`)
)

// migrationExec runs one migration statement. On a cluster a CREATE TABLE
// runs ON CLUSTER with the replicated engine, once: it is skipped when this
// server has the table, because ON CLUSTER waits for every replica, and a
// writer restarting while another replica is down must not wait for DDL that
// already ran. Other statements (INSERT ... SELECT) run on this replica and
// replicate.
func (s *Store) migrationExec(ctx context.Context, stmt string) error {
	if s.cfg.Cluster.Name == "" {
		return s.conn.Exec(ctx, stmt)
	}
	if m := createTable.FindStringSubmatch(stmt); m != nil {
		table := m[1]
		if exists, err := s.tableExists(ctx, s.cfg.Database, table); err != nil || exists {
			return err
		}
		return s.conn.Exec(ctx, s.cfg.Cluster.replicated(stmt, s.cfg.Database, table))
	}
	if m := dropTable.FindStringSubmatch(stmt); m != nil {
		return s.dropOnCluster(ctx, m[1])
	}
	return s.conn.Exec(ctx, stmt)
}

// dropOnCluster drops a table of an older migration ON CLUSTER: its
// Distributed table first (it reads the replicated one), then the
// replicated table. Like a CREATE, each DROP runs only while this server
// still has the table.
func (s *Store) dropOnCluster(ctx context.Context, table string) error {
	for _, db := range []string{s.cfg.Cluster.DistributedDatabase, s.cfg.Database} {
		exists, err := s.tableExists(ctx, db, table)
		if err != nil {
			return err
		}
		if !exists {
			continue
		}
		stmt := fmt.Sprintf("DROP TABLE IF EXISTS %s.%s ON CLUSTER %s", quoteIdent(db), quoteIdent(table), quoteIdent(s.cfg.Cluster.Name))
		if err := s.conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("drop %s.%s: %w", db, table, err)
		}
	}
	return nil
}

// replicated rewrites a single-server CREATE TABLE for the cluster.
func (c Cluster) replicated(stmt, database, table string) string {
	stmt = createTable.ReplaceAllString(stmt, "CREATE TABLE IF NOT EXISTS "+quoteIdent(database)+"."+table+" ON CLUSTER "+quoteIdent(c.Name)+" (")
	return mergeTreeEngine.ReplaceAllStringFunc(stmt, func(engine string) string {
		g := mergeTreeEngine.FindStringSubmatch(engine)
		args := fmt.Sprintf("'/clickhouse/tables/{shard}/%s/%s', '{replica}'", database, table)
		if strings.TrimSpace(g[3]) != "" {
			args += ", " + g[3]
		}
		return "ENGINE = Replicated" + g[1] + "MergeTree(" + args + ")"
	})
}

// ensureDistributed creates, on a cluster, a Distributed table in the
// distributed database for each table of the migrations that lacks one. A
// Distributed table holds no data: a later migration that changes a table's
// columns drops and recreates it (or alters it ON CLUSTER).
func (s *Store) ensureDistributed(ctx context.Context) error {
	c := s.cfg.Cluster
	if c.Name == "" {
		return nil
	}
	tables, err := s.migratedTables()
	if err != nil {
		return err
	}
	for _, table := range tables {
		exists, err := s.tableExists(ctx, c.DistributedDatabase, table)
		if err != nil {
			return err
		}
		if exists {
			continue
		}
		dist, local := quoteIdent(c.DistributedDatabase)+"."+quoteIdent(table), quoteIdent(s.cfg.Database)+"."+quoteIdent(table)
		stmt := fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s ON CLUSTER %s AS %s ENGINE = Distributed(%s, %s, %s)",
			dist, quoteIdent(c.Name), local, quoteIdent(c.Name), quoteIdent(s.cfg.Database), quoteIdent(table))
		if err := s.conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("create distributed table %s: %w", table, err)
		}
		s.log.Info("created distributed table", "database", c.DistributedDatabase, "table", table)
	}
	return nil
}

// migratedTables lists the tables the embedded migrations create and no
// later migration drops, in the order they are created.
func (s *Store) migratedTables() ([]string, error) {
	created, dropped, err := migrationTables()
	return slices.DeleteFunc(created, func(t string) bool { return slices.Contains(dropped, t) }), err
}

// migrationTables lists the tables the embedded migrations create, in order,
// and those they drop.
func migrationTables() (created, dropped []string, err error) {
	files, err := migrations.ReadDir("migrations")
	if err != nil {
		return nil, nil, fmt.Errorf("read migrations: %w", err)
	}
	for _, f := range files {
		body, err := migrations.ReadFile("migrations/" + f.Name())
		if err != nil {
			return nil, nil, fmt.Errorf("read migration %s: %w", f.Name(), err)
		}
		for _, stmt := range splitStatements(string(body)) {
			if m := createTable.FindStringSubmatch(stmt); m != nil {
				created = append(created, m[1])
			}
			if m := dropTable.FindStringSubmatch(stmt); m != nil {
				dropped = append(dropped, m[1])
			}
		}
	}
	return created, dropped, nil
}

func (s *Store) tableExists(ctx context.Context, database, table string) (bool, error) {
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = ? AND name = ?", database, table).Scan(&n); err != nil {
		return false, fmt.Errorf("look up table %s.%s: %w", database, table, err)
	}
	return n > 0, nil
}
