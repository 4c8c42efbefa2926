// Package consistency prints the consistency check of store/ops (ops.Check)
// as the footprint command shows it.
package consistency

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/footprint/footprint/store/ops"
)

// Write prints the report as a table, the samples and a closing verdict.
func Write(w io.Writer, r ops.Report) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "day\tname\tpostgres events\tclickhouse events\tpostgres checksum\tclickhouse checksum\tstate\n")
	for _, row := range r.Rows {
		verdict := "ok"
		if !row.Equal() {
			verdict = "DIFFERENT"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%016x\t%016x\t%s\n", row.Day.Format(time.DateOnly), row.Name,
			row.Postgres.Events, row.ClickHouse.Events, row.Postgres.Checksum, row.ClickHouse.Checksum, verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range r.Samples {
		fmt.Fprintf(w, "only in %s: %s (%s, %s)\n", s.OnlyIn, s.ID, s.Day.Format(time.DateOnly), s.Name)
	}
	span := r.From.Format(time.DateOnly) + ".." + r.To.Format(time.DateOnly)
	if r.Agree() {
		_, err := fmt.Fprintf(w, "site %s, %s: PostgreSQL and ClickHouse agree (%d groups)\n", r.Site, span, len(r.Rows))
		return err
	}
	_, err := fmt.Fprintf(w, "site %s, %s: PostgreSQL and ClickHouse DIFFER on %d day(s)\n", r.Site, span, r.MismatchedDays())
	return err
}
