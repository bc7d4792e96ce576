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
	const w, h, left, bottom = 720, 400, 60, 40
	colors := []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"}
	lo, hi := 0.1, 1000.0
	x := func(ms float64) float64 {
		ms = math.Min(math.Max(ms, lo), hi)
		return left + (math.Log10(ms)-math.Log10(lo))/(math.Log10(hi)-math.Log10(lo))*(w-left-20)
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
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">send → delivery latency (CDF)</text>`, w/2, h-5)
	for i, r := range runs {
		if len(r.Latencies) == 0 {
			continue
		}
		c := colors[i%len(colors)]
		var pts []string
		step := max(1, len(r.Latencies)/400)
		for j := 0; j < len(r.Latencies); j += step {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(r.Latencies[j]), y(float64(j)/float64(len(r.Latencies)))))
		}
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(r.Latencies[len(r.Latencies)-1]), y(1)))
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`, c, strings.Join(pts, " "))
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="%s">%d replica(s), %gx speed</text>`, left+10, 35+14*i, c, r.Replicas, r.Speed)
	}
	b.WriteString(`</svg>`)
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
