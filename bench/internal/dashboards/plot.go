package dashboards

import (
	"bytes"
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

var storeColor = map[string]color.Color{
	"postgres":   color.RGBA{R: 0x33, G: 0x67, B: 0x91, A: 0xff},
	"clickhouse": color.RGBA{R: 0xe0, G: 0x8e, B: 0x0b, A: 0xff},
}

// PNG plots the scaling curve: p50 of each scaling query (30-day range)
// against events, log-log, one colour per store, one dash per query.
func (r *Report) PNG() ([]byte, error) {
	pl := plot.New()
	pl.Title.Text = "Dashboard query time vs events (30-day range, p50)"
	pl.X.Label.Text = "events"
	pl.Y.Label.Text = "ms"
	pl.X.Scale, pl.Y.Scale = plot.LogScale{}, plot.LogScale{}
	pl.X.Tick.Marker, pl.Y.Tick.Marker = plot.LogTicks{Prec: -1}, plot.LogTicks{Prec: -1}
	pl.Legend.Top, pl.Legend.Left = true, true
	dashes := [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}, {vg.Points(2), vg.Points(2)}, {vg.Points(8), vg.Points(2), vg.Points(2), vg.Points(2)}, {vg.Points(1), vg.Points(4)}}
	for _, st := range []string{"postgres", "clickhouse"} {
		for i, q := range scalingQueries {
			var pts plotter.XYs
			for _, sz := range r.Sizes {
				if res, ok := sz.find("30d", q, st); ok && res.Latency.P50Ms > 0 {
					pts = append(pts, plotter.XY{X: float64(sz.Events), Y: res.Latency.P50Ms})
				}
			}
			if len(pts) == 0 {
				continue
			}
			line, points, err := plotter.NewLinePoints(pts)
			if err != nil {
				return nil, fmt.Errorf("plot %s %s: %w", st, q, err)
			}
			line.Color, points.Color = storeColor[st], storeColor[st]
			line.Dashes = dashes[i%len(dashes)]
			if q == "dashboard" {
				line.Width = vg.Points(2.5)
			}
			pl.Add(line, points)
			pl.Legend.Add(st+" "+q, line)
		}
	}
	img := vgimg.New(9*vg.Inch, 6*vg.Inch)
	pl.Draw(draw.New(img))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("encode png: %w", err)
	}
	return buf.Bytes(), nil
}
