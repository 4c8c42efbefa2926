package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// buildFootprint builds the footprint operations command from the working tree.
func buildFootprint(t *testing.T) string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "footprint")
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Dir = filepath.Join(root, "cmd", "footprint")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build footprint: %v\n%s", err, b)
	}
	return out
}

// footprintCmd runs the footprint binary against the test's stack.
type footprintCmd struct {
	bin string
	env []string
}

func newFootprintCmd(t *testing.T, s *stack) footprintCmd {
	t.Helper()
	createTopics(t, s.brokers, s.topic+".erasures", s.topic+".audit")
	return footprintCmd{bin: buildFootprint(t), env: append(os.Environ(),
		"FOOTPRINT_KAFKA_BROKERS="+s.brokers, "FOOTPRINT_KAFKA_TOPIC="+s.topic,
		"FOOTPRINT_ERASURE_TOPIC="+s.topic+".erasures", "FOOTPRINT_AUDIT_TOPIC="+s.topic+".audit",
		"FOOTPRINT_PG_URL="+s.pgURL, "FOOTPRINT_PG_SCHEMA="+s.pgSchema,
		"FOOTPRINT_CH_ADDR="+s.chAddr, "FOOTPRINT_CH_DATABASE="+s.chDB)}
}

// run returns the exit status and the combined output.
func (f footprintCmd) run(t *testing.T, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, f.bin, args...)
	cmd.Env = f.env
	out, err := cmd.CombinedOutput()
	t.Logf("footprint %s\n%s", strings.Join(args, " "), out)
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode(), string(out)
	case err != nil:
		t.Fatalf("footprint %v: %v", args, err)
	}
	return 0, string(out)
}

// The footprint binary over a pipeline of real binaries (collector, both
// writers, the example web app driven by demotraffic): the stores agree; a
// visitor erased while the writers run is removed from both, the others
// stay, and the stores still agree; the DLQ holds nothing.
func TestOpsCommandOnLivePipeline(t *testing.T) {
	const n = 120
	s := newStack(t)
	sv := newServices(t, s)
	sv.startWriters()
	sv.startCollector()
	fp := newFootprintCmd(t, s)
	web, webAddr := startWebapp(t, s, sv, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, bin(t, "demotraffic"), "-target", "http://"+webAddr, "-n", fmt.Sprint(n)).CombinedOutput(); err != nil {
		t.Fatalf("demotraffic: %v\n%s", err, out)
	}
	if err := web.Stop(30 * time.Second); err != nil {
		t.Fatalf("webapp did not shut down cleanly: %v", err)
	}
	waitForCounts(t, s, n, 90*time.Second)

	today := time.Now().UTC()
	span := []string{"--site", s.site, "--from", today.AddDate(0, 0, -1).Format(time.DateOnly), "--to", today.Format(time.DateOnly)}
	if code, out := fp.run(t, append([]string{"consistency"}, span...)...); code != 0 || !strings.Contains(out, "agree") {
		t.Fatalf("consistency after demo traffic: exit %d, want 0", code)
	}

	visitor, events := busiestVisitor(t, s)
	code, out := fp.run(t, "erase", "--site", s.site, "--visitor", visitor, "--operator", "e2e")
	for _, want := range []string{
		fmt.Sprintf("postgres: removed %d events of visitor %s", events, visitor),
		fmt.Sprintf("clickhouse: removed %d events of visitor %s", events, visitor),
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("erase: exit %d, output lacks %q", code, want)
		}
	}
	pgStore, chStore := openStores(t, s)
	for name, st := range map[string]siteCounter{"postgres": pgStore, "clickhouse": chStore} {
		c, err := countSite(context.Background(), st, s.site)
		if err != nil || c.distinct != uint64(n-events) {
			t.Errorf("%s after erase: %+v (%v), want %d events", name, c, err, n-events)
		}
	}
	if again, _ := visitorEvents(t, s, visitor); again != 0 {
		t.Errorf("postgres still holds %d events of the erased visitor", again)
	}
	if code, _ := fp.run(t, append([]string{"consistency"}, span...)...); code != 0 {
		t.Fatalf("consistency after erase: exit %d, want 0", code)
	}
	if code, out := fp.run(t, "dlq", "list"); code != 0 || !strings.Contains(out, "0 dead letters") {
		t.Fatalf("dlq list: exit %d, want 0 and no letters", code)
	}
}

// busiestVisitor returns the visitor id with the most events of the site in
// PostgreSQL and their number.
func busiestVisitor(t *testing.T, s *stack) (string, int) {
	t.Helper()
	n, visitor := visitorEvents(t, s, "")
	if visitor == "" || n == 0 {
		t.Fatal("no visitor with events")
	}
	return visitor, n
}

// visitorEvents returns how many events of the site visitor has in
// PostgreSQL (with visitor empty: the busiest visitor's count and id).
func visitorEvents(t *testing.T, s *stack, visitor string) (int, string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(ctx) }()
	var n int
	var v string
	err = conn.QueryRow(ctx, "SELECT count(*), visitor_id FROM "+pgx.Identifier{s.pgSchema, "events"}.Sanitize()+
		" WHERE site_id = $1 AND ($2 = '' OR visitor_id = $2) AND visitor_id <> '' GROUP BY visitor_id ORDER BY 1 DESC LIMIT 1", s.site, visitor).Scan(&n, &v)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return n, v
}
