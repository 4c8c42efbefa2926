package inbox

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Listen holds a LISTEN connection on NotifyChannel and calls wake with the
// user of every notification, until ctx ends. When the connection drops it
// reconnects with backoff and calls wakeAll, since notifications sent
// meanwhile were lost: every subscriber then reads its changes again.
func (s *Store) Listen(ctx context.Context, wake func(User), wakeAll func(), logger *slog.Logger) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, wake, wakeAll)
		if ctx.Err() != nil {
			return
		}
		logger.Warn("notification listener lost its connection, reconnecting", "err", err, "retry_in", backoff.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

func (s *Store) listenOnce(ctx context.Context, wake func(User), wakeAll func()) error {
	conn, err := pgx.ConnectConfig(ctx, s.ConnConfig())
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	if _, err := conn.Exec(ctx, "LISTEN "+NotifyChannel); err != nil {
		return err
	}
	wakeAll()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		site, user, _ := strings.Cut(n.Payload, "\n")
		wake(User{SiteID: site, UserID: user})
	}
}
