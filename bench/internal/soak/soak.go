// Package soak runs half of the stack's measured saturation for a long while, with clients joining and
// leaving, samples every service's resources at a fixed interval, and fails when one grows steadily,
// when the commit→delivery p99 drifts, when an acknowledged stroke is lost, stored twice or delivered
// out of order, or when a service exits.
//
// The load is bench/internal/chaos's, on its stack (two realtime-go, two tile-delta-go, snapshot-rs,
// gateway-ts, PostgreSQL and Redis of the run's own): writers commit strokes through the project's Go
// client, a witness reader per room receives every event (the lost and duplicated checks, and the
// latency), viewers read the tiles through tile-delta-go and join from the head they report, tile
// readers pan.
package soak

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/infidraw/infidraw/bench/internal/chaos"
)

// Config of a soak.
type Config struct {
	Duration       time.Duration // the soak phase, after the saturation probe
	Every          time.Duration // sample interval
	Rooms          int
	ViewersPerRoom int // connected at any time, besides the room's witness
	TileReaders    int
	// Load is the fraction of the measured saturation the soak runs at (the 0.5; make test's
	// 2-minute smoke run uses less, so that its verdict is about growth, not about a shared machine's
	// noise near saturation).
	Load float64
	// ProbeStep is how long each step of the saturation ramp measures.
	ProbeStep time.Duration
	Rules     Rules
	Progress  io.Writer
}

// Saturation is what the ramp found.
type Saturation struct {
	Steps []Step `json:"steps"`
	// CommitsPerSec is the most acknowledged strokes/s of a step whose commit→delivery p99 stayed within
	// P99BoundMs; Writers is that step's.
	CommitsPerSec float64 `json:"commits_per_s"`
	Writers       int     `json:"writers"`
	Stopped       string  `json:"stopped"` // why the ramp ended
}

// Step is one step of the ramp.
type Step struct {
	Writers       int     `json:"writers"`
	CommitsPerSec float64 `json:"commits_per_s"`
	P50ms         float64 `json:"p50_ms"`
	P99ms         float64 `json:"p99_ms"`
}

// P99BoundMs is the commit→delivery p99 the saturation is measured at (bench's fan-out uses the same).
const P99BoundMs = 100

// ramp is the writer counts the probe tries, doubling: far enough for this stack on 2 cores, where the
// machine saturates long before the last.
var ramp = []int{4, 8, 16, 32, 64, 128, 256}

// Report is soak.json.
type Report struct {
	Started    string            `json:"started"`
	Duration   string            `json:"duration"`
	Every      string            `json:"every"`
	Saturation Saturation        `json:"saturation"`
	Load       chaos.ChurnConfig `json:"load"`
	Samples    []Sample          `json:"samples"`
	Integrity  chaos.Result      `json:"integrity"`
	Exited     []string          `json:"exited"`
	Verdict    Verdict           `json:"verdict"`
}

// Run probes the saturation, then soaks at cfg.Load of it for cfg.Duration.
func Run(ctx context.Context, cl *chaos.Cluster, cfg Config) (Report, error) {
	rep := Report{Started: time.Now().UTC().Format(time.RFC3339), Duration: cfg.Duration.String(), Every: cfg.Every.String(), Exited: []string{}}
	sat, err := probe(ctx, cl, cfg)
	if err != nil {
		return rep, err
	}
	rep.Saturation = sat
	// The saturating writer population, paced to cfg.Load of its rate: enough writers that the pace, not their
	// Acks, sets the load.
	rep.Load = chaos.ChurnConfig{Rooms: cfg.Rooms, Writers: sat.Writers, Viewers: cfg.Rooms * cfg.ViewersPerRoom, TileReaders: cfg.TileReaders,
		Rate: sat.CommitsPerSec * cfg.Load, Life: life(cfg)}
	fmt.Fprintf(cfg.Progress, "[soak] saturation %.0f commits/s with %d writers (%s); soaking at %.0f/s for %s, a sample every %s\n",
		sat.CommitsPerSec, sat.Writers, sat.Stopped, rep.Load.Rate, cfg.Duration, cfg.Every)
	ch, err := chaos.StartChurn(ctx, cl, rep.Load)
	if err != nil {
		return rep, err
	}
	smp := newSampler(cl)
	start := time.Now()
	tick := time.NewTicker(cfg.Every)
	exited := map[string]bool{}
	for len(exited) == 0 && time.Since(start) < cfg.Duration-cfg.Every/2 {
		select {
		case <-ctx.Done():
			tick.Stop()
			_, _ = ch.Stop(context.Background(), "soak")
			return rep, ctx.Err()
		case <-tick.C:
		}
		s := smp.sample()
		s.AtSeconds = math.Round(time.Since(start).Seconds())
		s.Load = ch.Interval()
		rep.Samples = append(rep.Samples, s)
		for name, p := range s.Services {
			if p.Exited && !exited[name] {
				exited[name] = true
				rep.Exited = append(rep.Exited, name)
			}
		}
		fmt.Fprintf(cfg.Progress, "[soak] %4.0fs %s\n", s.AtSeconds, oneLine(s))
	}
	tick.Stop()
	rep.Integrity, err = ch.Stop(ctx, "soak")
	if err != nil {
		return rep, err
	}
	sort.Strings(rep.Exited)
	// The first minute is warm-up however short the run: a 2-minute soak judges its second minute.
	rules := cfg.Rules
	rules.MinWarmUp = max(rules.MinWarmUp, int(math.Ceil(float64(time.Minute)/float64(cfg.Every))))
	rep.Verdict = judge(rep, rules)
	return rep, nil
}

// life is how long a client stays, on average: a tenth of the soak, within 10 s to a minute (a short soak
// still sees its clients come and go several times).
func life(cfg Config) time.Duration { return min(max(cfg.Duration/10, 10*time.Second), time.Minute) }

// probe ramps closed-loop writers (each commits its next stroke strokeGap after the last one's Ack) over
// the soak's rooms, viewers and tile readers, coming and going as in the soak, doubling the writers at
// each step, and stops at the first step whose commit→delivery p99 exceeds P99BoundMs or whose
// commits/s grew less than 20 % over the best so far (the Acks fall behind: more writers wait longer,
// the stack commits no more), twice in a row.
func probe(ctx context.Context, cl *chaos.Cluster, cfg Config) (Saturation, error) {
	var sat Saturation
	retried := false
	for i := 0; i < len(ramp); i++ {
		n := ramp[i]
		st, err := probeStep(ctx, cl, cfg, n)
		if err != nil {
			return sat, err
		}
		sat.Steps = append(sat.Steps, st)
		fmt.Fprintf(cfg.Progress, "[soak] probe: %3d writers: %6.0f commits/s, commit→delivery p50 %.1f ms p99 %.1f ms\n", n, st.CommitsPerSec, st.P50ms, st.P99ms)
		var stop string
		switch {
		case st.P99ms > P99BoundMs:
			stop = fmt.Sprintf("p99 %.0f ms > %d ms at %d writers", st.P99ms, P99BoundMs, n)
		case st.CommitsPerSec < 1.2*sat.CommitsPerSec:
			stop = fmt.Sprintf("commits/s grew < 20 %% from %d to %d writers", n/2, n)
		}
		if stop != "" && !retried {
			// A step is measured again before it ends the ramp: on a shared machine a few seconds of
			// someone else's work look like saturation.
			retried = true
			i--
			continue
		}
		// A step that needed a second measurement may let the ramp go on, but it does not set the
		// saturation: a load at the edge of the bound for 3 s is not one the stack sustains for long.
		if !retried && st.P99ms <= P99BoundMs && st.CommitsPerSec > sat.CommitsPerSec {
			sat.CommitsPerSec, sat.Writers = st.CommitsPerSec, n
		}
		if stop != "" {
			sat.Stopped = stop
			break
		}
		retried = false
	}
	if sat.Stopped == "" {
		sat.Stopped = fmt.Sprintf("the ramp ended at %d writers", ramp[len(ramp)-1])
	}
	if sat.CommitsPerSec == 0 { // even the first step was over the bound: soak at what it did
		sat.CommitsPerSec, sat.Writers = sat.Steps[0].CommitsPerSec, sat.Steps[0].Writers
	}
	return sat, nil
}

// probeStep runs n closed-loop writers for cfg.ProbeStep and checks what they committed.
func probeStep(ctx context.Context, cl *chaos.Cluster, cfg Config, n int) (Step, error) {
	ch, err := chaos.StartChurn(ctx, cl, chaos.ChurnConfig{Rooms: cfg.Rooms, Writers: n, Viewers: cfg.Rooms * cfg.ViewersPerRoom,
		TileReaders: cfg.TileReaders, Life: life(cfg)})
	if err != nil {
		return Step{}, err
	}
	backoff(ctx, time.Second) // connections open, first commits: not measured
	_ = ch.Interval()
	began := time.Now()
	backoff(ctx, cfg.ProbeStep)
	iv := ch.Interval()
	took := time.Since(began)
	res, err := ch.Stop(ctx, fmt.Sprintf("saturation probe, %d writers", n))
	if err != nil {
		return Step{}, err
	}
	if res.Failed() {
		return Step{}, fmt.Errorf("%s: lost %d, duplicated %d, order violations %d %v", res.Name, res.Lost, res.Duplicated, res.OrderViolations, res.Notes)
	}
	if ctx.Err() != nil {
		return Step{}, ctx.Err()
	}
	return Step{Writers: n, CommitsPerSec: float64(iv.Acked) / took.Seconds(), P50ms: iv.P50ms, P99ms: iv.P99ms}, nil
}

// judge applies the rules to the samples, and fails on a lost, duplicated or reordered stroke or an
// exited service.
func judge(rep Report, r Rules) Verdict {
	var lat [][]float64
	for _, s := range rep.Samples {
		lat = append(lat, s.Load.Latencies)
	}
	v := Judge(resourceSeries(rep.Samples), lat, r)
	if res := rep.Integrity; res.Failed() {
		v.Failures = append(v.Failures, fmt.Sprintf("acknowledged strokes: lost %d, duplicated %d, order violations %d %s %v",
			res.Lost, res.Duplicated, res.OrderViolations, res.Error, res.Notes))
	}
	for _, name := range rep.Exited {
		v.Failures = append(v.Failures, name+" exited")
	}
	v.Pass = len(v.Failures) == 0
	return v
}

// Floors of the slope rule, per kind of series: a steady rise below them is not called a leak.
const (
	floorBytes      = 16 << 20 // process memory; PostgreSQL's private memory
	floorRedisBytes = 8 << 20  // used_memory: Redis holds only pub/sub and small keys here
	floorFDs        = 20
	floorThreads    = 10
	floorTasks      = 50 // goroutines, node's active handles
)

// resourceSeries lists every judged series, by service then resource, in a stable order.
func resourceSeries(samples []Sample) []Series {
	if len(samples) == 0 {
		return nil
	}
	var names []string
	for name := range samples[len(samples)-1].Services {
		names = append(names, name)
	}
	slices.Sort(names)
	var out []Series
	for _, name := range names {
		tasks := float64(floorTasks)
		if name == "snapshot-rs" || name == "redis" || name == "postgres" {
			tasks = floorThreads // threads or processes, not goroutines
		}
		metrics := []struct {
			what  string
			floor float64
			get   func(Proc) float64
		}{
			{"rss_bytes", floorBytes, func(p Proc) float64 { return float64(p.RSS) }},
			{"fds", floorFDs, func(p Proc) float64 { return float64(p.FDs) }},
			{"threads", floorThreads, func(p Proc) float64 { return float64(p.Threads) }},
			{"tasks", tasks, func(p Proc) float64 { return p.Tasks }},
		}
		for _, m := range metrics {
			if name == "postgres" && m.what == "fds" {
				// Not judged: each backend keeps the relation files it has touched open, up to
				// max_files_per_process, as a cache; their sum climbs as the backends work through
				// more tables, indexes and segments. A leak of connections shows as processes.
				continue
			}
			s := Series{Name: name + " " + m.what, Floor: m.floor}
			for _, smp := range samples {
				s.Values = append(s.Values, m.get(smp.Services[name]))
			}
			out = append(out, s)
		}
	}
	redis := Series{Name: "redis used_memory", Floor: floorRedisBytes}
	for _, smp := range samples {
		redis.Values = append(redis.Values, float64(smp.RedisUsedMemory))
	}
	return append(out, redis)
}

// oneLine is a sample's progress line.
func oneLine(s Sample) string {
	errs := 0
	for _, p := range s.Services {
		errs += p.Errors
	}
	clientErrs := 0
	for _, n := range s.Load.ClientErrors {
		clientErrs += n
	}
	return fmt.Sprintf("acked %d, p50 %.1f ms p99 %.1f ms, realtime-0 RSS %.0f MiB %0.f goroutines, gateway RSS %.0f MiB, pg private %.0f MiB, redis %.1f MiB, service errors %d, client errors %d, joins %d",
		s.Load.Acked, s.Load.P50ms, s.Load.P99ms, mibOf(s.Services["realtime-0"].RSS), s.Services["realtime-0"].Tasks, mibOf(s.Services["gateway"].RSS),
		mibOf(s.Services["postgres"].RSS), mibOf(s.RedisUsedMemory), errs, clientErrs, s.Load.Joins)
}

func mibOf(b int64) float64 { return float64(b) / (1 << 20) }

// backoff waits d or until ctx ends.
func backoff(ctx context.Context, d time.Duration) {
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
}
