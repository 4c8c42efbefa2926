package inbox

import (
	"encoding/json"
	"time"
)

// Notification is one inbox row as the API and webhooks show it.
type Notification struct {
	ID          int64     `json:"id"`
	SiteID      string    `json:"site_id"`
	UserID      string    `json:"user_id"`
	Rule        string    `json:"rule"`
	EventName   string    `json:"event_name"`
	Text        string    `json:"text"`
	ActorName   string    `json:"actor_name"`
	ActorCount  int32     `json:"actor_count"`
	ObjectID    string    `json:"object_id"`
	ObjectTitle string    `json:"object_title"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	Read        bool      `json:"read"`
	Seq         int64     `json:"sequence"`
}

// columns is the SELECT list scanned by scanNotification.
const columns = "id, site_id, user_id, rule, event_name, text, actor_name, actor_count, object_id, object_title, created_at, updated_at, read_at IS NOT NULL, seq"

type scanner interface{ Scan(dest ...any) error }

func scanNotification(row scanner) (Notification, error) {
	var n Notification
	err := row.Scan(&n.ID, &n.SiteID, &n.UserID, &n.Rule, &n.EventName, &n.Text, &n.ActorName, &n.ActorCount,
		&n.ObjectID, &n.ObjectTitle, &n.CreatedAt, &n.UpdatedAt, &n.Read, &n.Seq)
	return n, err
}

// Webhook event types (the `type` of the Standard Webhooks payload).
const (
	TypeCreated = "notification.created"
	TypeUpdated = "notification.updated"
)

// webhookPayload is the body of a webhook message: the Standard Webhooks
// shape {type, timestamp, data}.
func webhookPayload(typ, sourceEventID string, n Notification) ([]byte, error) {
	return json.Marshal(struct {
		Type      string `json:"type"`
		Timestamp string `json:"timestamp"`
		Data      any    `json:"data"`
	}{typ, n.UpdatedAt.UTC().Format(time.RFC3339Nano), struct {
		Notification
		SourceEventID string `json:"source_event_id"`
	}{n, sourceEventID}})
}
