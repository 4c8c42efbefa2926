package main

import (
	"testing"

	"github.com/footprint/footprint/internal/sink/sinktest"
	"github.com/footprint/footprint/store/storetest"
)

// The suite re-executes this test binary as the writer.
func TestMain(m *testing.M) { sinktest.Main(m, writer().Run) }

// TestSinkSuite runs the shared writer suite against PostgreSQL.
func TestSinkSuite(t *testing.T) { sinktest.Run(t, storetest.PostgresTarget{}) }

// TestHelpListsEveryVariable: -help (and -h) exits 0 listing every variable.
func TestHelpListsEveryVariable(t *testing.T) { sinktest.CheckHelp(t, writer()) }

// TestREADMEListsEveryVariable: the README's table and the writer's name the same variables.
func TestREADMEListsEveryVariable(t *testing.T) { sinktest.CheckREADME(t, writer(), "README.md") }
