package main

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/footprint/footprint/internal/envconfig/envconfigtest"
	"github.com/footprint/footprint/services/query/internal/config"
)

func noEnv(string) (string, bool) { return "", false }

// TestHelpListsEveryVariable: `query -help` (and -h) exits 0 and prints
// every variable of the table with its default.
func TestHelpListsEveryVariable(t *testing.T) {
	c := config.Default()
	envconfigtest.Help(t, config.Vars(&c), func(args []string, stdout, stderr io.Writer) int {
		return run(context.Background(), args, noEnv, stdout, stderr)
	})
}

// TestBadVariableExitsBeforeStarting: a malformed variable is named and the
// service exits 1 without opening a store or a port.
func TestBadVariableExitsBeforeStarting(t *testing.T) {
	var stderr strings.Builder
	lookup := func(k string) (string, bool) { return "soon", k == "FOOTPRINT_QUERY_TIMEOUT" }
	if code := run(context.Background(), nil, lookup, io.Discard, &stderr); code != 1 {
		t.Fatalf("exit code %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), `FOOTPRINT_QUERY_TIMEOUT="soon"`) {
		t.Fatalf("stderr %q does not name the variable", stderr.String())
	}
}
