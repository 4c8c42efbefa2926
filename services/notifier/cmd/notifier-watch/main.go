// Command notifier-watch prints a user's notifications as they arrive
// (NotificationService.Subscribe): the demo's view of the notifier.
//
//	notifier-watch -user grace -from-now -idle 3s -timeout 60s
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/footprint/footprint/services/notifier/internal/cli"
)

func main() {
	var o cli.WatchOptions
	ready := flag.String("ready-file", "", "create this file once the stream is open")
	flag.StringVar(&o.Addr, "addr", "127.0.0.1:50053", "notifier gRPC address")
	flag.StringVar(&o.Key, "key", "fp_dev_notifier_key", "notifier API key of the site")
	flag.StringVar(&o.Site, "site", "demo", "site id")
	flag.StringVar(&o.User, "user", "", "user whose notifications to watch (required)")
	flag.BoolVar(&o.FromNow, "from-now", false, "only changes after the newest notification, not the whole inbox")
	flag.IntVar(&o.Count, "count", 0, "stop after this many messages (0: never)")
	flag.DurationVar(&o.Timeout, "timeout", 0, "stop after this long (0: never)")
	flag.DurationVar(&o.Idle, "idle", 0, "stop this long after the last message, once one arrived (0: never)")
	flag.Parse()
	if o.User == "" {
		fmt.Fprintln(os.Stderr, "notifier-watch: -user is required")
		os.Exit(2)
	}
	if *ready != "" {
		o.Ready = func() { _ = os.WriteFile(*ready, nil, 0o644) }
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	err := cli.Watch(ctx, o, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "notifier-watch:", err)
		os.Exit(1)
	}
}
