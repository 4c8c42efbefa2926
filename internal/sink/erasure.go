package sink

import (
	"context"
	"log/slog"

	"github.com/footprint/footprint/internal/erasure"
	"github.com/prometheus/client_golang/prometheus"
)

// Erasures: the loop writes no event of an erased visitor or user. Before
// each batch is written, erasureStep brings the erasure view up to the
// erasure topic's end (erasure.View.Sync) and takes the subjects' events
// out of the batch; their offsets are still committed, so they are skipped
// for good. An erasure acknowledged by Kafka before that Sync began is
// therefore honoured by the write; one acknowledged later can meet a batch
// already past its Sync, which `footprint erase` covers by waiting for the
// writer groups to commit past the events topic's end and deleting once
// more (docs/operations.md, "An erasure request").

// openErasures opens the erasure view of cfg.ErasureTopic, nil when it is
// not set (nothing is filtered).
func openErasures(cfg Config, logger *slog.Logger) (*erasure.View, error) {
	if cfg.ErasureTopic == "" {
		return nil, nil
	}
	return erasure.Open(cfg.Brokers, cfg.ErasureTopic, logger)
}

// ErasedSkippedMetric is the counter of events not written because their
// subject was erased (replay reports it from the loop's registry).
const ErasedSkippedMetric = "footprint_writer_erased_skipped_total"

// newErasedCounter is the ErasedSkippedMetric counter.
func newErasedCounter(writer string) prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{
		Name: ErasedSkippedMetric, ConstLabels: prometheus.Labels{"writer": writer},
		Help: "Events not written because their visitor or user was erased (erasure topic).",
	})
}

// erasureStep syncs the erasure view and drops the batch's events of erased
// subjects. A view that cannot be synced stops the write (retried like a
// failing store): writing without it could store erased events.
func (l *Loop) erasureStep(r *retrier) (bool, error) {
	if l.erasures == nil {
		return true, nil
	}
	for {
		ctx, cancel := context.WithTimeout(context.Background(), l.cfg.WriteTimeout)
		err := l.erasures.Sync(ctx)
		cancel()
		if err == nil {
			break
		}
		if again, ferr := r.failed("erasure sync", err); !again {
			return false, ferr
		}
	}
	l.dropErased()
	return true, nil
}

// dropErased removes the erased subjects' events from the batch, keeping
// events and evMsgs aligned.
func (l *Loop) dropErased() {
	kept := 0
	for i, ev := range l.b.events {
		if l.erasures.Erased(ev) {
			continue
		}
		l.b.events[kept], l.b.evMsgs[kept] = ev, l.b.evMsgs[i]
		kept++
	}
	if skipped := len(l.b.events) - kept; skipped > 0 {
		clear(l.b.events[kept:])
		clear(l.b.evMsgs[kept:])
		l.b.events, l.b.evMsgs = l.b.events[:kept], l.b.evMsgs[:kept]
		l.erasedSkipped.Add(float64(skipped))
		l.log.Info("events of erased subjects not written", "events", skipped)
	}
}
