// Package cli holds the notifier's two small tools: notifier-watch (print a
// user's Subscribe stream) and notifier-bench (latency from the collector's
// Ingest acknowledgement to a Subscribe client receiving the notification).
package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	notifierv1 "github.com/footprint/footprint/gen/footprint/notifier/v1"
)

// WatchOptions configure Watch.
type WatchOptions struct {
	Addr, Key, Site, User string
	// FromNow starts after the user's newest notification instead of
	// replaying the inbox.
	FromNow bool
	// Count stops after this many messages (0: never).
	Count int
	// Timeout stops after this long (0: never).
	Timeout time.Duration
	// Idle stops this long after the last message, once one arrived (0: never).
	Idle time.Duration
	// Ready is called once the stream is open (may be nil).
	Ready func()
}

// Dial connects to a plaintext gRPC address (the local stack's services).
func Dial(addr string) (*grpc.ClientConn, error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	return conn, nil
}

// WithKey returns ctx carrying `authorization: Bearer key`.
func WithKey(ctx context.Context, key string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+key)
}

// Watch prints the user's Subscribe stream to w, one line per message. It
// returns nil when Count messages arrived, or when Timeout passed and
// Count is 0.
func Watch(ctx context.Context, o WatchOptions, w io.Writer) error {
	conn, err := Dial(o.Addr)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	client := notifierv1.NewNotificationServiceClient(conn)
	ctx = WithKey(ctx, o.Key)
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	cursor := ""
	if o.FromNow {
		page, err := client.ListNotifications(ctx, &notifierv1.ListNotificationsRequest{SiteId: o.Site, UserId: o.User, PageSize: 1})
		if err != nil {
			return fmt.Errorf("list: %w", err)
		}
		if n := page.GetNotifications(); len(n) > 0 {
			cursor = fmt.Sprint(n[0].GetSequence())
		}
	}
	stream, err := client.Subscribe(ctx, &notifierv1.SubscribeRequest{SiteId: o.Site, UserId: o.User, Cursor: cursor})
	if err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	if _, err := stream.Header(); err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	if o.Ready != nil {
		o.Ready()
	}
	msgs := make(chan *notifierv1.SubscribeResponse)
	errc := make(chan error, 1)
	go func() {
		for {
			m, err := stream.Recv()
			if err != nil {
				errc <- err
				return
			}
			msgs <- m
		}
	}()
	var idle <-chan time.Time
	for seen := 0; o.Count == 0 || seen < o.Count; seen++ {
		select {
		case err := <-errc:
			if o.Count == 0 && status.Code(err) == codes.DeadlineExceeded {
				return nil
			}
			return fmt.Errorf("after %d messages: %w", seen, err)
		case <-idle:
			return nil
		case m := <-msgs:
			printMessage(w, m)
			if o.Idle > 0 {
				idle = time.After(o.Idle)
			}
		}
	}
	return nil
}

func printMessage(w io.Writer, m *notifierv1.SubscribeResponse) {
	n := m.GetNotification()
	state := "unread"
	if n.GetRead() {
		state = "read"
	}
	_, _ = fmt.Fprintf(w, "  cursor %-6s #%-5d %-15s %-6s %s\n", m.GetCursor(), n.GetId(), n.GetRule(), state, n.GetText())
}
