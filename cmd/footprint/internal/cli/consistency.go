package cli

import (
	"context"
	"time"

	"github.com/footprint/footprint/cmd/footprint/internal/consistency"
	"github.com/footprint/footprint/store/ops"
)

func runConsistency(ctx context.Context, a *app, args []string) (int, error) {
	fs := flags(a, "consistency")
	site := fs.String("site", "", "site id (required)")
	from := fs.String("from", "", "first UTC day, YYYY-MM-DD (required)")
	to := fs.String("to", "", "last UTC day, YYYY-MM-DD (default: --from)")
	samples := fs.Int("samples", 10, "most event ids to list that one store has and the other lacks")
	if err := parse(fs, args); err != nil {
		return ExitUsage, err
	}
	if *to == "" {
		*to = *from
	}
	fromDay, err1 := time.Parse(time.DateOnly, *from)
	toDay, err2 := time.Parse(time.DateOnly, *to)
	switch {
	case *site == "":
		return ExitUsage, usageErr("--site is required")
	case err1 != nil || err2 != nil || toDay.Before(fromDay):
		return ExitUsage, usageErr("--from and --to are days YYYY-MM-DD, --from not after --to")
	case *samples < 0:
		return ExitUsage, usageErr("--samples must not be negative")
	}
	pg, ch, closeStores, err := a.openStores(ctx)
	defer closeStores()
	if err != nil {
		return ExitFailed, err
	}
	rep, err := ops.Check(ctx, pg, ch, *site, fromDay, toDay, *samples)
	if err != nil {
		return ExitFailed, err
	}
	if err := consistency.Write(a.Stdout, rep); err != nil {
		return ExitFailed, err
	}
	if !rep.Agree() {
		return ExitDiffer, nil
	}
	return ExitOK, nil
}
