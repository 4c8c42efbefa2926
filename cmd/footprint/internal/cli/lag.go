package cli

import (
	"context"

	"github.com/footprint/footprint/cmd/footprint/internal/kafkaio"
	"github.com/footprint/footprint/cmd/footprint/internal/lag"
)

func runLag(ctx context.Context, a *app, args []string) (int, error) {
	fs := flags(a, "lag")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	var groups multi
	fs.Var(&groups, "group", "another consumer group to report (repeatable; the writers' groups are always reported)")
	if err := parse(fs, args); err != nil {
		return ExitUsage, err
	}
	r, err := kafkaio.NewReader(a.cfg.Brokers)
	if err != nil {
		return ExitFailed, err
	}
	defer r.Close()
	all := append(lag.DefaultGroups(), groups...)
	res, err := lag.Measure(ctx, r, a.cfg.Topic, all, a.Now())
	if err != nil {
		return ExitFailed, err
	}
	if *asJSON {
		return ExitOK, lag.WriteJSON(a.Stdout, res)
	}
	return ExitOK, lag.WriteText(a.Stdout, res)
}
