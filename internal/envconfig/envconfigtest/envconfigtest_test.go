package envconfigtest

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/footprint/footprint/internal/envconfig"
)

func TestREADMENamesAndRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "README.md")
	readme := "| Port | What |\n|---|---|\n| `127.0.0.1:1` (`FOOTPRINT_ADDR`) | not a variable row |\n\n" +
		"| Code | Meaning |\n|---|---|\n| `RESOURCE_EXHAUSTED` | not a variable row |\n\n" +
		"| Variable | Default | Meaning |\n|---|---|---|\n| `FOOTPRINT_A` | `1` | first |\n| `FOOTPRINT_B` | (empty) | second |\n"
	if err := os.WriteFile(path, []byte(readme), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := READMENames(t, path); !slices.Equal(got, []string{"FOOTPRINT_A", "FOOTPRINT_B"}) {
		t.Fatalf("READMENames = %v", got)
	}
	a, b := 1, ""
	vars := envconfig.Vars{envconfig.Int("FOOTPRINT_A", &a, "first"), envconfig.String("FOOTPRINT_B", &b, "second")}
	CheckREADMERows(t, path, vars)
	Help(t, vars, func(args []string, stdout, stderr io.Writer) int {
		_, code := vars.Args("foo", args, stdout, stderr)
		return code
	})

	// The checks must fail on a README that misses a variable or lists one
	// the service does not read.
	c := 2
	for _, vs := range []envconfig.Vars{vars[:1], append(vars[:2:2], envconfig.Int("FOOTPRINT_C", &c, "third"))} {
		rec := &recorder{TB: t}
		CheckREADME(rec, path, vs)
		if !rec.failed {
			t.Errorf("CheckREADME passed for %v", vs.Names())
		}
	}
	rec := &recorder{TB: t}
	CheckHelp(rec, "  FOOTPRINT_A (default 1)\n", vars)
	if !rec.failed {
		t.Error("CheckHelp passed without FOOTPRINT_B")
	}
}

// recorder notes failures instead of failing the test.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Helper()               {}
