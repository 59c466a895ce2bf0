package main

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// drawPlot draws the p99 of each operation against the database's size
// (log scales on both axes) into path as a PNG.
func drawPlot(path, engine string, envs []*env, res map[string][]sample) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Plenary at scale (%s): p99 against database size", engine)
	p.X.Label.Text = "bookings in the database"
	p.Y.Label.Text = "p99 (ms)"
	p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	p.Legend.Top, p.Legend.Left = true, true
	p.Add(plotter.NewGrid())
	palette := []color.RGBA{{0x1b, 0x5e, 0x20, 255}, {0x0d, 0x47, 0xa1, 255}, {0xb7, 0x1c, 0x1c, 255},
		{0xe6, 0x51, 0x00, 255}, {0x4a, 0x14, 0x8c, 255}, {0x00, 0x60, 0x64, 255}}
	for k, n := range opNames() {
		xys := make(plotter.XYs, len(envs))
		for i, e := range envs {
			xys[i].X = float64(e.size)
			xys[i].Y = max(float64(res[n][i].p(0.99).Microseconds())/1000, 0.01)
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return err
		}
		c := palette[k%len(palette)]
		line.Color, points.Color = c, c
		line.Width = vg.Points(1.5)
		points.Shape = draw.CircleGlyph{}
		p.Add(line, points)
		p.Legend.Add(n, line, points)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return p.Save(8*vg.Inch, 5*vg.Inch, path)
}
