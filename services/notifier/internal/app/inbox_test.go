package app_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	notifierv1 "github.com/footprint/footprint/gen/footprint/notifier/v1"
	nt "github.com/footprint/footprint/services/notifier/internal/notifiertest"
)

// Likes of one post for one recipient group within 10 minutes of the
// group's first like (by occurred_at); a like at exactly +10m opens a new
// group; a like of another post is its own group.
func TestGroupingAcrossTheWindowBoundary(t *testing.T) {
	e := nt.New(t)
	e.Start("", nil)
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	like := func(actor, name, post string, at time.Duration) nt.Action {
		return nt.Action{Name: "like_created", Actor: actor, ActorName: name, Recipient: "grace", PostID: post, Title: "Post " + post, At: t0.Add(at)}
	}
	// One producer call per step keeps the order of the steps (the
	// partitions are keyed by actor, so one batch could interleave them).
	steps := []nt.Action{
		like("ada", "Ada", "p1", 0),
		like("bob", "Bob", "p1", 5*time.Minute),
		like("cy", "Cy", "p1", 10*time.Minute-time.Second), // last second of the window
		like("dee", "Dee", "p1", 10*time.Minute),           // boundary: new group
		like("eve", "Eve", "p2", time.Minute),              // other post
		like("bob", "Bob", "p1", 6*time.Minute),            // Bob again: not a new actor
	}
	for i, a := range steps {
		e.Produce(nt.Event(a))
		want := []int{1, 1, 1, 2, 3, 3}[i]
		nt.Eventually(t, 20*time.Second, func() string {
			if n := e.Query("SELECT count(*) FROM notifier.sources"); n != int64(i+1) {
				return fmt.Sprintf("step %d: %d sources", i, n)
			}
			if n := len(e.List("grace")); n != want {
				return fmt.Sprintf("step %d: %d notifications, want %d", i, n, want)
			}
			return ""
		})
	}
	texts := map[string]int32{}
	for _, n := range e.List("grace") {
		texts[n.GetText()] = n.GetActorCount()
	}
	want := map[string]int32{"Cy and 2 others liked Post p1": 3, "Dee liked Post p1": 1, "Eve liked Post p2": 1}
	if fmt.Sprint(texts) != fmt.Sprint(want) {
		t.Fatalf("notifications %v, want %v", texts, want)
	}
}

// No one is notified of their own action; an event without a recipient is
// skipped; both are counted by reason.
func TestSelfActionsAndMissingRecipients(t *testing.T) {
	e := nt.New(t)
	e.Start("", nil)
	e.Produce(
		nt.Event(nt.Action{Name: "comment_created", Actor: "grace", ActorName: "Grace", Recipient: "grace", PostID: "p1", Title: "Mine"}),
		nt.Event(nt.Action{Name: "like_created", Actor: "grace", ActorName: "Grace", Recipient: "grace", PostID: "p1", Title: "Mine"}),
		nt.Event(nt.Action{Name: "comment_created", Actor: "ada", ActorName: "Ada", PostID: "p1", Title: "Mine"}),
		nt.Event(nt.Action{Name: "comment_created", Actor: "ada", ActorName: "Ada", Recipient: "grace", PostID: "p1", Title: "Mine"}),
	)
	nt.Eventually(t, 20*time.Second, func() string {
		m := e.Metrics()
		for _, series := range []string{
			`footprint_notifier_events_skipped_total{reason="self",rule="comment_created"} 1`,
			`footprint_notifier_events_skipped_total{reason="self",rule="like_created"} 1`,
			`footprint_notifier_events_skipped_total{reason="no_recipient",rule="comment_created"} 1`,
			`footprint_notifier_notifications_created_total{kind="new",rule="comment_created"} 1`,
		} {
			if !strings.Contains(m, series) {
				return "metrics lack " + series
			}
		}
		return ""
	})
	list := e.List("grace")
	if len(list) != 1 || list[0].GetText() != "Ada commented on Mine" {
		t.Fatalf("grace's inbox: %s", nt.Describe(list))
	}
	if n := e.Query("SELECT count(*) FROM notifier.notifications"); n != 1 {
		t.Fatalf("%d notifications in the inbox, want 1", n)
	}
}

// A redelivered event (same event_id) never makes a second notification
// or group member.
func TestRedeliveredEventsChangeNothing(t *testing.T) {
	e := nt.New(t)
	e.Start("", nil)
	comment := nt.Event(nt.Action{Name: "comment_created", Actor: "ada", ActorName: "Ada", Recipient: "grace", PostID: "p1", Title: "T"})
	like1 := nt.Event(nt.Action{Name: "like_created", Actor: "ada", ActorName: "Ada", Recipient: "grace", PostID: "p1", Title: "T"})
	like2 := nt.Event(nt.Action{Name: "like_created", Actor: "bob", ActorName: "Bob", Recipient: "grace", PostID: "p1", Title: "T"})
	e.Produce(comment, like1, like2)
	nt.Eventually(t, 20*time.Second, func() string {
		if n := e.Query("SELECT count(*) FROM notifier.sources"); n != 3 {
			return fmt.Sprintf("%d sources", n)
		}
		return ""
	})
	before := e.Query("SELECT max(seq) FROM notifier.notifications")
	e.Produce(comment, like2, like1)
	nt.Eventually(t, 20*time.Second, func() string {
		if !strings.Contains(e.Metrics(), "footprint_notifier_events_duplicate_total 3") {
			return "the redeliveries were not seen yet"
		}
		return ""
	})
	list := e.List("grace")
	if len(list) != 2 || e.Query("SELECT count(*) FROM notifier.notifications") != 2 {
		t.Fatalf("inbox after redelivery: %s", nt.Describe(list))
	}
	if after := e.Query("SELECT max(seq) FROM notifier.notifications"); after != before {
		t.Fatalf("redelivery changed the inbox (seq %d -> %d)", before, after)
	}
	for _, n := range list {
		if n.GetRule() == "like_created" && n.GetActorCount() != 2 {
			t.Fatalf("like group has %d actors, want 2", n.GetActorCount())
		}
	}
}

// A Subscribe client that disconnects and resumes from its last cursor
// gets every change it missed, once, in order; then live ones.
func TestSubscribeResumesAfterADisconnect(t *testing.T) {
	e := nt.New(t)
	e.Start("", nil)
	comment := func(i int) nt.Action {
		return nt.Action{Name: "comment_created", Actor: fmt.Sprintf("u%d", i), ActorName: fmt.Sprintf("User %d", i), Recipient: "grace", PostID: "p", Title: fmt.Sprintf("c%d", i)}
	}
	client := e.Client()
	ctx, cancel := context.WithCancel(nt.Authed(context.Background()))
	stream, err := client.Subscribe(ctx, &notifierv1.SubscribeRequest{SiteId: nt.Site, UserId: "grace"})
	if err != nil {
		t.Fatal(err)
	}
	e.Produce(nt.Event(comment(1)), nt.Event(comment(2)))
	var got []string
	cursor := ""
	for len(got) < 2 {
		m, err := stream.Recv()
		if err != nil {
			t.Fatalf("recv: %v", err)
		}
		got = append(got, m.GetNotification().GetObjectTitle())
		cursor = m.GetCursor()
	}
	cancel() // disconnect
	for i := 3; i <= 6; i++ {
		e.Produce(nt.Event(comment(i)))
	}
	nt.Eventually(t, 20*time.Second, func() string {
		if n := len(e.List("grace")); n != 6 {
			return fmt.Sprintf("%d notifications", n)
		}
		return ""
	})
	ctx2, cancel2 := context.WithTimeout(nt.Authed(context.Background()), 30*time.Second)
	defer cancel2()
	stream, err = client.Subscribe(ctx2, &notifierv1.SubscribeRequest{SiteId: nt.Site, UserId: "grace", Cursor: cursor})
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	for len(got) < 6 {
		m, err := stream.Recv()
		if err != nil {
			t.Fatalf("recv after resume: %v (got %v)", err, got)
		}
		got = append(got, m.GetNotification().GetObjectTitle())
		seqs = append(seqs, m.GetNotification().GetSequence())
	}
	e.Produce(nt.Event(comment(7))) // live after the backlog
	m, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, m.GetNotification().GetObjectTitle())
	seen := map[string]bool{}
	for _, title := range got {
		if seen[title] {
			t.Fatalf("%s received twice: %v", title, got)
		}
		seen[title] = true
	}
	if len(seen) != 7 || got[6] != "c7" {
		t.Fatalf("received %v, want c1..c7 once each, c7 last", got)
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Fatalf("cursor order broken: %v", seqs)
		}
	}
}

// The API refuses calls without a key, with an unknown key, or for a site
// the key does not own; it answers UnreadCount and MarkRead for the owner.
func TestAPIAuthAndReadState(t *testing.T) {
	e := nt.New(t)
	e.Start("", nil)
	e.Produce(nt.Event(nt.Action{Name: "comment_created", Actor: "ada", ActorName: "Ada", Recipient: "grace", PostID: "p", Title: "T"}),
		nt.Event(nt.Action{Name: "comment_created", Actor: "bob", ActorName: "Bob", Recipient: "grace", PostID: "p", Title: "T"}))
	c := e.Client()
	ctx := nt.Authed(context.Background())
	nt.Eventually(t, 20*time.Second, func() string {
		r, err := c.UnreadCount(ctx, &notifierv1.UnreadCountRequest{SiteId: nt.Site, UserId: "grace"})
		if err != nil || r.GetCount() != 2 {
			return fmt.Sprintf("unread %v %v", r.GetCount(), err)
		}
		return ""
	})
	list := e.List("grace")
	r, err := c.MarkRead(ctx, &notifierv1.MarkReadRequest{SiteId: nt.Site, UserId: "grace", Ids: []int64{list[0].GetId()}})
	if err != nil || r.GetMarked() != 1 {
		t.Fatalf("mark read: %v %v", r, err)
	}
	// Another user's id is ignored.
	if r, err := c.MarkRead(ctx, &notifierv1.MarkReadRequest{SiteId: nt.Site, UserId: "ada", Ids: []int64{list[1].GetId()}}); err != nil || r.GetMarked() != 0 {
		t.Fatalf("mark read of another user's notification: %v %v", r, err)
	}
	if u, err := c.UnreadCount(ctx, &notifierv1.UnreadCountRequest{SiteId: nt.Site, UserId: "grace"}); err != nil || u.GetCount() != 1 {
		t.Fatalf("unread after mark: %v %v", u, err)
	}
	unread, err := c.ListNotifications(ctx, &notifierv1.ListNotificationsRequest{SiteId: nt.Site, UserId: "grace", UnreadOnly: true})
	if err != nil || len(unread.GetNotifications()) != 1 || unread.GetNotifications()[0].GetId() != list[1].GetId() {
		t.Fatalf("unread list: %v %v", unread, err)
	}
	page, err := c.ListNotifications(ctx, &notifierv1.ListNotificationsRequest{SiteId: nt.Site, UserId: "grace", PageSize: 1})
	if err != nil || len(page.GetNotifications()) != 1 || page.GetNextPageToken() == "" {
		t.Fatalf("first page: %v %v", page, err)
	}
	page2, err := c.ListNotifications(ctx, &notifierv1.ListNotificationsRequest{SiteId: nt.Site, UserId: "grace", PageSize: 1, PageToken: page.GetNextPageToken()})
	if err != nil || len(page2.GetNotifications()) != 1 || page2.GetNotifications()[0].GetId() == page.GetNotifications()[0].GetId() {
		t.Fatalf("second page: %v %v", page2, err)
	}
	for _, tc := range []struct {
		ctx  context.Context
		site string
		want codes.Code
	}{
		{context.Background(), nt.Site, codes.Unauthenticated},
		{metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer wrong"), nt.Site, codes.Unauthenticated},
		{ctx, "other-site", codes.PermissionDenied},
	} {
		_, err := c.UnreadCount(tc.ctx, &notifierv1.UnreadCountRequest{SiteId: tc.site, UserId: "grace"})
		if status.Code(err) != tc.want {
			t.Errorf("site %s: got %v, want %v", tc.site, err, tc.want)
		}
		stream, err := c.Subscribe(tc.ctx, &notifierv1.SubscribeRequest{SiteId: tc.site, UserId: "grace"})
		if err == nil {
			_, err = stream.Recv()
		}
		if status.Code(err) != tc.want || errors.Is(err, io.EOF) {
			t.Errorf("subscribe site %s: got %v, want %v", tc.site, err, tc.want)
		}
	}
	if _, err := c.ListNotifications(ctx, &notifierv1.ListNotificationsRequest{SiteId: nt.Site, UserId: "grace", PageToken: "x"}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("bad token: %v", err)
	}
}
