package sinktest

import (
	"context"
	"io"
	"testing"

	"github.com/footprint/footprint/internal/envconfig/envconfigtest"
	"github.com/footprint/footprint/internal/sink"
)

// CheckHelp: the writer's -help (and -h) exits 0 listing every variable.
func CheckHelp[S sink.StoreConfig[S], T sink.ClosableStore](t *testing.T, w sink.Writer[S, T]) {
	t.Helper()
	cfg := w.Defaults()
	envconfigtest.Help(t, w.Vars(&cfg), func(args []string, stdout, stderr io.Writer) int {
		return w.Exec(context.Background(), args, func(string) string { return "" }, stdout, stderr)
	})
}

// CheckREADME: the writer's README table (readme, a path) and its variables
// name the same variables.
func CheckREADME[S sink.StoreConfig[S], T sink.ClosableStore](t *testing.T, w sink.Writer[S, T], readme string) {
	t.Helper()
	cfg := w.Defaults()
	envconfigtest.CheckREADME(t, readme, w.Vars(&cfg))
}
