package cli_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/footprint/footprint/cmd/footprint/internal/cli"
	"github.com/footprint/footprint/cmd/footprint/internal/config"
	"github.com/footprint/footprint/internal/envconfig/envconfigtest"
)

// Bad calls exit 2 with a message naming the problem, before anything is
// touched; help exits 0.
func TestUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 0, "footprint consistency --site"},
		{[]string{"help"}, 0, "footprint erase"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"consistency", "--from", "2026-01-01"}, 2, "--site is required"},
		{[]string{"consistency", "--site", "s", "--from", "2026-01-02", "--to", "2026-01-01"}, 2, "--from not after --to"},
		{[]string{"lag", "--nope"}, 2, "flag provided but not defined"},
		{[]string{"replay", "--store", "postgres"}, 2, "exactly one of --from-beginning and --from"},
		{[]string{"replay", "--store", "mysql", "--from-beginning"}, 2, "--store is postgres or clickhouse"},
		{[]string{"replay", "--store", "postgres", "--from", "yesterday"}, 2, "--from"},
		{[]string{"erase", "--site", "s", "--visitor", "v"}, 2, "--operator is required"},
		{[]string{"erase", "--site", "s", "--visitor", "v", "--user", "u", "--operator", "o"}, 2, "exactly one of --visitor and --user"},
		{[]string{"erase", "--visitor", "v", "--operator", "o"}, 2, "needs a site"},
		{[]string{"dlq"}, 2, "list, show"},
		{[]string{"dlq", "show"}, 2, "dlq show PARTITION:OFFSET"},
		{[]string{"dlq", "redrive", "x"}, 2, "partition:offset"},
		{[]string{"dlq", "purge"}, 2, `unknown dlq command "purge"`},
	} {
		var out, errOut bytes.Buffer
		code := cli.Run(context.Background(), c.args, cli.Env{Getenv: func(string) string { return "" }, Stdout: &out, Stderr: &errOut,
			Now: time.Now, Logger: discard()})
		if code != c.code || !strings.Contains(out.String()+errOut.String(), c.want) {
			t.Errorf("footprint %v: exit %d, output %q; want exit %d and %q", c.args, code, out.String()+errOut.String(), c.code, c.want)
		}
	}
}

// A malformed variable is a configuration error (exit 2).
func TestConfigErrorExitsTwo(t *testing.T) {
	var errOut bytes.Buffer
	env := map[string]string{"FOOTPRINT_CH_ADDR": "no-port"}
	code := cli.Run(context.Background(), []string{"lag"}, cli.Env{Getenv: func(k string) string { return env[k] }, Stdout: &bytes.Buffer{}, Stderr: &errOut,
		Now: time.Now, Logger: discard()})
	if code != 2 || !strings.Contains(errOut.String(), "addr must be host:port") {
		t.Fatalf("exit %d, %q; want 2 and the ClickHouse address error", code, errOut.String())
	}
}

// TestHelpListsEveryVariable: footprint -help (-h, --help) exits 0 and lists
// every variable of the command's table with its default.
func TestHelpListsEveryVariable(t *testing.T) {
	c := config.Default()
	envconfigtest.Help(t, c.Vars(), func(args []string, stdout, stderr io.Writer) int {
		return cli.Run(context.Background(), args, cli.Env{Getenv: func(string) string { return "" }, Stdout: stdout, Stderr: stderr,
			Now: time.Now, Logger: discard()})
	})
}
