package cli

import (
	"context"
	"time"

	"github.com/footprint/footprint/cmd/footprint/internal/erase"
	"github.com/footprint/footprint/cmd/footprint/internal/kafkaio"
	"github.com/footprint/footprint/store/ops"
)

// defaultWriterWait bounds the whole erasure, mostly the wait for the live
// writers to pass it: a writer far behind must first catch up to the
// events topic's end.
const defaultWriterWait = 10 * time.Minute

func runErase(ctx context.Context, a *app, args []string) (int, error) {
	fs := flags(a, "erase")
	site := fs.String("site", "", "site id (required)")
	visitor := fs.String("visitor", "", "visitor id whose events are erased")
	user := fs.String("user", "", "user id whose events are erased")
	operator := fs.String("operator", "", "who carries out the request, for the audit record (required)")
	var groups multi
	fs.Var(&groups, "writer-group", "wait only for this consumer group before deleting again (repeatable; default every group reading the events topic)")
	wait := fs.Duration("wait", defaultWriterWait, "time limit of the erasure, mostly the wait for the live writers to pass it")
	if err := parse(fs, args); err != nil {
		return ExitUsage, err
	}
	subj := ops.Subject{Site: *site, Kind: ops.Visitor, ID: *visitor}
	if *user != "" {
		subj = ops.Subject{Site: *site, Kind: ops.User, ID: *user}
	}
	switch {
	case (*visitor == "") == (*user == ""):
		return ExitUsage, usageErr("give exactly one of --visitor and --user")
	case subj.Validate() != nil:
		return ExitUsage, usageErr("%v", subj.Validate())
	case *operator == "":
		return ExitUsage, usageErr("--operator is required")
	case *wait <= 0:
		return ExitUsage, usageErr("--wait must be positive")
	}
	pg, ch, closeStores, err := a.openStores(ctx)
	defer closeStores()
	if err != nil {
		return ExitFailed, err
	}
	r, admin, closeKafka, err := a.kafkaClients()
	defer closeKafka()
	if err != nil {
		return ExitFailed, err
	}
	p, err := kafkaio.NewProducer(a.cfg.Brokers)
	if err != nil {
		return ExitFailed, err
	}
	defer p.Close()
	waitCtx, cancel := context.WithTimeout(ctx, *wait)
	defer cancel()
	e := erase.Erasure{
		Producer: p,
		Topics:   erase.Topics{Erasures: a.cfg.ErasureTopic, Audit: a.cfg.AuditTopic},
		Targets:  []erase.Target{{Name: "postgres", Store: pg}, {Name: "clickhouse", Store: ch}},
		Fence:    erase.GroupFence{Reader: r, Admin: admin, Topic: a.cfg.Topic, Groups: groups},
		Now:      a.Now, Out: a.Stdout,
	}
	if _, err := e.Erase(waitCtx, subj, *operator); err != nil {
		return ExitFailed, err
	}
	return ExitOK, nil
}
