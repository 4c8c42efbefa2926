package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrUnknownTarget is returned for a reason whose id names no target.
var ErrUnknownTarget = errors.New("reason for an unknown target id")

// ApplyReasons sets the reason of targets from text: one "id: reason" per
// line; blank lines and lines starting with # are skipped. A reason given
// here replaces the one the run wrote (e.g. "not measured: ...").
func (r *Report) ApplyReasons(text string) error {
	at := map[string]int{}
	for i, t := range r.Targets {
		at[t.ID] = i
	}
	var errs []error
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, reason, ok := strings.Cut(line, ":")
		id, reason = strings.TrimSpace(id), strings.TrimSpace(reason)
		i, known := at[id]
		if !ok || !known {
			errs = append(errs, fmt.Errorf("line %d %q: %w", n+1, id, ErrUnknownTarget))
			continue
		}
		r.Targets[i].Reason = reason
	}
	return errors.Join(errs...)
}

// Read reads a report from its latest.json, to render it again (e.g. with
// reasons added) without running the suite.
func Read(path string) (*Report, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	var r Report
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("decode report %s: %w", path, err)
	}
	return &r, nil
}
