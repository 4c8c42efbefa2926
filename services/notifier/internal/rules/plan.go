package rules

import (
	"strings"
	"time"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
)

// Reasons an event matched by a rule makes no notification; the metric
// footprint_notifier_events_skipped_total counts them by reason.
const (
	SkipNoRecipient = "no_recipient"
	SkipSelf        = "self"
)

// Action is what one event asks of the inbox.
type Action struct {
	Rule        *Rule
	EventID     string // lower case
	SiteID      string
	Recipient   string
	ActorID     string // the event's user_id; empty when the app sent none
	ActorName   string
	ObjectID    string
	ObjectTitle string
	OccurredAt  time.Time
	ReceivedAt  time.Time
}

// Actor identifies the acting user for counting distinct actors: the user
// id, or the display name when the app sent no user id.
func (a *Action) Actor() string {
	if a.ActorID != "" {
		return a.ActorID
	}
	return a.ActorName
}

// Plan returns the action for ev, or a skip reason when a rule matched but
// nothing is to be sent; both are zero when no rule matches.
func (s *Set) Plan(ev *eventv1.Event) (*Action, string) {
	r := s.ForEvent(ev.GetName())
	if r == nil {
		return nil, ""
	}
	props := ev.GetProperties()
	a := &Action{
		Rule:        r,
		EventID:     strings.ToLower(ev.GetEventId()),
		SiteID:      ev.GetSiteId(),
		Recipient:   strings.TrimSpace(props[r.Properties.Recipient]),
		ActorID:     ev.GetUserId(),
		ActorName:   prop(props, r.Properties.ActorName),
		ObjectID:    prop(props, r.Properties.ObjectID),
		ObjectTitle: prop(props, r.Properties.ObjectTitle),
		OccurredAt:  ev.GetOccurredAt().AsTime(),
		ReceivedAt:  ev.GetReceivedAt().AsTime(),
	}
	if ev.GetOccurredAt() == nil {
		a.OccurredAt = a.ReceivedAt
	}
	if a.ActorName == "" {
		a.ActorName = a.ActorID
	}
	if a.ActorName == "" {
		a.ActorName = "Someone"
	}
	if a.ObjectTitle == "" {
		a.ObjectTitle = a.ObjectID
	}
	switch {
	case a.Recipient == "":
		return nil, SkipNoRecipient
	case a.ActorID != "" && a.ActorID == a.Recipient:
		return nil, SkipSelf
	}
	return a, ""
}

func prop(props map[string]string, name string) string {
	if name == "" {
		return ""
	}
	return strings.TrimSpace(props[name])
}
