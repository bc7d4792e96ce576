package soak

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Write puts soak.json, soak.md and soak.svg into dir.
func Write(dir string, rep Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "soak.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "soak.md"), []byte(Markdown(rep)), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "soak.svg"), []byte(SVG(rep)), 0o644)
}

// serviceNames lists the services sampled, in a stable order.
func serviceNames(rep Report) []string {
	seen := map[string]bool{}
	for _, s := range rep.Samples {
		for name := range s.Services {
			seen[name] = true
		}
	}
	var names []string
	for n := range seen {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Markdown is soak.md: the verdict, the probe, one row per sample (the load and the backing stores)
// and one table per service.
func Markdown(rep Report) string {
	var b strings.Builder
	verdict := "**pass**"
	if !rep.Verdict.Pass {
		verdict = "**FAIL**: " + strings.Join(rep.Verdict.Failures, "; ")
	}
	fmt.Fprintf(&b, "# infidraw soak (%s, %s, a sample every %s)\n\nVerdict: %s\n\n", rep.Started, rep.Duration, rep.Every, verdict)
	fmt.Fprintf(&b, "Saturation: %.0f commits/s with %d writers (%s); soak load %.0f commits/s, %d writers and %d viewers connected at a time (each stays %s ± 50 %%, then a new one joins), %d rooms, %d tile readers.\n\n",
		rep.Saturation.CommitsPerSec, rep.Saturation.Writers, rep.Saturation.Stopped, rep.Load.Rate, rep.Load.Writers, rep.Load.Viewers, rep.Load.Life, rep.Load.Rooms, rep.Load.TileReaders)
	b.WriteString("| probe writers | commits/s | p50 ms | p99 ms |\n|---:|---:|---:|---:|\n")
	for _, st := range rep.Saturation.Steps {
		fmt.Fprintf(&b, "| %d | %.0f | %.1f | %.1f |\n", st.Writers, st.CommitsPerSec, st.P50ms, st.P99ms)
	}
	in := rep.Integrity
	fmt.Fprintf(&b, "\nAcknowledged %d strokes: lost %d, duplicated %d, order violations %d; clients connected %d times. p99 median first third %.1f ms, last third %.1f ms. Exited: %v.\n\n",
		in.Acked, in.Lost, in.Duplicated, in.OrderViolations, lastJoins(rep), rep.Verdict.P99First, rep.Verdict.P99Last, rep.Exited)
	b.WriteString("| t s | acked | p50 ms | p99 ms | client errors | PostgreSQL private MiB | PostgreSQL shared MiB | Redis used_memory MiB |\n|---:|---:|---:|---:|---|---:|---:|---:|\n")
	for _, s := range rep.Samples {
		fmt.Fprintf(&b, "| %.0f | %d | %.1f | %.1f | %s | %.1f | %.1f | %.1f |\n", s.AtSeconds, s.Load.Acked, s.Load.P50ms, s.Load.P99ms, errorList(s.Load.ClientErrors),
			mibOf(s.Services["postgres"].RSS), mibOf(s.PGSharedBytes), mibOf(s.RedisUsedMemory))
	}
	b.WriteString("\nPer service: RSS MiB / threads / open fds / tasks (goroutines for Go, active handles for node, threads for snapshot-rs and Redis, processes for PostgreSQL) / error lines logged in the interval.\n\n")
	names := serviceNames(rep)
	b.WriteString("| t s |")
	for _, n := range names {
		fmt.Fprintf(&b, " %s |", n)
	}
	b.WriteString("\n|---:|" + strings.Repeat("---|", len(names)) + "\n")
	for _, s := range rep.Samples {
		fmt.Fprintf(&b, "| %.0f |", s.AtSeconds)
		for _, n := range names {
			p := s.Services[n]
			fmt.Fprintf(&b, " %.0f / %d / %d / %.0f / %d |", mibOf(p.RSS), p.Threads, p.FDs, p.Tasks, p.Errors)
		}
		b.WriteString("\n")
	}
	b.WriteString("\nSlope rule per series (judged window after the warm-up): fitted start, fitted growth, Spearman ρ.\n\n| series | start | growth | ρ | grows steadily |\n|---|---:|---:|---:|---|\n")
	for _, t := range rep.Verdict.Trends {
		fmt.Fprintf(&b, "| %s | %.4g | %+.4g | %.2f | %v |\n", t.Name, t.Start, t.Growth, t.Rank, t.Grows)
	}
	for _, n := range rep.Verdict.Notes {
		fmt.Fprintf(&b, "\nNote: %s\n", n)
	}
	b.WriteString("\n![soak](soak.svg)\n")
	return b.String()
}

func lastJoins(rep Report) int64 {
	if len(rep.Samples) == 0 {
		return 0
	}
	return rep.Samples[len(rep.Samples)-1].Load.Joins
}

func errorList(m map[string]int) string {
	var out []string
	for k, n := range m {
		out = append(out, fmt.Sprintf("%s %d", k, n))
	}
	slices.Sort(out)
	if len(out) == 0 {
		return "0"
	}
	return strings.Join(out, ", ")
}

// colours of the services' lines, by their sorted order.
var colours = []string{"#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"}

// line is one series of a chart.
type line struct {
	label  string
	colour string
	ys     []float64
}

// SVG is soak.svg: one small chart per metric over time, a line per service.
func SVG(rep Report) string {
	var xs []float64
	for _, s := range rep.Samples {
		xs = append(xs, s.AtSeconds)
	}
	names := serviceNames(rep)
	perService := func(get func(Proc) float64) []line {
		var ls []line
		for i, n := range names {
			l := line{label: n, colour: colours[i%len(colours)]}
			for _, s := range rep.Samples {
				l.ys = append(l.ys, get(s.Services[n]))
			}
			ls = append(ls, l)
		}
		return ls
	}
	of := func(get func(Sample) float64) []float64 {
		var ys []float64
		for _, s := range rep.Samples {
			ys = append(ys, get(s))
		}
		return ys
	}
	charts := []struct {
		title string
		lines []line
	}{
		{"RSS MiB (PostgreSQL: private)", perService(func(p Proc) float64 { return mibOf(p.RSS) })},
		{"open file descriptors", perService(func(p Proc) float64 { return float64(p.FDs) })},
		{"tasks (goroutines, active handles, threads, processes)", perService(func(p Proc) float64 { return p.Tasks })},
		{"threads", perService(func(p Proc) float64 { return float64(p.Threads) })},
		{"error lines per interval", perService(func(p Proc) float64 { return float64(p.Errors) })},
		{"commit→delivery ms", []line{{"p50", colours[0], of(func(s Sample) float64 { return s.Load.P50ms })},
			{"p99", colours[1], of(func(s Sample) float64 { return s.Load.P99ms })}}},
		{"PostgreSQL and Redis memory MiB", []line{{"pg private", colours[0], of(func(s Sample) float64 { return mibOf(s.Services["postgres"].RSS) })},
			{"pg shared", colours[1], of(func(s Sample) float64 { return mibOf(s.PGSharedBytes) })},
			{"redis used_memory", colours[2], of(func(s Sample) float64 { return mibOf(s.RedisUsedMemory) })}}},
		{"acknowledged strokes per interval", []line{{"acked", colours[0], of(func(s Sample) float64 { return float64(s.Load.Acked) })}}},
	}
	const cw, chh, cols, legendW = 380, 200, 2, 130
	rows := (len(charts) + cols - 1) / cols
	w, h := cols*(cw+legendW), rows*(chh+30)+30
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="10">`, w, h)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/><text x="10" y="18" font-size="13">infidraw soak %s, %s: seconds since the soak began →</text>`, rep.Started, rep.Duration)
	for i, c := range charts {
		chart(&b, float64((i%cols)*(cw+legendW)), float64(30+(i/cols)*(chh+30)), cw, chh, c.title, xs, c.lines)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// chart draws one chart at (x0, y0), its legend to the right.
func chart(b *strings.Builder, x0, y0 float64, w, h float64, title string, xs []float64, lines []line) {
	const left, bottom, top = 45, 20, 16
	xmax, ymax := 1.0, 0.0
	for _, x := range xs {
		xmax = math.Max(xmax, x)
	}
	for _, l := range lines {
		for _, y := range l.ys {
			ymax = math.Max(ymax, y)
		}
	}
	ymax = niceCeil(ymax)
	px := func(x float64) float64 { return x0 + left + x/xmax*(w-left-10) }
	py := func(y float64) float64 { return y0 + h - bottom - y/ymax*(h-bottom-top) }
	fmt.Fprintf(b, `<text x="%.0f" y="%.0f" font-weight="bold">%s</text>`, x0+left, y0+11, title)
	for _, f := range []float64{0, 0.5, 1} {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/><text x="%.1f" y="%.1f" text-anchor="end">%.4g</text>`,
			px(0), py(f*ymax), px(xmax), py(f*ymax), px(0)-3, py(f*ymax)+3, f*ymax)
	}
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="end">%.0f s</text>`, px(xmax), y0+h-5, xmax)
	for i, l := range lines {
		var pts []string
		for j, y := range l.ys {
			if j < len(xs) {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(xs[j]), py(y)))
			}
		}
		fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`, l.colour, strings.Join(pts, " "))
		fmt.Fprintf(b, `<text x="%.0f" y="%.0f" fill="%s">%s</text>`, x0+w+5, y0+top+12*float64(i+1), l.colour, l.label)
	}
}

// niceCeil rounds up to 1, 2 or 5 × a power of ten (1 for an empty or zero chart).
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}
