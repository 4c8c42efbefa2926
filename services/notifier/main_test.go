package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	notifierv1 "github.com/footprint/footprint/gen/footprint/notifier/v1"
	"github.com/footprint/footprint/internal/envconfig/envconfigtest"
	"github.com/footprint/footprint/services/notifier/internal/config"
	nt "github.com/footprint/footprint/services/notifier/internal/notifiertest"
)

// asService makes the test binary run main() instead of the tests, so a
// test can start the notifier as a process of its own and kill it.
const asService = "FOOTPRINT_NOTIFIER_TEST_AS_SERVICE"

func TestMain(m *testing.M) {
	if os.Getenv(asService) == "1" {
		os.Args = os.Args[:1] // the -test.* flags are not the notifier's
		main()
		return
	}
	os.Exit(m.Run())
}

// startProcess runs the notifier as a child process with e's variables.
func startProcess(t *testing.T, e *nt.Env, rules, name string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), asService+"=1", "FOOTPRINT_LOG_LEVEL=info")
	for k, v := range e.Env(rules) {
		if k != "FOOTPRINT_LOG_LEVEL" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	logPath := filepath.Join(t.TempDir(), name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); _ = f.Close() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
		}
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("---- %s log ----\n%s", name, tail(string(b), 8000))
		}
	})
	e.WaitReady(exited)
	return cmd
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// kill -9 of the notifier while events stream in and webhooks are being
// delivered: after a restart the inbox holds every event exactly once, the
// endpoint got every message at least once, always under the same
// webhook-id with the same body, and a Subscribe client that resumes from
// its cursor across the restart saw every notification exactly once.
func TestKill9DuringDelivery(t *testing.T) {
	e := nt.New(t)
	// Once hold is set, the endpoint holds the next requests until release
	// is closed and reports the first one on held: the kill then lands while
	// a delivery is certainly in flight, however the machine schedules the
	// notifier's workers.
	var hold atomic.Bool
	held, release := make(chan struct{}, 1), make(chan struct{})
	rc := nt.NewReceiver(t, func(nt.Request, int) int {
		time.Sleep(100 * time.Millisecond) // an endpoint's own latency
		if hold.Load() {
			select {
			case held <- struct{}{}:
			default:
			}
			<-release
		}
		return 204
	})
	rules := nt.RulesFile(t, nt.Hook{Name: "hook", URL: rc.URL, Concurrency: 8})
	first := startProcess(t, e, rules, "notifier-1")
	sub := subscribe(t, e, "grace")

	const rounds, perRound = 60, 10
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for r := range rounds {
			batch := make([]nt.Action, perRound)
			for i := range batch {
				n := r*perRound + i
				batch[i] = nt.Action{Name: "comment_created", Actor: fmt.Sprintf("u%d", n%37), ActorName: "Ada", Recipient: "grace", PostID: "p", Title: fmt.Sprintf("k%d", n)}
			}
			for _, a := range batch {
				e.Produce(nt.Event(a))
			}
			time.Sleep(50 * time.Millisecond) // a steady stream, so the kill lands mid-way
		}
	}()
	nt.Eventually(t, 30*time.Second, func() string {
		if n := len(rc.Requests()); n < 20 {
			return fmt.Sprintf("%d webhook requests before the kill", n)
		}
		return ""
	})
	hold.Store(true)
	select {
	case <-held:
	case <-time.After(30 * time.Second):
		t.Fatal("no webhook request reached the endpoint within 30 s to be held for the kill")
	}
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	hold.Store(false)
	close(release) // the held requests answer a notifier that is gone
	inboxAtKill := e.Query("SELECT count(*) FROM notifier.notifications")
	deliveredAtKill := len(rc.Delivered())
	startProcess(t, e, rules, "notifier-2")
	wg.Wait()
	const total = rounds * perRound
	nt.Eventually(t, 90*time.Second, func() string {
		if n := e.Query("SELECT count(*) FROM notifier.sources"); n != total {
			return fmt.Sprintf("%d of %d events in the inbox", n, total)
		}
		if d := rc.Delivered(); len(d) != total {
			return fmt.Sprintf("%d of %d webhook messages delivered", len(d), total)
		}
		return ""
	})
	if n := e.Query("SELECT count(*) FROM notifier.notifications"); n != total {
		t.Fatalf("%d notifications for %d events", n, total)
	}
	if n := e.Query("SELECT count(DISTINCT object_title) FROM notifier.notifications"); n != total {
		t.Fatalf("%d distinct notifications for %d events", n, total)
	}
	nt.Eventually(t, 60*time.Second, func() string {
		if n := sub.distinct(); n != total {
			return fmt.Sprintf("the subscriber saw %d of %d notifications", n, total)
		}
		return ""
	})
	if d := sub.duplicates(); d != 0 {
		t.Fatalf("the subscriber got %d notifications twice across the restart", d)
	}
	bodies := map[string]string{}
	again := 0
	for _, r := range rc.Requests() {
		if !r.Valid {
			t.Fatalf("invalid signature on %s", r.ID)
		}
		if b, ok := bodies[r.ID]; ok {
			again++
			if b != r.Body {
				t.Fatalf("webhook %s sent with two bodies", r.ID)
			}
		}
		bodies[r.ID] = r.Body
		if !strings.Contains(r.Body, `"text":"Ada commented on k`) {
			t.Fatalf("body %s", r.Body)
		}
	}
	if again == 0 {
		t.Fatalf("no webhook was sent twice: the kill did not interrupt a delivery (the test lost its point)")
	}
	t.Logf("killed with %d/%d notifications in the inbox and %d webhooks delivered; after the restart: %d notifications, %d webhook ids, %d repeated requests (at least once); the subscriber reconnected %d times and saw each notification once",
		inboxAtKill, total, deliveredAtKill, total, len(bodies), again, sub.reconnects())
}

// subscriber follows a user's Subscribe stream across notifier restarts,
// resuming from its last cursor after every error.
type subscriber struct {
	mu    sync.Mutex
	seen  map[int64]int
	again int
}

func subscribe(t *testing.T, e *nt.Env, user string) *subscriber {
	s := &subscriber{seen: map[int64]int{}}
	ctx, cancel := context.WithCancel(nt.Authed(context.Background()))
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	client := e.Client()
	go func() {
		defer close(done)
		cursor := ""
		for ctx.Err() == nil {
			stream, err := client.Subscribe(ctx, &notifierv1.SubscribeRequest{SiteId: nt.Site, UserId: user, Cursor: cursor})
			for err == nil {
				var m *notifierv1.SubscribeResponse
				if m, err = stream.Recv(); err == nil {
					s.mu.Lock()
					s.seen[m.GetNotification().GetId()]++
					s.mu.Unlock()
					cursor = m.GetCursor()
				}
			}
			s.mu.Lock()
			s.again++
			s.mu.Unlock()
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return s
}

func (s *subscriber) distinct() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}

func (s *subscriber) duplicates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := 0
	for _, n := range s.seen {
		d += n - 1
	}
	return d
}

func (s *subscriber) reconnects() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.again
}

// TestHelpListsEveryVariable: `notifier -help` (and -h) exits 0 and prints
// every variable of the table with its default.
func TestHelpListsEveryVariable(t *testing.T) {
	c := config.Default()
	envconfigtest.Help(t, config.Vars(&c), func(args []string, stdout, stderr io.Writer) int {
		return run(context.Background(), args, func(string) string { return "" }, stdout, stderr)
	})
}
