package report

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

var (
	colFootprint = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	colBaseline  = color.RGBA{R: 0xbb, G: 0xbb, B: 0xbb, A: 0xff}
	colLatency   = []color.Color{
		color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
		color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
		color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
	}
)

// PNG renders two panels: every measured rate as a horizontal bar (Footprint
// in blue, baselines in grey, the value printed next to each bar because the
// per-message baselines are too small to see on a linear axis), and the
// ack-to-visible p50/p95/p99 per store and load.
func (r *Report) PNG() ([]byte, error) {
	var ms []Measurement
	for _, s := range r.Scenarios {
		ms = append(ms, s.Measurements...)
	}
	var lats []Latency
	for _, s := range r.Scenarios {
		lats = append(lats, s.Latencies...)
	}
	tp, err := throughputPlot(ms)
	if err != nil {
		return nil, err
	}
	lp, err := latencyPlot(lats)
	if err != nil {
		return nil, err
	}
	rows := max(len(ms), 1)
	h := vg.Length(rows)*0.28*vg.Inch + 2.5*vg.Inch + 4*vg.Inch
	img := vgimg.New(12*vg.Inch, h)
	dc := draw.New(img)
	// A small inset on the left and right keeps long bar names and value
	// labels inside the image.
	inset := 0.15 * vg.Inch
	top := draw.Crop(dc, inset, -inset, 4*vg.Inch, 0)
	bottom := draw.Crop(dc, inset, -inset, 0, -(h - 4*vg.Inch))
	tp.Draw(top)
	lp.Draw(bottom)
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("encode png: %w", err)
	}
	return buf.Bytes(), nil
}

func throughputPlot(ms []Measurement) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Throughput (events, rows or messages per second; median of the runs, whisker min-max; grey = baseline)"
	p.X.Label.Text = "per second"
	p.X.Min = 0
	if len(ms) == 0 {
		p.Title.Text += ": no measurements"
		return p, nil
	}
	n := len(ms)
	names := make([]string, n)
	var fp, bl plotter.Values
	var xys plotter.XYs
	var labels []string
	var whiskers []plot.Plotter
	maxRate := 0.0
	for i, m := range ms {
		// Reverse so the first measurement is on top.
		j := n - 1 - i
		names[j] = m.Name
		maxRate = max(maxRate, m.Rate, m.MaxRate)
	}
	fp = make(plotter.Values, n)
	bl = make(plotter.Values, n)
	for i, m := range ms {
		j := n - 1 - i
		if m.Kind == KindBaseline {
			bl[j] = m.Rate
		} else {
			fp[j] = m.Rate
		}
		label := num(m.Rate)
		if len(m.Runs) > 1 {
			// The spread of the runs as a whisker from min to max.
			label += fmt.Sprintf(" (%s-%s)", num(m.MinRate), num(m.MaxRate))
			w, err := plotter.NewLine(plotter.XYs{{X: m.MinRate, Y: float64(j)}, {X: m.MaxRate, Y: float64(j)}})
			if err != nil {
				return nil, fmt.Errorf("whisker: %w", err)
			}
			w.Width = vg.Points(1.5)
			whiskers = append(whiskers, w)
		}
		xys = append(xys, plotter.XY{X: max(m.Rate, m.MaxRate) + maxRate*0.01, Y: float64(j)})
		labels = append(labels, label)
	}
	for _, v := range []struct {
		vals plotter.Values
		col  color.Color
	}{{fp, colFootprint}, {bl, colBaseline}} {
		b, err := plotter.NewBarChart(v.vals, 0.2*vg.Inch)
		if err != nil {
			return nil, fmt.Errorf("bar chart: %w", err)
		}
		b.Horizontal = true
		b.Color = v.col
		b.LineStyle.Width = 0
		p.Add(b)
	}
	p.Add(whiskers...)
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	for i := range l.TextStyle {
		l.TextStyle[i].YAlign = draw.YCenter
	}
	p.Add(l)
	p.X.Max = maxRate * 1.3
	p.NominalY(names...)
	return p, nil
}

func latencyPlot(lats []Latency) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Ingest ack to row visible (ms; the run with the median p99)"
	p.Y.Label.Text = "ms"
	p.Y.Min = 0
	if len(lats) == 0 {
		p.Title.Text += ": no measurements"
		return p, nil
	}
	names := make([]string, len(lats))
	series := [3]plotter.Values{}
	for i, l := range lats {
		names[i] = fmt.Sprintf("%s @ %d%%", l.Store, l.LoadPercent)
		series[0] = append(series[0], l.Latency.P50Ms)
		series[1] = append(series[1], l.Latency.P95Ms)
		series[2] = append(series[2], l.Latency.P99Ms)
	}
	w := 0.3 * vg.Inch
	for i, name := range []string{"p50", "p95", "p99"} {
		b, err := plotter.NewBarChart(series[i], w)
		if err != nil {
			return nil, fmt.Errorf("bar chart: %w", err)
		}
		b.Color = colLatency[i]
		b.LineStyle.Width = 0
		b.Offset = vg.Length(i-1) * w
		p.Add(b)
		p.Legend.Add(name, b)
	}
	// The target at half load.
	limit := 0.0
	for _, l := range lats {
		limit = max(limit, l.TargetP99Ms)
	}
	if limit == 0 {
		finishLatencyPlot(p, names)
		return p, nil
	}
	target, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: limit}, {X: float64(len(lats)) - 0.5, Y: limit}})
	if err != nil {
		return nil, fmt.Errorf("target line: %w", err)
	}
	target.Dashes = []vg.Length{vg.Points(4), vg.Points(4)}
	p.Add(target)
	p.Legend.Add(fmt.Sprintf("%.0f ms target (p99 at 50%%)", limit), target)
	finishLatencyPlot(p, names)
	return p, nil
}

func finishLatencyPlot(p *plot.Plot, names []string) {
	p.Legend.Top = true
	p.NominalX(names...)
}
