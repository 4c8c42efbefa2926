package sink

import (
	"fmt"
	"log/slog"

	"github.com/footprint/footprint/internal/admin"
	"github.com/footprint/footprint/internal/erasure"
	"github.com/prometheus/client_golang/prometheus"
)

// opsState is what the operations features (issue 14) add to the loop: the
// erasure view with its counter (erasure.go) and the oldest-unwritten age
// (age.go). Loop embeds it; the hooks in the loop's files are one line each:
// New (newOpsState), Run (closeOps), flush (erasureStep), add
// (age.consumed), commitStep (age.committed) and rebalance (age.forget).
type opsState struct {
	erasures      *erasure.View // nil: no erasure topic configured
	erasedSkipped prometheus.Counter
	age           *ageTracker
}

// newOpsState opens the erasure view and registers the metrics on reg.
func newOpsState(cfg Config, reg prometheus.Registerer, logger *slog.Logger) (opsState, error) {
	s := opsState{erasedSkipped: newErasedCounter(cfg.Writer), age: newAgeTracker(cfg.Writer)}
	if err := admin.Register(reg, s.erasedSkipped, s.age); err != nil {
		return opsState{}, fmt.Errorf("register metrics: %w", err)
	}
	v, err := openErasures(cfg, logger)
	if err != nil {
		return opsState{}, err
	}
	s.erasures = v
	return s, nil
}

// closeOps closes the erasure view.
func (s opsState) closeOps() { s.erasures.Close() }
