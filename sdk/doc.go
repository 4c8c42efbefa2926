// Package footprint is the Go SDK of Footprint, a self-hosted user-behaviour
// event pipeline. It sends events to the Footprint collector's
// footprint.collector.v1.CollectorService over gRPC.
//
// # Client
//
// A [Client] queues events in memory and a background goroutine sends them in
// batches (by count and by time) with the collector's Ingest RPC:
//
//	client, err := footprint.New("collector.example.com:443",
//		footprint.WithAPIKey(os.Getenv("FOOTPRINT_API_KEY")),
//		footprint.WithSiteID("shop"))
//	...
//	client.Track(ctx, &eventv1.Event{Name: "signup_completed"})
//	...
//	undelivered, err := client.Close(shutdownCtx)
//
// [Client.Track] never blocks: it gives the event an event_id (UUIDv7) and an
// occurred_at when they are missing and puts it on a bounded queue. When the
// queue is full the [DropPolicy] decides which event is discarded, and the drop
// is counted in [Stats]. Failed calls that are worth retrying (Unavailable,
// ResourceExhausted, DeadlineExceeded) are retried with exponential backoff
// and jitter; a retry resends the same event_ids, and the Footprint writers
// store each event_id once, so a retry never counts an event twice. Events
// the collector rejects as invalid are reported to the [ErrorHandler] and
// counted, never retried. [Client.Close] flushes the queue within the
// context's deadline and says how many events it could not deliver.
//
// # Middleware
//
// [HTTPMiddleware] records every request of a net/http server as a
// `page_view` event (URL, path, method, status, referrer, user agent, client
// IP and duration) and [UnaryServerInterceptor] / [StreamServerInterceptor]
// do the same for gRPC servers, with the full method name as the path.
// Health checks, metrics and static files are skipped by default.
//
// The client IP comes from the connection. X-Forwarded-For is only believed
// when the connection comes from a proxy listed in the trusted proxies,
// because any client can send that header.
package footprint
