package footprint_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"time"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	footprint "github.com/footprint/footprint/sdk"
	"google.golang.org/grpc"
)

// A client for a collector on this machine. Track queues the event and
// returns; Close sends what is queued before the program exits.
func ExampleNew() {
	client, err := footprint.New("127.0.0.1:50051",
		footprint.WithInsecure(), // plaintext to localhost only
		footprint.WithAPIKey("fp_dev_key"),
		footprint.WithSiteID("demo"),
		footprint.WithLogger(slog.New(slog.NewJSONHandler(os.Stderr, nil))),
		footprint.WithErrorHandler(func(err error) {
			var rejected *footprint.RejectedEventError
			if errors.As(err, &rejected) {
				log.Printf("fix this event: %v", rejected)
			}
		}),
	)
	if err != nil {
		log.Fatal(err)
	}

	_ = client.Track(context.Background(), &eventv1.Event{
		Name:       "comment_created",
		UserId:     "user-42",
		Properties: map[string]string{"comment_id": "c-1001"},
	})

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if undelivered, err := client.Close(ctx); err != nil {
		log.Printf("%d events not delivered: %v", undelivered, err)
	}
}

// Close reports the events it could not deliver before its deadline. Here
// nothing listens at the address, so all three events are left undelivered.
func ExampleClient_Close() {
	client, err := footprint.New("127.0.0.1:1", footprint.WithInsecure(), footprint.WithSiteID("demo"))
	if err != nil {
		log.Fatal(err)
	}
	for range 3 {
		_ = client.Track(context.Background(), &eventv1.Event{Name: "page_view"})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	undelivered, err := client.Close(ctx)
	fmt.Println("undelivered:", undelivered)
	fmt.Println("reported:", errors.Is(err, footprint.ErrUndelivered))
	s := client.Stats()
	fmt.Printf("tracked %d, sent %d, failed %d\n", s.Tracked, s.Sent, s.Failed)
	// Output:
	// undelivered: 3
	// reported: true
	// tracked 3, sent 0, failed 3
}

// Record every page view of a net/http server. Health checks and static
// files are skipped by DefaultHTTPConfig.
func ExampleHTTPMiddleware() {
	client, err := footprint.New("127.0.0.1:50051", footprint.WithInsecure(), footprint.WithAPIKey("fp_dev_key"))
	if err != nil {
		log.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = client.Close(ctx)
	}()

	cfg := footprint.DefaultHTTPConfig()
	cfg.SiteID = "demo"
	cfg.TrustedProxies = []string{"127.0.0.1"} // a reverse proxy on this host sets X-Forwarded-For
	mw, err := footprint.NewHTTPMiddleware(client, cfg)
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "hello") })
	srv := &http.Server{Addr: "127.0.0.1:8080", Handler: mw.Handler(mux), ReadHeaderTimeout: 5 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

// Record the calls of a gRPC server, with the full method as the path.
func ExampleUnaryServerInterceptor() {
	client, err := footprint.New("127.0.0.1:50051", footprint.WithInsecure(),
		footprint.WithAPIKey("fp_dev_key"), footprint.WithSiteID("demo-api"))
	if err != nil {
		log.Fatal(err)
	}
	unary, err := footprint.UnaryServerInterceptor(client, footprint.DefaultGRPCConfig())
	if err != nil {
		log.Fatal(err)
	}
	stream, err := footprint.StreamServerInterceptor(client, footprint.DefaultGRPCConfig())
	if err != nil {
		log.Fatal(err)
	}
	srv := grpc.NewServer(grpc.ChainUnaryInterceptor(unary), grpc.ChainStreamInterceptor(stream))
	_ = srv // register services and Serve as usual
}
