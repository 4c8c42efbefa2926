package main

import (
	"context"
	"io"
	"testing"

	"github.com/footprint/footprint/internal/envconfig/envconfigtest"
	"github.com/footprint/footprint/internal/sink/sinktest"
	"github.com/footprint/footprint/store/storetest"
)

// The suite re-executes this test binary as the writer.
func TestMain(m *testing.M) { sinktest.Main(m, writer().Run) }

// TestSinkSuite runs the shared writer suite against PostgreSQL.
func TestSinkSuite(t *testing.T) { sinktest.Run(t, storetest.PostgresTarget{}) }

// TestHelpListsEveryVariable: -help (and -h) exits 0 listing every variable.
func TestHelpListsEveryVariable(t *testing.T) {
	w := writer()
	cfg := w.Defaults()
	envconfigtest.Help(t, w.Vars(&cfg), func(args []string, stdout, stderr io.Writer) int {
		return w.Exec(context.Background(), args, func(string) string { return "" }, stdout, stderr)
	})
}

// TestREADMEListsEveryVariable: the README's table and the writer's name the same variables.
func TestREADMEListsEveryVariable(t *testing.T) {
	w := writer()
	cfg := w.Defaults()
	envconfigtest.CheckREADME(t, "README.md", w.Vars(&cfg))
}
