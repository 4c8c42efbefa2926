package rules

import (
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
)

func noEnv(string) string { return "" }

func TestDefaultRules(t *testing.T) {
	s, err := Load("", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	like := s.ForEvent("like_created")
	if like == nil || !like.Grouped() || like.Group.Window != 10*time.Minute {
		t.Fatalf("like rule: %+v", like)
	}
	if got := like.TextFor("Ada", "Hello", 5); got != "Ada and 4 others liked Hello" {
		t.Errorf("grouped text %q", got)
	}
	if got := like.TextFor("Ada", "Hello", 2); got != "Ada and 1 other liked Hello" {
		t.Errorf("grouped text %q", got)
	}
	if got := s.ForEvent("comment_created").TextFor("Ada", "Hello", 1); got != "Ada commented on Hello" {
		t.Errorf("comment text %q", got)
	}
}

func TestPlan(t *testing.T) {
	s, err := Load("", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	ev := func(user string, props map[string]string) *eventv1.Event {
		return &eventv1.Event{EventId: "0190A0B0-0000-7000-8000-000000000001", SiteId: "demo", Name: "comment_created", UserId: user,
			Properties: props, ReceivedAt: timestamppb.Now()}
	}
	a, skip := s.Plan(ev("u1", map[string]string{"recipient_user_id": "u2", "actor_name": "Ada", "post_title": "Hi"}))
	if skip != "" || a.Recipient != "u2" || a.ActorName != "Ada" || a.EventID != "0190a0b0-0000-7000-8000-000000000001" {
		t.Fatalf("plan: %+v %q", a, skip)
	}
	if !a.OccurredAt.Equal(a.ReceivedAt) {
		t.Errorf("occurred_at should default to received_at")
	}
	if _, skip := s.Plan(ev("u1", map[string]string{"recipient_user_id": "u1"})); skip != SkipSelf {
		t.Errorf("self: %q", skip)
	}
	if _, skip := s.Plan(ev("u1", map[string]string{"recipient_user_id": " "})); skip != SkipNoRecipient {
		t.Errorf("no recipient: %q", skip)
	}
	if a, skip := s.Plan(&eventv1.Event{Name: "page_view"}); a != nil || skip != "" {
		t.Errorf("page_view matched")
	}
}

func TestParseErrors(t *testing.T) {
	bad := []byte(`rules:
  - name: Bad Name
    event: x
    properties: {}
    group: {window: 1ms}
    channels: [sms, webhook]
    text: ""
    webhooks: [{name: a, url: "ftp://x", secret: nope}]
`)
	_, err := Parse(bad, noEnv)
	for _, want := range []error{ErrRuleName, ErrRecipient, ErrText, ErrWindow, ErrGroupObject, ErrChannel, ErrWebhook} {
		if !errors.Is(err, want) {
			t.Errorf("missing %v in %v", want, err)
		}
	}
	env := func(n string) string { return map[string]string{"HOOK_SECRET": "whsec_c2VjcmV0"}[n] }
	ok := []byte(`rules:
  - name: c
    event: comment_created
    properties: {recipient: r}
    text: "{actor}"
    channels: [webhook]
    webhooks: [{name: a, url: "http://127.0.0.1/x", secret_env: HOOK_SECRET}]
`)
	s, err := Parse(ok, env)
	if err != nil {
		t.Fatal(err)
	}
	if s.Webhooks()[0].Secret != "whsec_c2VjcmV0" {
		t.Errorf("secret_env not applied")
	}
}
