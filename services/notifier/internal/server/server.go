// Package server is footprint.notifier.v1.NotificationService: the edge
// where requests are checked, keys authorised and errors become gRPC codes.
package server

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	notifierv1 "github.com/footprint/footprint/gen/footprint/notifier/v1"
	"github.com/footprint/footprint/services/notifier/internal/auth"
	"github.com/footprint/footprint/services/notifier/internal/hub"
	"github.com/footprint/footprint/services/notifier/internal/inbox"
	"github.com/footprint/footprint/services/notifier/internal/metrics"
)

// Limits of the API.
const (
	defaultPageSize = 50
	maxPageSize     = 200
	maxIDLength     = 256
	// changesPage is how many changes a Subscribe stream reads per query.
	changesPage = 200
	// resyncEvery bounds how long a stream waits without a signal before it
	// reads its changes anyway (a safety net; signals normally come first).
	resyncEvery = 30 * time.Second
)

// Inbox is what the service reads and changes.
type Inbox interface {
	List(ctx context.Context, u inbox.User, limit int, before int64, unreadOnly bool) ([]inbox.Notification, error)
	Changes(ctx context.Context, u inbox.User, after int64, limit int) ([]inbox.Notification, error)
	UnreadCount(ctx context.Context, u inbox.User) (int64, error)
	MarkRead(ctx context.Context, u inbox.User, ids []int64, all bool) (int64, error)
}

// Service implements NotificationService.
type Service struct {
	notifierv1.UnimplementedNotificationServiceServer
	keys  *auth.Keyring
	inbox Inbox
	hub   *hub.Hub
	m     *metrics.Metrics
	log   *slog.Logger
}

// New builds the service.
func New(keys *auth.Keyring, in Inbox, h *hub.Hub, m *metrics.Metrics, logger *slog.Logger) *Service {
	return &Service{keys: keys, inbox: in, hub: h, m: m, log: logger}
}

// user checks the site and user of a request and the caller's key.
func (s *Service) user(ctx context.Context, site, user string) (inbox.User, error) {
	switch {
	case site == "" || len(site) > maxIDLength:
		return inbox.User{}, status.Error(codes.InvalidArgument, "site_id: required, at most 256 bytes")
	case user == "" || len(user) > maxIDLength:
		return inbox.User{}, status.Error(codes.InvalidArgument, "user_id: required, at most 256 bytes")
	}
	md, _ := metadata.FromIncomingContext(ctx)
	if err := s.keys.Authorize(md, site); err != nil {
		if errors.Is(err, auth.ErrForbidden) {
			return inbox.User{}, status.Error(codes.PermissionDenied, err.Error())
		}
		return inbox.User{}, status.Error(codes.Unauthenticated, err.Error())
	}
	return inbox.User{SiteID: site, UserID: user}, nil
}

// storeErr maps an inbox failure to a status.
func (s *Service) storeErr(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return status.FromContextError(ctx.Err()).Err()
	}
	s.log.Warn("inbox call failed", "op", op, "err", err)
	return status.Error(codes.Unavailable, "inbox unavailable")
}

// ListNotifications lists one page, most recently changed first.
func (s *Service) ListNotifications(ctx context.Context, req *notifierv1.ListNotificationsRequest) (*notifierv1.ListNotificationsResponse, error) {
	u, err := s.user(ctx, req.GetSiteId(), req.GetUserId())
	if err != nil {
		return nil, err
	}
	size := int(req.GetPageSize())
	switch {
	case size == 0:
		size = defaultPageSize
	case size < 0 || size > maxPageSize:
		return nil, status.Error(codes.InvalidArgument, "page_size: between 1 and 200, or 0 for 50")
	}
	var before int64
	if t := req.GetPageToken(); t != "" {
		if before, err = strconv.ParseInt(t, 10, 64); err != nil || before <= 0 {
			return nil, status.Error(codes.InvalidArgument, "page_token: not a token of this API")
		}
	}
	list, err := s.inbox.List(ctx, u, size+1, before, req.GetUnreadOnly())
	if err != nil {
		return nil, s.storeErr(ctx, "list", err)
	}
	resp := &notifierv1.ListNotificationsResponse{}
	if len(list) > size {
		list = list[:size]
		resp.NextPageToken = strconv.FormatInt(list[size-1].Seq, 10)
	}
	for _, n := range list {
		resp.Notifications = append(resp.Notifications, toProto(n))
	}
	return resp, nil
}

// UnreadCount counts unread notifications.
func (s *Service) UnreadCount(ctx context.Context, req *notifierv1.UnreadCountRequest) (*notifierv1.UnreadCountResponse, error) {
	u, err := s.user(ctx, req.GetSiteId(), req.GetUserId())
	if err != nil {
		return nil, err
	}
	n, err := s.inbox.UnreadCount(ctx, u)
	if err != nil {
		return nil, s.storeErr(ctx, "unread count", err)
	}
	return &notifierv1.UnreadCountResponse{Count: n}, nil
}

// MarkRead marks notifications read.
func (s *Service) MarkRead(ctx context.Context, req *notifierv1.MarkReadRequest) (*notifierv1.MarkReadResponse, error) {
	u, err := s.user(ctx, req.GetSiteId(), req.GetUserId())
	if err != nil {
		return nil, err
	}
	if !req.GetAll() && len(req.GetIds()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "ids: give ids or set all")
	}
	if len(req.GetIds()) > 1000 {
		return nil, status.Error(codes.InvalidArgument, "ids: at most 1000")
	}
	n, err := s.inbox.MarkRead(ctx, u, req.GetIds(), req.GetAll())
	if err != nil {
		return nil, s.storeErr(ctx, "mark read", err)
	}
	return &notifierv1.MarkReadResponse{Marked: n}, nil
}

// Subscribe sends the changes after the cursor, then live ones. The stream
// registers with the hub before its first read, so a change committed
// between the read and the wait still signals it.
func (s *Service) Subscribe(req *notifierv1.SubscribeRequest, stream notifierv1.NotificationService_SubscribeServer) error {
	ctx := stream.Context()
	u, err := s.user(ctx, req.GetSiteId(), req.GetUserId())
	if err != nil {
		return err
	}
	var cursor int64
	if c := req.GetCursor(); c != "" {
		if cursor, err = strconv.ParseInt(c, 10, 64); err != nil || cursor < 0 {
			return status.Error(codes.InvalidArgument, "cursor: not a cursor of this API")
		}
	}
	sub := s.hub.Register(u)
	defer s.hub.Unregister(sub)
	// Headers now tell the client it is subscribed: every change from here
	// on reaches it, even one committed before the first read below.
	if err := stream.SendHeader(metadata.MD{}); err != nil {
		return err
	}
	resync := time.NewTimer(resyncEvery)
	defer resync.Stop()
	for {
		changes, err := s.inbox.Changes(ctx, u, cursor, changesPage)
		if err != nil {
			return s.storeErr(ctx, "changes", err)
		}
		for _, n := range changes {
			if err := stream.Send(&notifierv1.SubscribeResponse{Notification: toProto(n), Cursor: strconv.FormatInt(n.Seq, 10)}); err != nil {
				return err
			}
			s.m.Pushed.Inc()
			cursor = n.Seq
		}
		if len(changes) == changesPage {
			continue
		}
		resync.Reset(resyncEvery)
		select {
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		case <-sub.C:
		case <-resync.C:
		}
	}
}

func toProto(n inbox.Notification) *notifierv1.Notification {
	return &notifierv1.Notification{
		Id: n.ID, SiteId: n.SiteID, UserId: n.UserID, Rule: n.Rule, EventName: n.EventName, Text: n.Text,
		ActorName: n.ActorName, ActorCount: n.ActorCount, ObjectId: n.ObjectID, ObjectTitle: n.ObjectTitle,
		CreatedAt: timestamppb.New(n.CreatedAt), UpdatedAt: timestamppb.New(n.UpdatedAt), Read: n.Read, Sequence: n.Seq,
	}
}
