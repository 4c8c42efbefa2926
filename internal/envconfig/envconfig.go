// Package envconfig maps FOOTPRINT_* environment variables onto config
// fields. Each service's main names its variables explicitly; this package
// only parses them and collects every malformed value, so one start-up error
// lists them all.
package envconfig

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"
)

// Reader reads variables through getenv; an unset or empty variable leaves
// the field at its default.
type Reader struct {
	getenv func(string) string
	errs   []error
}

// New returns a Reader over getenv (os.Getenv in main, a map in tests).
func New(getenv func(string) string) *Reader {
	return &Reader{getenv: getenv}
}

// String sets *dst to the variable's value.
func (r *Reader) String(name string, dst *string) {
	if v := r.getenv(name); v != "" {
		*dst = v
	}
}

// Int sets *dst to the variable parsed as a decimal integer.
func (r *Reader) Int(name string, dst *int) {
	if v := r.getenv(name); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			r.errs = append(r.errs, fmt.Errorf("%s: %w", name, err))
			return
		}
		*dst = n
	}
}

// Duration sets *dst to the variable parsed by time.ParseDuration.
func (r *Reader) Duration(name string, dst *time.Duration) {
	if v := r.getenv(name); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			r.errs = append(r.errs, fmt.Errorf("%s: %w", name, err))
			return
		}
		*dst = d
	}
}

// Bool sets *dst to the variable parsed by strconv.ParseBool (true, false, 1, 0, ...).
func (r *Reader) Bool(name string, dst *bool) {
	if v := r.getenv(name); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			r.errs = append(r.errs, fmt.Errorf("%s: %w", name, err))
			return
		}
		*dst = b
	}
}

// LogLevel sets *dst to the variable parsed as a slog level (debug, info, warn, error).
func (r *Reader) LogLevel(name string, dst *slog.Level) {
	if v := r.getenv(name); v != "" {
		if err := dst.UnmarshalText([]byte(v)); err != nil {
			r.errs = append(r.errs, fmt.Errorf("%s: %w", name, err))
		}
	}
}

// Err joins every parse error so far; nil when there was none.
func (r *Reader) Err() error {
	return errors.Join(r.errs...)
}
