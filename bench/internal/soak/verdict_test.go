package soak

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

const mib = 1 << 20

// shape makes n samples of f(i) plus uniform noise of ±noise (seeded: the test is deterministic).
func shape(n int, noise float64, f func(i int) float64) []float64 {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]float64, n)
	for i := range out {
		out[i] = f(i) + (rng.Float64()*2-1)*noise
	}
	return out
}

func flat(n int, level float64) []float64 { return shape(n, 0, func(int) float64 { return level }) }

// intervals makes each interval's commit→delivery times from its p99: 200 deliveries, 2 % of them at
// the p99, the rest at a third of it.
func intervals(p99 []float64) [][]float64 {
	var out [][]float64
	for _, p := range p99 {
		l := make([]float64, 200)
		for i := range l {
			l[i] = p / 3
			if i >= 196 {
				l[i] = p
			}
		}
		out = append(out, l)
	}
	return out
}

func TestJudge(t *testing.T) {
	tests := []struct {
		name   string
		series []float64
		floor  float64
		p99    []float64
		warmUp int    // Rules.MinWarmUp (0: the fraction alone)
		p99Off bool   // Rules.P99Drift = 0
		fail   string // a word of the failure expected, "" for a pass
	}{
		{name: "leak: 40 → 70 MiB over 30 samples with ±2 MiB noise", floor: 16 * mib,
			series: shape(30, 2*mib, func(i int) float64 { return 40*mib + float64(i)*mib }), fail: "grows steadily"},
		{name: "slow leak under noise: +25 % with ±3 MiB", floor: 16 * mib,
			series: shape(30, 3*mib, func(i int) float64 { return 80*mib + float64(i)*0.8*mib }), fail: "grows steadily"},
		{name: "GC sawtooth around a flat level", floor: 16 * mib,
			series: shape(30, 0, func(i int) float64 { return 60*mib + float64(i%5)*6*mib }), fail: ""},
		{name: "flat noise", floor: 16 * mib, series: shape(30, 5*mib, func(int) float64 { return 50 * mib }), fail: ""},
		{name: "step during the warm-up, flat after", floor: 16 * mib,
			series: shape(30, mib, func(i int) float64 {
				if i < 5 {
					return 20 * mib
				}
				return 45 * mib
			}), fail: ""},
		{name: "one step in the middle (a pool grew once)", floor: 16 * mib,
			series: shape(30, 3*mib, func(i int) float64 {
				if i < 15 {
					return 60 * mib
				}
				return 80 * mib
			}), fail: ""},
		{name: "steady but below the absolute floor: +2 MiB on 20 MiB", floor: 16 * mib,
			series: shape(30, 0, func(i int) float64 { return 20*mib + float64(i)*mib/15 }), fail: ""},
		{name: "steady but below the relative threshold: +18 MiB on 500 MiB", floor: 16 * mib,
			series: shape(30, 0, func(i int) float64 { return 500*mib + float64(i)*0.6*mib }), fail: ""},
		{name: "goroutines leak one per churned client", floor: 50,
			series: shape(30, 5, func(i int) float64 { return 40 + float64(i)*10 }), fail: "grows steadily"},
		{name: "file descriptors flat with connections coming and going", floor: 20,
			series: shape(30, 6, func(int) float64 { return 60 }), fail: ""},
		{name: "p99 drifts 10 → 70 ms", floor: 16 * mib, series: flat(30, 50*mib),
			p99: shape(30, 1, func(i int) float64 { return 10 + 2*float64(i) }), fail: "p99 drifted"},
		{name: "p99 drifts 10 → 70 ms with the p99 rule off: reported, not judged", floor: 16 * mib, series: flat(30, 50*mib), p99Off: true,
			p99: shape(30, 1, func(i int) float64 { return 10 + 2*float64(i) }), fail: ""},
		{name: "a leak with the p99 rule off still fails", floor: 16 * mib, p99Off: true,
			series: shape(30, 2*mib, func(i int) float64 { return 40*mib + float64(i)*mib }), fail: "grows steadily"},
		{name: "p99 noisy but level", floor: 16 * mib, series: flat(30, 50*mib),
			p99: shape(30, 8, func(int) float64 { return 30 }), fail: ""},
		{name: "p99 doubles from 3 to 6 ms: under the absolute floor", floor: 16 * mib, series: flat(30, 50*mib),
			p99: shape(30, 0, func(i int) float64 { return 3 + float64(i)/10 }), fail: ""},
		{name: "p99 spikes once in the last third", floor: 16 * mib, series: flat(30, 50*mib),
			p99: shape(30, 2, func(i int) float64 {
				if i == 27 {
					return 400
				}
				return 20
			}), fail: ""},
		{name: "short run: V8 sizing its heap during the first minute (6 of 12 samples), flat after", floor: 16 * mib, warmUp: 6,
			series: shape(12, mib, func(i int) float64 { return 150*mib + float64(min(i, 6))*10*mib }), fail: ""},
		{name: "short run: a leak through the second minute", floor: 16 * mib, warmUp: 6,
			series: shape(12, mib, func(i int) float64 { return 40*mib + float64(i)*4*mib }), fail: "grows steadily"},
		{name: "short run: V8 grows its heap once in the judged minute (RSS never shrinks)", floor: 16 * mib, warmUp: 12,
			series: []float64{206 * mib, 206 * mib, 208 * mib, 209 * mib, 210 * mib, 219 * mib, 234 * mib, 234 * mib, 234 * mib, 234 * mib, 234 * mib, 234 * mib,
				234 * mib, 234 * mib, 234 * mib, 236 * mib, 244 * mib, 253 * mib, 260 * mib, 263 * mib, 263 * mib, 263 * mib, 263 * mib, 263 * mib}, fail: ""},
		{name: "monotone staircase through the whole run: a leak in steps", floor: 16 * mib,
			series: shape(30, 0, func(i int) float64 { return 100*mib + float64(i/5)*10*mib }), fail: "grows steadily"},
		{name: "too few samples: not judged", floor: 16 * mib,
			series: shape(4, 0, func(i int) float64 { return 10*mib + float64(i)*100*mib }), fail: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules := DefaultRules
			rules.MinWarmUp = tt.warmUp
			if tt.p99Off {
				rules.P99Drift = 0
			}
			v := Judge([]Series{{Name: "svc rss_bytes", Floor: tt.floor, Values: tt.series}}, intervals(tt.p99), rules)
			failures := strings.Join(v.Failures, "; ")
			switch {
			case tt.fail == "" && !v.Pass:
				t.Fatalf("want a pass, got failures: %s (trends %+v)", failures, v.Trends)
			case tt.fail != "" && v.Pass:
				t.Fatalf("want a failure (%s), got a pass (trends %+v, p99 %.1f → %.1f)", tt.fail, v.Trends, v.P99First, v.P99Last)
			case tt.fail != "" && !strings.Contains(failures, tt.fail):
				t.Fatalf("want a failure saying %q, got %s", tt.fail, failures)
			}
		})
	}
}

func TestSpearman(t *testing.T) {
	tests := []struct {
		name string
		y    []float64
		want float64
	}{
		{"rising", []float64{1, 2, 3, 4, 5}, 1},
		{"falling", []float64{5, 4, 3, 2, 1}, -1},
		{"constant", []float64{3, 3, 3, 3}, 0},
		{"rising with ties", []float64{1, 1, 2, 2, 3, 3}, 0.956},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := spearman(tt.y); math.Abs(got-tt.want) > 0.01 {
				t.Fatalf("spearman(%v) = %.3f, want %.3f", tt.y, got, tt.want)
			}
		})
	}
}
