package soak

import (
	"fmt"
	"math"
	"slices"
)

// Rules are the thresholds of the verdict. A soak's samples are evenly spaced, so time is the sample's
// index.
//
// The slope rule: the first WarmUp of the samples, and at least MinWarmUp samples, are discarded (pools
// fill, JITs and allocators settle, V8 sizes its heap, PostgreSQL touches its shared buffers). A
// least-squares line is fitted to each resource series over the rest (the judged window). The series "grows steadily", and the soak fails, when all of these hold:
//   - the fitted growth over the judged window (slope × its length) exceeds Growth × the fitted level at
//     its start: growth that matters relative to the process;
//   - it also exceeds the series' absolute Floor: 2 MiB on 20 MiB is a wobble, not a leak;
//   - Spearman's rank correlation of the values with time is at least MinRank: the series rises
//     rather than see-sawing (a garbage collector's sawtooth ranks low);
//   - it rises in both halves of the judged window: each half's own fitted growth is at least a quarter
//     of the whole window's. A memory that steps up once and stays (V8 growing its heap, a pool
//     reaching its size) is monotone and ranks high, but it grows in one half only; a leak grows in both.
//
// The p99 rule: the intervals after the WarmUp fraction alone (the saturation probe has warmed the
// stack's paths already; MinWarmUp is for memory) that measured a delivery are split in thirds; the
// commit→delivery times of each third are pooled, and the soak fails when the p99 of the last third
// exceeds P99Drift × the p99 of the first third and exceeds it by more than P99FloorMs too (on a shared
// 2-core machine 4 ms against 2 ms is scheduling noise, not drift). Pooled, not a median of the
// intervals' p99s: a 5-second interval's p99 rests on a dozen deliveries and swings 3x on its own; the
// interval of the highest p99 of each third is left out of its pool (one stall is not a drift).
type Rules struct {
	WarmUp     float64 // fraction of the samples discarded at the start
	MinWarmUp  int     // samples discarded at the least (Run sets the first minute's)
	MinSamples int     // judged samples needed for the slope rule (fewer: not judged, said so)
	Growth     float64 // fitted growth relative to the fitted start level
	MinRank    float64 // Spearman rank correlation with time
	P99Drift   float64 // last third / first third; 0: the p99 rule is off (make test's 2-minute run, whose thirds of 40 s a single stall of the shared machine decides)
	P99FloorMs float64 // and last third − first third
}

// DefaultRules catch a leak that adds a fifth to a process over the run, steadily, and tolerate what a
// shared 2-core machine does to a healthy stack (see verdict_test.go for the shapes they separate).
var DefaultRules = Rules{WarmUp: 0.2, MinSamples: 5, Growth: 0.2, MinRank: 0.8, P99Drift: 1.5, P99FloorMs: 20}

// Series is one resource of one process over the run.
type Series struct {
	Name   string    `json:"name"` // "realtime-0 rss_bytes"
	Floor  float64   `json:"floor"`
	Values []float64 `json:"-"`
}

// Trend is what the slope rule found for one series.
type Trend struct {
	Name   string  `json:"name"`
	Start  float64 `json:"start"`  // fitted level at the start of the judged window
	Growth float64 `json:"growth"` // fitted growth over the judged window
	Rank   float64 `json:"rank"`   // Spearman's ρ of value and time
	Grows  bool    `json:"grows_steadily"`
}

// Verdict is the soak's outcome.
type Verdict struct {
	Pass     bool     `json:"pass"`
	Failures []string `json:"failures"`
	Notes    []string `json:"notes,omitempty"`
	Trends   []Trend  `json:"trends"`
	P99First float64  `json:"p99_first_third_ms"` // pooled over the third's intervals
	P99Last  float64  `json:"p99_last_third_ms"`
}

// Judge applies the slope rule to every series and the p99 rule to latencies (each interval's
// commit→delivery times in ms).
func Judge(series []Series, latencies [][]float64, r Rules) Verdict {
	v := Verdict{Failures: []string{}}
	for _, s := range series {
		vals := judged(s.Values, r)
		if len(vals) < r.MinSamples {
			v.Notes = append(v.Notes, fmt.Sprintf("%s: %d samples after the warm-up, fewer than %d: slope not judged", s.Name, len(vals), r.MinSamples))
			continue
		}
		t := trend(s.Name, vals)
		half := len(vals) / 2
		early, late := trend("", vals[:half]), trend("", vals[len(vals)-half:])
		throughout := early.Growth >= t.Growth/4 && late.Growth >= t.Growth/4
		t.Grows = t.Growth > r.Growth*math.Abs(t.Start) && t.Growth > s.Floor && t.Rank >= r.MinRank && throughout
		if t.Grows {
			v.Failures = append(v.Failures, fmt.Sprintf("%s grows steadily: %+.4g over the judged window from %.4g (%+.0f %%, ρ %.2f)",
				s.Name, t.Growth, t.Start, 100*t.Growth/math.Max(math.Abs(t.Start), 1e-9), t.Rank))
		}
		v.Trends = append(v.Trends, t)
	}
	var lat [][]float64
	skip := len(latencies) - len(judged(make([]float64, len(latencies)), Rules{WarmUp: r.WarmUp}))
	for _, l := range latencies[skip:] {
		if len(l) > 0 {
			lat = append(lat, l)
		}
	}
	switch {
	case r.P99Drift == 0:
		v.Notes = append(v.Notes, "p99 drift not judged (the rule is off for this run)")
	case len(lat) >= 3:
		third := len(lat) / 3
		v.P99First, v.P99Last = pooledP99(lat[:third]), pooledP99(lat[len(lat)-third:])
		if v.P99Last > r.P99Drift*v.P99First && v.P99Last-v.P99First > r.P99FloorMs {
			v.Failures = append(v.Failures, fmt.Sprintf("commit→delivery p99 drifted: %.1f ms over the last third vs %.1f ms over the first (> %.0f %% and > %.0f ms more)",
				v.P99Last, v.P99First, 100*(r.P99Drift-1), r.P99FloorMs))
		}
	default:
		v.Notes = append(v.Notes, "fewer than 3 intervals measured a delivery after the warm-up: p99 drift not judged")
	}
	v.Pass = len(v.Failures) == 0
	return v
}

// judged drops the warm-up: the first fraction of the values, at least MinWarmUp of them, and at least
// one when there are several.
func judged(vals []float64, r Rules) []float64 {
	skip := max(int(math.Ceil(r.WarmUp*float64(len(vals)))), r.MinWarmUp)
	if len(vals) > 1 {
		skip = max(skip, 1)
	}
	return vals[min(skip, len(vals)):]
}

// trend fits y = a + b·i by least squares and ranks the values against time.
func trend(name string, y []float64) Trend {
	n := float64(len(y))
	var sx, sy, sxx, sxy float64
	for i, v := range y {
		x := float64(i)
		sx, sy, sxx, sxy = sx+x, sy+v, sxx+x*x, sxy+x*v
	}
	b := (n*sxy - sx*sy) / (n*sxx - sx*sx)
	a := (sy - b*sx) / n
	return Trend{Name: name, Start: a, Growth: b * (n - 1), Rank: spearman(y)}
}

// spearman is the rank correlation of y with its index (ties get their mean rank; a constant series
// ranks 0).
func spearman(y []float64) float64 {
	n := len(y)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case y[a] < y[b]:
			return -1
		case y[a] > y[b]:
			return 1
		}
		return 0
	})
	ranks := make([]float64, n)
	for i := 0; i < n; {
		j := i
		for j+1 < n && y[idx[j+1]] == y[idx[i]] {
			j++
		}
		for k := i; k <= j; k++ {
			ranks[idx[k]] = float64(i+j) / 2
		}
		i = j + 1
	}
	// Pearson correlation of the ranks with 0..n-1.
	mean := float64(n-1) / 2
	var cov, vr, vt float64
	for i, r := range ranks {
		cov += (r - mean) * (float64(i) - mean)
		vr += (r - mean) * (r - mean)
		vt += (float64(i) - mean) * (float64(i) - mean)
	}
	if vr == 0 || vt == 0 {
		return 0
	}
	return cov / math.Sqrt(vr*vt)
}

// pooledP99 is the p99 of the intervals' values together, without the interval of the highest p99
// when there are three or more: one stall (someone else's burst on the machine) is not a drift, and a
// drift raises every interval.
func pooledP99(intervals [][]float64) float64 {
	worst := -1
	if len(intervals) >= 3 {
		for i, l := range intervals {
			if worst < 0 || p99Of(l) > p99Of(intervals[worst]) {
				worst = i
			}
		}
	}
	var all []float64
	for i, l := range intervals {
		if i != worst {
			all = append(all, l...)
		}
	}
	slices.Sort(all)
	return all[min(len(all)-1, int(0.99*float64(len(all))))]
}

// p99Of is the p99 of one interval's values.
func p99Of(l []float64) float64 {
	s := slices.Clone(l)
	slices.Sort(s)
	return s[min(len(s)-1, int(0.99*float64(len(s))))]
}
