package config

import (
	"testing"

	"github.com/footprint/footprint/internal/envconfig/envconfigtest"
)

// TestREADMEListsEveryVariable keeps the README's table in step with Vars:
// the same variables, each row with the table's default and help.
func TestREADMEListsEveryVariable(t *testing.T) {
	c := Default()
	envconfigtest.CheckREADMERows(t, "../../README.md", Vars(&c))
}
