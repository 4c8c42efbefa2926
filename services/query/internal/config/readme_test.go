package config

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEListsEveryVariable keeps the README's table in step with Vars.
func TestREADMEListsEveryVariable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	def := Default()
	for _, v := range Vars() {
		d := v.Default(&def)
		if d == "" {
			d = "(none)"
		} else {
			d = "`" + d + "`"
		}
		row := "| `" + v.Name + "` | " + d + " | " + v.Help + " |"
		if !strings.Contains(string(readme), row) {
			t.Errorf("README.md lacks the row %s", row)
		}
	}
}
