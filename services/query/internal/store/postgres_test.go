package store

import (
	"context"
	"testing"
	"time"

	"github.com/footprint/footprint/internal/testenv"
	"github.com/footprint/footprint/services/query/internal/engine"
)

// TestPostgresSessionSettings: every pooled session is read-only and runs
// with the configured work_mem, which decides whether a visit-level panel's
// sort spills to disk.
func TestPostgresSessionSettings(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := OpenPostgres(ctx, PostgresOptions{URL: testenv.PostgresAdminURL(t), MaxConns: 2, WorkMem: "48MB"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(ctx, engine.Statement{NumDims: 2,
		SQL: "SELECT current_setting('work_mem'), current_setting('default_transaction_read_only')"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Texts[0] != "48MB" || rows[0].Texts[1] != "on" {
		t.Fatalf("session settings = %+v, want work_mem 48MB and read-only on", rows)
	}
}
