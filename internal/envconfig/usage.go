package envconfig

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// Usage prints every variable with its default and help, as -help shows them.
func (vs Vars) Usage(w io.Writer) {
	for _, d := range vs.Docs() {
		def := d.Default
		if def == "" {
			def = "(empty)"
		}
		fmt.Fprintf(w, "  %s (default %s)\n        %s\n", d.Name, def, d.Help)
	}
}

// Args handles a service's command line. A service is configured by its
// environment only, so it takes no arguments but -h / -help (one or two
// dashes), which print the variables to stdout. It reports whether the
// process must exit now and with which code: 0 after the help, 2 for
// anything else on the command line (the error goes to stderr).
func (vs Vars) Args(name string, args []string, stdout, stderr io.Writer) (exit bool, code int) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the errors are printed below, once
	fs.Usage = func() {}
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprintf(stdout, "Usage: %s\n\n%s is configured by these environment variables:\n\n", name, name)
		vs.Usage(stdout)
		return true, 0
	case err != nil:
		fmt.Fprintf(stderr, "%s: %v (try -help)\n", name, err)
		return true, 2
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "%s: unexpected arguments %q: configuration comes from the environment (try -help)\n", name, fs.Args())
		return true, 2
	}
	return false, 0
}
