// Command notifier-bench measures the notifier's end-to-end latency on the
// running stack (`make up`): from the collector's Ingest acknowledgement of
// a comment_created event to a Subscribe client receiving its notification,
// at a steady load. It prints p50, p95 and p99 and fails when a
// notification is missing or p99 is over -max-p99.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/footprint/footprint/services/notifier/internal/cli"
)

func main() {
	var o cli.BenchOptions
	flag.StringVar(&o.Collector, "collector", "127.0.0.1:50051", "collector gRPC address")
	flag.StringVar(&o.CollectorKey, "collector-key", "fp_dev_key", "collector API key of the site")
	flag.StringVar(&o.Notifier, "notifier", "127.0.0.1:50053", "notifier gRPC address")
	flag.StringVar(&o.NotifierKey, "notifier-key", "fp_dev_notifier_key", "notifier API key of the site")
	flag.StringVar(&o.Site, "site", "demo", "site id")
	flag.IntVar(&o.Rate, "rate", 50, "comments per second (one Ingest call each)")
	flag.DurationVar(&o.Duration, "duration", 20*time.Second, "how long to send")
	flag.DurationVar(&o.Drain, "drain", 15*time.Second, "how long to wait for the last notifications")
	maxP99 := flag.Duration("max-p99", time.Second, "fail when p99 is above this")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	res, err := cli.Bench(ctx, o, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "notifier-bench:", err)
		os.Exit(1)
	}
	fmt.Println(res)
	if res.Received != res.Sent || res.Sent == 0 {
		fmt.Fprintf(os.Stderr, "notifier-bench: %v (%d of %d)\n", cli.ErrIncomplete, res.Received, res.Sent)
		os.Exit(1)
	}
	if res.P99 > *maxP99 {
		fmt.Fprintf(os.Stderr, "notifier-bench: p99 %s is over %s\n", res.P99, *maxP99)
		os.Exit(1)
	}
}
