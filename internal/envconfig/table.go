// Package envconfig is the one way a Footprint service reads its FOOTPRINT_*
// environment variables: a declarative table (Vars) whose entries bind a
// variable to a config field with its help, its default (the field's value
// when the table is built) and its validators. The table applies the
// environment, collecting every malformed value so one start-up error lists
// them all, and prints the -help of the service.
package envconfig

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// ErrLogLevel: a log level other than the four names the services document.
var ErrLogLevel = errors.New("log level must be debug, info, warn or error")

// Doc is what -help prints of a variable and what a README row lists.
type Doc struct {
	Name string
	// Default is the field's value when the table was built, as the
	// variable would spell it.
	Default string
	Help    string
}

// Var is one variable of a table; String, Int, Duration, Bool and LogLevel
// build them.
type Var interface {
	Doc() Doc
	// apply sets the field from lookup. It reports whether the variable
	// was set (derived defaults run only for unset ones).
	apply(lookup func(string) (string, bool)) (set bool, err error)
	derive()
}

// Entry is a variable bound to a config field of type T: its name, help,
// the default (the field's value when the entry is built), a parser and
// optional validators of the parsed value.
type Entry[T any] struct {
	doc     Doc
	dst     *T
	parse   func(string) (T, error)
	checks  []func(T) error
	empty   bool
	derived func() T
}

func entry[T any](name string, dst *T, help string, parse func(string) (T, error), format func(T) string) *Entry[T] {
	return &Entry[T]{doc: Doc{Name: name, Default: format(*dst), Help: help}, dst: dst, parse: parse}
}

// Check adds a validator of the variable's parsed value. Its error (a named
// one, the same the config's Validate returns) is reported with the
// variable's name, and the field keeps its default.
func (e *Entry[T]) Check(fn func(T) error) *Entry[T] {
	e.checks = append(e.checks, fn)
	return e
}

// EmptyIsValue makes a variable set to the empty string set the field to
// its zero value (a password that is empty on purpose). Without it, an
// empty variable counts as unset, so `FOO=` keeps the default.
func (e *Entry[T]) EmptyIsValue() *Entry[T] {
	e.empty = true
	return e
}

// DefaultFrom derives the field's value when the variable is unset, after
// every other variable of the table is applied: a default that follows
// another variable (the dead-letter topic is the topic plus ".dlq").
func (e *Entry[T]) DefaultFrom(fn func() T) *Entry[T] {
	e.derived = fn
	return e
}

// Doc returns the variable's name, default and help.
func (e *Entry[T]) Doc() Doc { return e.doc }

func (e *Entry[T]) apply(lookup func(string) (string, bool)) (bool, error) {
	raw, ok := lookup(e.doc.Name)
	if !ok || (raw == "" && !e.empty) {
		return false, nil
	}
	v, err := e.parse(raw)
	if err != nil {
		return true, fmt.Errorf("%s=%q: %w", e.doc.Name, raw, err)
	}
	for _, check := range e.checks {
		if err := check(v); err != nil {
			return true, fmt.Errorf("%s=%q: %w", e.doc.Name, raw, err)
		}
	}
	*e.dst = v
	return true, nil
}

func (e *Entry[T]) derive() {
	if e.derived != nil {
		*e.dst = e.derived()
	}
}

// String binds a text variable to dst.
func String(name string, dst *string, help string) *Entry[string] {
	return entry(name, dst, help, func(s string) (string, error) { return s, nil }, func(s string) string { return s })
}

// Int binds a decimal integer variable to dst.
func Int(name string, dst *int, help string) *Entry[int] {
	return entry(name, dst, help, func(s string) (int, error) {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return 0, fmt.Errorf("not an integer: %w", err)
		}
		return n, nil
	}, strconv.Itoa)
}

// Duration binds a variable parsed by time.ParseDuration (500ms, 30s, 1h) to dst.
func Duration(name string, dst *time.Duration, help string) *Entry[time.Duration] {
	return entry(name, dst, help, func(s string) (time.Duration, error) {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return 0, fmt.Errorf("not a duration (like 500ms, 30s): %w", err)
		}
		return d, nil
	}, time.Duration.String)
}

// Bool binds a variable parsed by strconv.ParseBool (true, false, 1, 0) to dst.
func Bool(name string, dst *bool, help string) *Entry[bool] {
	return entry(name, dst, help, func(s string) (bool, error) {
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return false, fmt.Errorf("not a boolean: %w", err)
		}
		return b, nil
	}, strconv.FormatBool)
}

// LogLevel binds a log level variable to dst: debug, info, warn or error,
// in any case (slog's own parser would also take "info+2"). It is parsed
// here, once; the service uses the slog.Level as it is.
func LogLevel(name string, dst *slog.Level, help string) *Entry[slog.Level] {
	return entry(name, dst, help, func(s string) (slog.Level, error) {
		var l slog.Level
		switch t := strings.ToLower(strings.TrimSpace(s)); t {
		case "debug", "info", "warn", "error":
			return l, l.UnmarshalText([]byte(t))
		}
		return l, ErrLogLevel
	}, func(l slog.Level) string { return strings.ToLower(l.String()) })
}

// Vars is a service's table of variables, in the order -help prints them.
type Vars []Var

// Apply sets every variable that lookup finds (os.LookupEnv in a main, a
// map in tests), then the derived defaults of the unset ones. A malformed
// value or a failed check leaves its field at the default; every such error
// is returned, each naming its variable, joined with errors.Join.
func (vs Vars) Apply(lookup func(string) (string, bool)) error {
	var errs []error
	var unset []Var
	for _, v := range vs {
		set, err := v.apply(lookup)
		if err != nil {
			errs = append(errs, err)
		}
		if !set {
			unset = append(unset, v)
		}
	}
	for _, v := range unset {
		v.derive()
	}
	return errors.Join(errs...)
}

// Docs returns the name, default and help of every variable.
func (vs Vars) Docs() []Doc {
	docs := make([]Doc, len(vs))
	for i, v := range vs {
		docs[i] = v.Doc()
	}
	return docs
}

// Names returns the names of the variables, in table order.
func (vs Vars) Names() []string {
	names := make([]string, len(vs))
	for i, v := range vs {
		names[i] = v.Doc().Name
	}
	return names
}

// Getenv turns a getenv function into a lookup for Apply: an empty value
// counts as unset (so EmptyIsValue has no effect through it).
func Getenv(getenv func(string) string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v := getenv(name)
		return v, v != ""
	}
}
