// Package cli is the footprint command: subcommand dispatch, flags, and the
// wiring of configuration, Kafka and the stores into the packages that do
// the work. Run returns the exit status.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/footprint/footprint/cmd/footprint/internal/config"
)

// Exit statuses.
const (
	ExitOK          = 0
	ExitDiffer      = 1 // consistency: the stores differ
	ExitUsage       = 2 // bad flags or configuration
	ExitFailed      = 3 // the operation failed
	ExitInterrupted = 130
)

// Env is the command's outside world.
type Env struct {
	Getenv func(string) string
	Stdout io.Writer
	Stderr io.Writer
	Now    func() time.Time
	// Logger: nil logs JSON to Stderr at FOOTPRINT_LOG_LEVEL.
	Logger *slog.Logger
}

// errUsage marks an error the user can fix by calling differently.
var errUsage = errors.New("usage")

const usage = `footprint: operations for the Footprint pipeline

  footprint consistency --site S --from YYYY-MM-DD --to YYYY-MM-DD [--samples N]
  footprint lag [--json] [--group G ...]
  footprint replay --store postgres|clickhouse (--from-beginning | --from TIME) [--rebuild] [--group G]
  footprint erase --site S (--visitor V | --user U) --operator NAME [--wait D] [--writer-group G ...]
  footprint dlq list
  footprint dlq show PARTITION:OFFSET
  footprint dlq redrive [--topic T] PARTITION:OFFSET ...

Exit status: 0 done (stores agree), 1 the stores differ, 2 usage, 3 failed, 130 interrupted.
docs/operations.md has the runbook.

Kafka and the stores come from the services' variables (replay also reads the writers'
FOOTPRINT_WRITER_* variables: pg-writer -help):

`

// printUsage prints the usage and the variables with their defaults.
func printUsage(w io.Writer) {
	def := config.Default()
	fmt.Fprint(w, usage)
	def.Vars().Usage(w)
}

type command func(ctx context.Context, app *app, args []string) (int, error)

// commands are the subcommands by name.
func commands() map[string]command {
	return map[string]command{
		"consistency": runConsistency,
		"lag":         runLag,
		"replay":      runReplay,
		"erase":       runErase,
		"dlq":         runDLQ,
	}
}

// app is what every subcommand gets: the environment and the configuration.
type app struct {
	Env
	cfg config.Config
}

// Run runs the command line args (without the program name).
func Run(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		printUsage(env.Stdout)
		return ExitOK
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "footprint: unknown command %q\n\n", args[0])
		printUsage(env.Stderr)
		return ExitUsage
	}
	cfg, err := config.FromEnv(env.Getenv)
	if err := errors.Join(err, cfg.Validate()); err != nil {
		fmt.Fprintf(env.Stderr, "footprint: config: %v\n", err)
		return ExitUsage
	}
	if env.Logger == nil {
		env.Logger = slog.New(slog.NewJSONHandler(env.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	}
	code, err := cmd(ctx, &app{Env: env, cfg: cfg}, args[1:])
	switch {
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.Is(err, errUsage):
		fmt.Fprintf(env.Stderr, "footprint %s: %v\n", args[0], err)
		return ExitUsage
	case err != nil:
		fmt.Fprintf(env.Stderr, "footprint %s: %v\n", args[0], err)
		if code == ExitOK {
			code = ExitFailed
		}
	}
	return code
}

// flags is a flag set that reports errors instead of exiting.
func flags(a *app, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("footprint "+name, flag.ContinueOnError)
	fs.SetOutput(a.Stderr)
	return fs
}

// parse parses args and marks a parse error as a usage error.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	return nil
}

// usageErr is a usage error with a message.
func usageErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, a...))
}

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }
