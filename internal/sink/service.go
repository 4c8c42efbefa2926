package sink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/footprint/footprint/internal/admin"
)

// MaintainedStore is a Store that the writer service migrates at start and
// maintains periodically (partitions ahead, retention).
type MaintainedStore interface {
	Store
	Migrate(ctx context.Context) error
	Maintain(ctx context.Context, now time.Time) error
}

// Service is one writer process: the admin server, the store's migrations
// and maintenance, and the consume loop. Both writers run exactly this.
type Service struct {
	Sink                Config
	Admin               admin.Config
	MaintenanceInterval time.Duration
	Store               MaintainedStore
	Logger              *slog.Logger
}

// Run runs the writer until ctx is cancelled; it returns nil after a clean
// shutdown (also when cancelled while still waiting for the store).
func (s Service) Run(ctx context.Context) error {
	logger := s.Logger
	// The admin server starts first so /healthz answers and /readyz says
	// why not ready while the store is still being migrated.
	reg, err := admin.NewRegistry()
	if err != nil {
		return err
	}
	var current atomic.Pointer[Loop]
	ready := func(ctx context.Context) error {
		if l := current.Load(); l != nil {
			return l.Ready(ctx)
		}
		return errors.New("starting: migrating the store")
	}
	srv := admin.New(s.Admin, reg, ready, logger)
	runCtx, cancelRun := context.WithCancelCause(ctx)
	defer cancelRun(nil)
	bgCtx, cancelBg := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	defer func() { cancelBg(); wg.Wait() }()
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := srv.Run(bgCtx); err != nil {
			cancelRun(err) // no admin port: stop like on SIGTERM and report it
		}
	}()

	// The store may still be starting: retry until it answers or we are told to stop.
	if err := retry(runCtx, logger, "migrate", func() error { return s.Store.Migrate(runCtx) }); err != nil {
		return startErr(runCtx, logger, err)
	}
	if err := retry(runCtx, logger, "maintenance", func() error { return s.Store.Maintain(runCtx, time.Now()) }); err != nil {
		return startErr(runCtx, logger, err)
	}
	loop, err := New(s.Sink, s.Store, reg, logger)
	if err != nil {
		return err
	}
	current.Store(loop)

	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(s.MaintenanceInterval)
		defer t.Stop()
		for {
			select {
			case <-bgCtx.Done():
				return
			case <-t.C:
				if err := s.Store.Maintain(bgCtx, time.Now()); err != nil {
					logger.Warn("store maintenance", "err", err)
				}
			}
		}
	}()

	if err := loop.Run(runCtx); err != nil {
		return err
	}
	if cause := context.Cause(runCtx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	logger.Info("stopped cleanly")
	return nil
}

// startErr turns a start-up failure into the run result: SIGTERM while
// waiting for the store is a clean stop (nothing was consumed).
func startErr(runCtx context.Context, logger *slog.Logger, err error) error {
	if errors.Is(context.Cause(runCtx), context.Canceled) {
		logger.Info("stopped during start-up", "last_err", err)
		return nil
	}
	return errors.Join(err, context.Cause(runCtx))
}

// retry calls f with capped exponential backoff until it succeeds or ctx ends.
func retry(ctx context.Context, logger *slog.Logger, what string, f func() error) error {
	backoff := 200 * time.Millisecond
	for {
		err := f()
		if err == nil {
			return nil
		}
		logger.Warn(what+" failed, retrying", "err", err, "retry_in", backoff.String())
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", what, err)
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}
