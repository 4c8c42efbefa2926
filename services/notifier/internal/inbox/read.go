package inbox

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// User names one inbox.
type User struct {
	SiteID, UserID string
}

// List returns up to limit notifications of u listed in the inbox, the most
// recently changed first, with seq below before (0: from the newest).
func (s *Store) List(ctx context.Context, u User, limit int, before int64, unreadOnly bool) ([]Notification, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM notifications
		WHERE site_id = $1 AND user_id = $2 AND in_inbox AND ($3 = 0 OR seq < $3) AND (NOT $4 OR read_at IS NULL)
		ORDER BY seq DESC LIMIT $5`, u.SiteID, u.UserID, before, unreadOnly, limit)
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	return collect(rows)
}

// Changes returns up to limit notifications of u changed after seq, oldest
// change first: what a Subscribe stream sends after its cursor.
func (s *Store) Changes(ctx context.Context, u User, after int64, limit int) ([]Notification, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM notifications
		WHERE site_id = $1 AND user_id = $2 AND in_inbox AND seq > $3 ORDER BY seq LIMIT $4`, u.SiteID, u.UserID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("notification changes: %w", err)
	}
	return collect(rows)
}

func collect(rows pgx.Rows) ([]Notification, error) {
	defer rows.Close()
	var out []Notification
	for rows.Next() {
		n, err := scanNotification(rows)
		if err != nil {
			return nil, fmt.Errorf("scan notification: %w", err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read notifications: %w", err)
	}
	return out, nil
}

// UnreadCount counts the unread notifications of u.
func (s *Store) UnreadCount(ctx context.Context, u User) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE site_id = $1 AND user_id = $2 AND in_inbox AND read_at IS NULL`,
		u.SiteID, u.UserID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("unread count: %w", err)
	}
	return n, nil
}

// MarkRead marks notifications of u read: the ids given, or all of them.
// Ids of other users are ignored. It returns how many changed.
func (s *Store) MarkRead(ctx context.Context, u User, ids []int64, all bool) (int64, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE notifications SET read_at = now()
		WHERE site_id = $1 AND user_id = $2 AND read_at IS NULL AND ($3 OR id = ANY($4))`, u.SiteID, u.UserID, all, ids)
	if err != nil {
		return 0, fmt.Errorf("mark read: %w", err)
	}
	return tag.RowsAffected(), nil
}
