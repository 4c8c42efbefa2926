package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	collectorv1 "github.com/footprint/footprint/gen/footprint/collector/v1"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/services/collector/internal/auth"
	"github.com/footprint/footprint/services/collector/internal/enrich"
	"github.com/footprint/footprint/services/collector/internal/validate"
)

// Errors of a whole ingest call; each front end maps them to its own protocol.
var (
	// ErrTooManyEvents: the call carries more events than the batch limit.
	ErrTooManyEvents = errors.New("too many events in one call")
	// ErrNotStored: Kafka did not acknowledge the accepted events; it wraps the
	// producer's error (producer.ErrQueueFull, producer.ErrClosed, ...).
	ErrNotStored = errors.New("events not acknowledged by Kafka")
)

// Pipeline is the collector's one ingest path: check ownership, validate,
// enrich, produce and wait for Kafka's acknowledgement. The gRPC service and the
// HTTP beacon both call it, so an event is treated the same whichever way it came.
type Pipeline struct {
	deps Deps
	enc  encoder
}

// NewPipeline builds the pipeline from the service's dependencies (Keyring is not used).
func NewPipeline(deps Deps) *Pipeline {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	return &Pipeline{deps: deps}
}

// IngestOptions are what the front end knows about the caller.
type IngestOptions struct {
	// Owns reports whether the caller may write events of a site.
	Owns func(site string) bool
	// PeerIP is the client's address, used for the cookieless visitor id only
	// (it is dropped before the event is produced unless the raw IP is kept).
	PeerIP string
	// DropBots drops events whose user agent is a bot or automation instead of
	// storing them flagged: browsers' beacons are not worth storing from bots.
	DropBots bool
}

// Batch is the outcome of one call: a result per event, in order. A dropped
// event's result has Outcome UNSPECIFIED.
type Batch struct {
	Results                     []*collectorv1.EventResult
	Accepted, Rejected, Dropped uint32
}

// Ingest runs events through the pipeline and returns once Kafka holds every
// accepted event. The error is ErrTooManyEvents, auth.ErrSiteNotAllowed or
// ErrNotStored (wrapped); rejected events are reported in the Batch.
func (p *Pipeline) Ingest(ctx context.Context, events []*eventv1.Event, opts IngestOptions) (Batch, error) {
	m := p.deps.Metrics
	m.received.Add(float64(len(events)))
	if limit := p.deps.Validator.MaxEventsPerBatch(); len(events) > limit {
		return Batch{}, fmt.Errorf("%w: %d events, more than the limit of %d", ErrTooManyEvents, len(events), limit)
	}
	// Ownership is checked for the whole call before anything is produced:
	// a key must not learn which of its events would have been valid.
	for i, ev := range events {
		if site := ev.GetSiteId(); site != "" && !opts.Owns(site) {
			return Batch{}, fmt.Errorf("event %d: %w: %q", i, auth.ErrSiteNotAllowed, validate.Truncate(site, 128))
		}
	}

	// Microseconds: the precision PostgreSQL keeps, so stores and Kafka agree.
	receivedAt := p.deps.Now().UTC().Truncate(time.Microsecond)
	b := Batch{Results: make([]*collectorv1.EventResult, len(events))}
	good := make([]*eventv1.Event, 0, len(events))
	for i, ev := range events {
		outcome, rej := p.deps.Validator.Prepare(ev, receivedAt)
		if rej == nil {
			p.deps.Enricher.EnrichWith(ev, enrich.Facts{PeerIP: opts.PeerIP, ReceivedAt: receivedAt,
				EventIDAssigned: outcome.EventIDAssigned, ClockClamped: outcome.ClockClamped,
				PageURL: outcome.PageURL, Referrer: outcome.Referrer})
			// Enrichment adds values (UTM from page.url): they get the writers' checks too.
			rej = p.deps.Validator.CheckEnriched(ev)
		}
		if rej != nil {
			b.Rejected++
			m.rejected.WithLabelValues(reasonLabel(rej.Reason)).Inc()
			b.Results[i] = rejectedResult(i, ev, rej)
			continue
		}
		if opts.DropBots && ev.GetEnrichment().GetIsBot() {
			b.Dropped++
			b.Results[i] = &collectorv1.EventResult{Index: uint32(i), EventId: ev.EventId}
			continue
		}
		good = append(good, ev)
		b.Accepted++
		b.Results[i] = &collectorv1.EventResult{
			Index:        uint32(i),
			EventId:      ev.EventId,
			Outcome:      collectorv1.Outcome_OUTCOME_ACCEPTED,
			ClockClamped: outcome.ClockClamped,
		}
	}
	m.accepted.Add(float64(b.Accepted))
	batch, err := p.enc.encode(good)
	if err != nil {
		return Batch{}, fmt.Errorf("%w: %w", ErrNotStored, err)
	}
	defer p.enc.release(batch.buf)
	if err := p.deps.Producer.ProduceBatch(ctx, batch.msgs); err != nil {
		p.deps.Logger.Warn("produce failed", "events", len(good), "err", err)
		return Batch{}, fmt.Errorf("%w: %w", ErrNotStored, err)
	}
	return b, nil
}
