package cli

import (
	"context"

	"github.com/footprint/footprint/cmd/footprint/internal/erasure"
	"github.com/footprint/footprint/cmd/footprint/internal/kafkaio"
	"github.com/footprint/footprint/store/ops"
)

func runErase(ctx context.Context, a *app, args []string) (int, error) {
	fs := flags(a, "erase")
	site := fs.String("site", "", "site id (required)")
	visitor := fs.String("visitor", "", "visitor id whose events are erased")
	user := fs.String("user", "", "user id whose events are erased")
	operator := fs.String("operator", "", "who carries out the request, for the audit record (required)")
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
	}
	pg, ch, closeStores, err := a.openStores(ctx)
	defer closeStores()
	if err != nil {
		return ExitFailed, err
	}
	p, err := kafkaio.NewProducer(a.cfg.Brokers)
	if err != nil {
		return ExitFailed, err
	}
	defer p.Close()
	_, err = erasure.Erase(ctx, p, erasure.Topics{Erasures: a.cfg.ErasureTopic, Audit: a.cfg.AuditTopic}, subj, *operator,
		[]erasure.Target{{Name: "postgres", Store: pg}, {Name: "clickhouse", Store: ch}}, a.Now, a.Stdout)
	if err != nil {
		return ExitFailed, err
	}
	return ExitOK, nil
}
