package clickhouse

import (
	"errors"
	"strings"
	"testing"
)

func TestClusterRewritesCreateTableForReplicas(t *testing.T) {
	c := Cluster{Name: "footprint", DistributedDatabase: "footprint"}
	for _, tc := range []struct{ in, want string }{
		{"CREATE TABLE IF NOT EXISTS events (\n a UInt8\n) ENGINE = ReplacingMergeTree\nORDER BY a",
			"CREATE TABLE IF NOT EXISTS `footprint_local`.events ON CLUSTER `footprint` (\n a UInt8\n) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/footprint_local/events', '{replica}')\nORDER BY a"},
		{"CREATE TABLE IF NOT EXISTS schema_migrations (v UInt32) ENGINE = MergeTree ORDER BY v",
			"CREATE TABLE IF NOT EXISTS `footprint_local`.schema_migrations ON CLUSTER `footprint` (v UInt32) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/footprint_local/schema_migrations', '{replica}') ORDER BY v"},
		{"CREATE TABLE IF NOT EXISTS t (v UInt32) ENGINE = ReplacingMergeTree(v) ORDER BY v",
			"CREATE TABLE IF NOT EXISTS `footprint_local`.t ON CLUSTER `footprint` (v UInt32) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/footprint_local/t', '{replica}', v) ORDER BY v"},
	} {
		m := createTable.FindStringSubmatch(tc.in)
		if m == nil {
			t.Fatalf("not recognised as CREATE TABLE: %q", tc.in)
		}
		if got := c.replicated(tc.in, "footprint_local", m[1]); got != tc.want {
			t.Errorf("replicated(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
	if createTable.MatchString("INSERT INTO event_keys (event_id) SELECT event_id FROM events") {
		t.Error("an INSERT must run as it is")
	}
	if m := dropTable.FindStringSubmatch("DROP TABLE IF EXISTS event_keys"); m == nil || m[1] != "event_keys" {
		t.Errorf("DROP TABLE not recognised: %q", m)
	}
}

func TestClusterTablesAreTheMigrationsTables(t *testing.T) {
	tables, err := (&Store{}).migratedTables()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(tables, ","); got != "events,event_ids" {
		t.Errorf("tables = %s, want events,event_ids (event_keys is dropped by 0004)", got)
	}
}

func TestClusterConfig(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Addr = "127.0.0.1:19000, 127.0.0.1:19001"
	if err := cfg.Validate(); err != nil {
		t.Errorf("an address list: %v", err)
	}
	if got := addrs(cfg.Addr); len(got) != 2 || got[1] != "127.0.0.1:19001" {
		t.Errorf("addrs = %q", got)
	}
	cfg.Addr = "127.0.0.1:19000,nonsense"
	if err := cfg.Validate(); !errors.Is(err, ErrAddr) {
		t.Errorf("a bad address in the list: %v, want ErrAddr", err)
	}
	cfg = DefaultConfig()
	cfg.Cluster.Name = "footprint"
	if err := cfg.Validate(); !errors.Is(err, ErrDistributedDatabase) {
		t.Errorf("a cluster without a distributed database: %v", err)
	}
	cfg.Cluster.DistributedDatabase = cfg.Database
	if err := cfg.Validate(); !errors.Is(err, ErrDistributedDatabase) {
		t.Errorf("distributed tables in the replicated tables' database: %v", err)
	}
	cfg.Cluster.DistributedDatabase = "footprint_dist"
	if err := cfg.Validate(); err != nil {
		t.Errorf("a valid cluster: %v", err)
	}
}
