// Package envconfigtest checks a service's variable table against what it
// documents: its README's variable table and its -help output. Every
// service's tests call it, so the rule lives in one place.
package envconfigtest

import (
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/footprint/footprint/internal/envconfig"
)

// readmeRow is a Markdown table row whose first cell is one FOOTPRINT_*
// variable name (other tables list gRPC codes or metrics).
var readmeRow = regexp.MustCompile("(?m)^\\|\\s*`(FOOTPRINT_[A-Z0-9_]+)`\\s*\\|")

// READMENames returns the variables a Markdown file's tables list, one per
// row whose first cell is a FOOTPRINT_* name in backticks (rows naming a
// port, a status code or a metric are not variables).
func READMENames(t testing.TB, path string) []string {
	t.Helper()
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range readmeRow.FindAllStringSubmatch(string(body), -1) {
		if !slices.Contains(names, m[1]) {
			names = append(names, m[1])
		}
	}
	return names
}

// CheckREADME fails t unless the README at path lists exactly the table's
// variables: none missing, none the service does not read.
func CheckREADME(t testing.TB, path string, vars envconfig.Vars) {
	t.Helper()
	documented := READMENames(t, path)
	for _, name := range vars.Names() {
		if !slices.Contains(documented, name) {
			t.Errorf("%s: the variable table lacks %s", path, name)
		}
	}
	for _, name := range documented {
		if !slices.Contains(vars.Names(), name) {
			t.Errorf("%s lists %s, which the service does not read", path, name)
		}
	}
}

// CheckREADMERows is CheckREADME for a README whose rows are the table
// itself: `| `NAME` | `default` | help |`, (empty) for an empty default.
func CheckREADMERows(t testing.TB, path string, vars envconfig.Vars) {
	t.Helper()
	CheckREADME(t, path, vars)
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range vars.Docs() {
		def := "(empty)"
		if d.Default != "" {
			def = "`" + d.Default + "`"
		}
		row := "| `" + d.Name + "` | " + def + " | " + d.Help + " |"
		if !strings.Contains(string(body), row) {
			t.Errorf("%s lacks the row %s", path, row)
		}
	}
}

// CheckHelp fails t unless a service's -help output lists every variable
// of its table with its default.
func CheckHelp(t testing.TB, output string, vars envconfig.Vars) {
	t.Helper()
	for _, d := range vars.Docs() {
		def := d.Default
		if def == "" {
			def = "(empty)"
		}
		if !strings.Contains(output, d.Name+" (default "+def+")") {
			t.Errorf("-help does not list %s (default %s)", d.Name, def)
		}
	}
}

// Help runs a service's command line with -help, -h and --help (run is
// the service's main without os.Exit; it returns the exit code) and checks
// that it exits 0 listing every variable of the table.
func Help(t *testing.T, vars envconfig.Vars, run func(args []string, stdout, stderr io.Writer) int) {
	t.Helper()
	for _, flag := range []string{"-help", "-h", "--help"} {
		var out, errOut strings.Builder
		if code := run([]string{flag}, &out, &errOut); code != 0 {
			t.Errorf("%s: exit code %d (stderr %q), want 0", flag, code, errOut.String())
		}
		CheckHelp(t, out.String(), vars)
	}
}
