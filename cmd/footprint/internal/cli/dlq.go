package cli

import (
	"context"

	"github.com/footprint/footprint/cmd/footprint/internal/dlq"
	"github.com/footprint/footprint/cmd/footprint/internal/kafkaio"
)

func runDLQ(ctx context.Context, a *app, args []string) (int, error) {
	if len(args) == 0 {
		return ExitUsage, usageErr("list, show PARTITION:OFFSET or redrive PARTITION:OFFSET ...")
	}
	fs := flags(a, "dlq "+args[0])
	topic := fs.String("topic", "", "redrive: send to this topic instead of each letter's source topic")
	if err := parse(fs, args[1:]); err != nil {
		return ExitUsage, err
	}
	refs := make([]dlq.Ref, 0, fs.NArg())
	for _, s := range fs.Args() {
		ref, err := dlq.ParseRef(s)
		if err != nil {
			return ExitUsage, usageErr("%v", err)
		}
		refs = append(refs, ref)
	}
	switch {
	case args[0] == "list" && len(refs) > 0, args[0] == "show" && len(refs) != 1, args[0] == "redrive" && len(refs) == 0:
		return ExitUsage, usageErr("dlq list | dlq show PARTITION:OFFSET | dlq redrive PARTITION:OFFSET ...")
	case args[0] != "list" && args[0] != "show" && args[0] != "redrive":
		return ExitUsage, usageErr("unknown dlq command %q", args[0])
	}
	r, err := kafkaio.NewReader(a.cfg.Brokers)
	if err != nil {
		return ExitFailed, err
	}
	defer r.Close()
	switch args[0] {
	case "list":
		letters, err := dlq.List(ctx, r, a.cfg.DLQTopic)
		if err != nil {
			return ExitFailed, err
		}
		return ExitOK, dlq.WriteList(a.Stdout, letters)
	case "show":
		l, err := dlq.Get(ctx, r, a.cfg.DLQTopic, refs[0])
		if err != nil {
			return ExitFailed, err
		}
		return ExitOK, dlq.WriteShow(a.Stdout, l)
	}
	p, err := kafkaio.NewProducer(a.cfg.Brokers)
	if err != nil {
		return ExitFailed, err
	}
	defer p.Close()
	return ExitOK, dlq.Redrive(ctx, r, p, a.cfg.DLQTopic, refs, *topic, a.Stdout)
}
