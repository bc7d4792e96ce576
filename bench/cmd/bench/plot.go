package main

import (
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/infidraw/infidraw/bench/internal/fanout"
)

// latencySVG draws the latency CDF of every fan-out run (log-scaled milliseconds).
func latencySVG(path string, runs []fanout.Result) error {
	const plotW, w, left, bottom = 720, 980, 60, 40 // the legend is a column right of the plot
	h := max(400, 60+12*len(runs))                  // one legend line per run
	lo, hi := 0.1, 1000.0
	x := func(ms float64) float64 {
		ms = math.Min(math.Max(ms, lo), hi)
		return left + (math.Log10(ms)-math.Log10(lo))/(math.Log10(hi)-math.Log10(lo))*(plotW-left-20)
	}
	y := func(q float64) float64 { return float64(h-bottom) - q*float64(h-bottom-20) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">`, w, h)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`)
	for _, ms := range []float64{0.1, 1, 10, 100, 1000} {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="20" x2="%.1f" y2="%d" stroke="#ddd"/><text x="%.1f" y="%d" text-anchor="middle">%g ms</text>`, x(ms), x(ms), h-bottom, x(ms), h-bottom+15, ms)
	}
	for _, q := range []float64{0, 0.5, 0.9, 0.99, 1} {
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%g</text>`, left-5, y(q)+4, q)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">send → delivery latency (CDF)</text>`, plotW/2, h-5)
	for i, r := range runs {
		if len(r.Latencies) == 0 {
			continue
		}
		c := palette[i%len(palette)]
		var pts []string
		step := max(1, len(r.Latencies)/400)
		for j := 0; j < len(r.Latencies); j += step {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(r.Latencies[j]), y(float64(j)/float64(len(r.Latencies)))))
		}
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(r.Latencies[len(r.Latencies)-1]), y(1)))
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" stroke-dasharray="%s" points="%s"/>`, c, dashes[r.System], strings.Join(pts, " "))
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="1.5" stroke-dasharray="%s"/>`, plotW-20, 31+12*i, plotW, 31+12*i, c, dashes[r.System])
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="%s">%s, %d replica(s), %gx speed, %d writers/room</text>`, plotW+5, 35+12*i, c, r.System, r.Replicas, r.Speed, r.WritersPerRoom)
	}
	b.WriteString(`</svg>`)
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// dashes tell the systems apart where the palette's colours repeat.
var dashes = map[string]string{"infidraw": "none", "baseline": "6 3", "phase1": "8 2 2 2", "centrifugo": "2 2"}

var palette = []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
	"#393b79", "#ad494a", "#637939", "#7b4173", "#3182bd", "#e6550d"}

// throughputSVG plots delivered events/s against offered commits/s (log-log), one line per system and
// replica count; runs where a client missed events are drawn hollow.
func throughputSVG(path string, runs []fanout.Result) error {
	const w, h, left, bottom = 720, 420, 70, 40
	type key struct {
		sys string
		n   int
	}
	var keys []key
	series := map[key][]fanout.Result{}
	xlo, xhi, ylo, yhi := math.Inf(1), 0.0, math.Inf(1), 0.0
	for _, r := range runs {
		k := key{r.System, r.Replicas}
		if _, ok := series[k]; !ok {
			keys = append(keys, k)
		}
		series[k] = append(series[k], r)
		if r.OfferedPerSec > 0 && r.DeliveredPerSec > 0 {
			xlo, xhi = math.Min(xlo, r.OfferedPerSec), math.Max(xhi, r.OfferedPerSec)
			ylo, yhi = math.Min(ylo, r.DeliveredPerSec), math.Max(yhi, r.DeliveredPerSec)
		}
	}
	if xhi == 0 {
		return nil
	}
	xlo, xhi = math.Pow(10, math.Floor(math.Log10(xlo))), math.Pow(10, math.Ceil(math.Log10(xhi)))
	ylo, yhi = math.Pow(10, math.Floor(math.Log10(ylo))), math.Pow(10, math.Ceil(math.Log10(yhi)))
	x := func(v float64) float64 {
		return left + (math.Log10(v)-math.Log10(xlo))/(math.Log10(xhi)-math.Log10(xlo))*(w-left-20)
	}
	y := func(v float64) float64 {
		return float64(h-bottom) - (math.Log10(v)-math.Log10(ylo))/(math.Log10(yhi)-math.Log10(ylo))*float64(h-bottom-20)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">`, w, h)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`)
	for v := xlo; v <= xhi*1.001; v *= 10 {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="20" x2="%.1f" y2="%d" stroke="#ddd"/><text x="%.1f" y="%d" text-anchor="middle">%g</text>`, x(v), x(v), h-bottom, x(v), h-bottom+15, v)
	}
	for v := ylo; v <= yhi*1.001; v *= 10 {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%g</text>`, left, y(v), w-20, y(v), left-5, y(v)+4, v)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">offered commits/s → delivered events/s (log-log; hollow = a client missed events)</text>`, w/2, h-5)
	for i, k := range keys {
		c := palette[i%len(palette)]
		var pts []string
		for _, r := range series[k] {
			if r.OfferedPerSec <= 0 || r.DeliveredPerSec <= 0 {
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(r.OfferedPerSec), y(r.DeliveredPerSec)))
			fill := c
			if r.Incomplete > 0 {
				fill = "white"
			}
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s" stroke="%s"/>`, x(r.OfferedPerSec), y(r.DeliveredPerSec), fill, c)
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`, c, strings.Join(pts, " "))
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="%s">%s, %d replica(s)</text>`, left+10, 35+13*i, c, k.sys, k.n)
	}
	b.WriteString(`</svg>`)
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
