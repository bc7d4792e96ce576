package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/infidraw/infidraw/bench/internal/bigroom"
	"github.com/infidraw/infidraw/shared-go/quickdraw"
)

// bigroomPlan is the bigroom part's load: the two modes at Viewers, then the step-up of viewers in
// interest mode (none with --quick).
type bigroomPlan struct {
	cfg        bigroom.Config
	steps      []int
	stepLength time.Duration
}

func quickBigroom() bigroomPlan {
	return bigroomPlan{cfg: bigroom.Config{Viewers: 500, Writers: 20, Board: bigroom.Board{Cols: 40, Rows: 40}, Duration: 3 * time.Second,
		Speed: 1, Seed: 17, Settle: 10 * time.Second}}
}

func fullBigroom() bigroomPlan {
	return bigroomPlan{cfg: bigroom.Config{Viewers: 10000, Writers: 200, Board: bigroom.Board{Cols: 40, Rows: 40}, Duration: 30 * time.Second,
		Speed: 1, Seed: 17, Settle: 20 * time.Second},
		steps: []int{1000, 2500, 5000, 10000, 15000, 20000}, stepLength: 15 * time.Second}
}

// bigroomRuns runs the same workload with interest management and with broadcast to every client, then
// the step-up, and writes bigroom.json and the summary's section. Interest mode must deliver every
// committed stroke to every client whose viewport it touches; broadcast mode's misses (slow consumers
// cut off) are reported, not failed.
func bigroomRuns(ctx context.Context, bp bigroomPlan, out string, server bigroom.Server, drawings []quickdraw.Drawing, summary *strings.Builder) error {
	cfg := bp.cfg
	cfg.Server, cfg.Drawings = server, drawings
	limit := bigroom.MaxViewers(cfg.Writers)
	if cfg.Viewers > limit {
		return fmt.Errorf("bigroom: %d viewers need more open files than the limit (%d): raise ulimit -n (scripts/bench.sh does, up to the hard limit)", cfg.Viewers, bigroom.FDLimit())
	}
	var modes [2]bigroom.Mode
	for i, interest := range []bool{true, false} {
		cfg.Interest = interest
		m, err := bigroom.Run(ctx, cfg)
		if err != nil {
			return fmt.Errorf("bigroom, %s: %w", bigroom.ModeName(interest), err)
		}
		fmt.Printf("bigroom %s: %d viewers joined in %.1f s, egress %.0f B/viewer, CPU %.2f s (generator %.2f s, other %.2f s), ack p99 %.1f ms, delivered p50 %.1f p99 %.1f ms, %d clients missing events, %d cut off\n",
			m.Mode, m.Viewers, m.JoinSec, m.EgressBytesPerViewer, m.ServerCPUSeconds, m.GeneratorCPUSeconds, m.OtherCPUSeconds, m.AckP99ms, m.P50ms, m.P99ms, m.ClientsMissingEvents, m.Disconnected)
		modes[i] = m
	}
	res := bigroom.Compare(cfg, modes[0], modes[1])
	var steps []int
	for _, n := range bp.steps {
		steps = append(steps, min(n, limit))
		if n >= limit {
			break
		}
	}
	if len(steps) > 0 {
		stepCfg := cfg
		stepCfg.Duration = bp.stepLength
		var err error
		if res.StepUp, res.MaxViewersAtP99, err = bigroom.StepUp(ctx, stepCfg, steps); err != nil {
			return err
		}
		res.StepDurationSec = bp.stepLength.Seconds()
	}
	if err := writeJSON(out, "bigroom", res); err != nil {
		return err
	}
	bigroomSummary(summary, res)
	if res.Interest.ClientsMissingEvents > 0 || res.Interest.WriterErrors > 0 {
		return fmt.Errorf("bigroom, interest mode: %d of %d clients missing committed strokes inside their viewport (%d of %d deliveries), %d writers failed (%s): %s",
			res.Interest.ClientsMissingEvents, res.Viewers+res.Writers, res.Interest.MissingEvents, res.Interest.ExpectedEvents, res.Interest.WriterErrors,
			res.Interest.WriterError, strings.Join(res.Interest.Missing, "; "))
	}
	return nil
}

func bigroomSummary(summary *strings.Builder, r bigroom.Result) {
	fmt.Fprintf(summary, "## Big room: %d viewers and %d writers on one board, interest management vs broadcast to all\n\n", r.Viewers, r.Writers)
	fmt.Fprintf(summary, "One room, a board of %d × %d screens (1920×1080 world units each, level 0); %d writers at random spots replaying random real drawings "+
		"at their recorded speed (live chunks every 16 ms of recorded time, commit, recorded pause), each with its own screen; %d viewers joined "+
		"with a 1920×1080 view (every other one over a writer's spot, the rest anywhere). The same seed and workload twice, each on a fresh realtime-go "+
		"pinned to core 1: REALTIME_INTEREST=on (a client gets what touches its view grown by half its size on every side) and =off (every client gets "+
		"everything, as before views). Measured over a %.0f s window after every client joined: WebSocket payload bytes received per viewer (mean), "+
		"realtime-go's CPU (utime+stime), commit → delivery latency (the event's committed_at_ms to its arrival) of every committed stroke inside the "+
		"receiving client's viewport; then, once the writers stopped, every client (viewers and writers) must hold every acknowledged stroke whose box "+
		"(points ± width) touches its viewport (interest mode fails the run otherwise). Memory per viewer: realtime-go's RSS with every viewer joined "+
		"minus before, per viewer. Goal (issue 17): both ratios ≥ %d, p99 ≤ %d ms, no client missing an event in its viewport.\n\n",
		r.Config.Board.Cols, r.Config.Board.Rows, r.Writers, r.Viewers, r.DurationSec, bigroom.GoalRatio, bigroom.GoalP99ms)
	fmt.Fprintf(summary, "| mode | join s | commits | ack p50 / p99 ms | live chunks | egress B/viewer | egress B/viewer/s | frames/viewer/s | server CPU s | cores | generator CPU s | other CPU s | in-view deliveries | p50 ms | p99 ms | p99.9 ms | "+
		"beyond the margin | clients missing events (missing of expected) | cut off (of them told SLOW_CONSUMER) | writer errors | KiB/viewer | server peak RSS MiB |\n"+
		"|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, m := range []bigroom.Mode{r.Interest, r.Broadcast} {
		fmt.Fprintf(summary, "| %s | %.1f | %d | %.1f / %.1f | %d | %.0f | %.0f | %.1f | %.2f | %.2f | %.2f | %.2f | %d | %.1f | %.1f | %.1f | %d | %d (%d of %d) | %d (%d) | %d | %.1f | %.0f |\n",
			m.Mode, m.JoinSec, m.Commits, m.AckP50ms, m.AckP99ms, m.LiveChunks, m.EgressBytesPerViewer, m.EgressBytesPerViewerPerSec, m.FramesPerViewerPerSec, m.ServerCPUSeconds, m.ServerCPUCores, m.GeneratorCPUSeconds, m.OtherCPUSeconds,
			m.InViewDelivered, m.P50ms, m.P99ms, m.P999ms, m.OutsideView, m.ClientsMissingEvents, m.MissingEvents, m.ExpectedEvents, m.Disconnected,
			m.KickedSlow, m.WriterErrors, m.MemoryPerViewerKiB, float64(m.ServerPeakRSS)/(1<<20))
	}
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**not met**"
	}
	fmt.Fprintf(summary, "\n**egress ratio %.1f** (%s), **CPU ratio %.1f** (%s; per acknowledged commit %.1f), **p99 %.1f ms** (%s), **%d clients missing events** (%s); memory per viewer %.1f KiB.",
		r.EgressRatio, verdict(r.EgressRatio >= bigroom.GoalRatio), r.CPURatio, verdict(r.CPURatio >= bigroom.GoalRatio), r.CPUPerCommitRatio,
		r.DeliveredP99ms, verdict(r.DeliveredP99ms <= bigroom.GoalP99ms), r.ClientsMissingEvents, verdict(r.ClientsMissingEvents == 0), r.MemoryPerViewerKiB)
	fmt.Fprintf(summary, " A broadcast that saturates realtime-go's core is capped at that core and commits less in the window (writers wait for acks), so the CPU ratio understates what broadcast would cost; the ratio per acknowledged commit corrects for the second. "+
		"The commit → ack times show how much of the delivered latency is the commit path (stored before it is sent; PostgreSQL is not pinned and shares the machine). "+
		"\"other CPU s\" is the machine's busy CPU over the window that was neither realtime-go's nor the generator's (PostgreSQL, Redis and whatever else ran): the 2 cores are shared, so a large value means a noisy run.")
	if !r.ServerFiltersByView {
		fmt.Fprintf(summary, " realtime-go did **not** filter by view in interest mode (%d committed strokes reached clients from beyond their view's margin, %d inside their viewports): "+
			"this realtime-go has no interest management, so both modes broadcast and the ratios are about 1.", r.Interest.OutsideView, r.Interest.InViewDelivered)
	}
	fmt.Fprintf(summary, " \"beyond the margin\" counts committed strokes delivered to a client from outside its view grown by the margin: "+
		"what a server that filters exactly would not send (a few where it matches views coarsely), everything elsewhere when it does not filter. "+
		"\"cut off\" counts the connections realtime-go closed before the end (a slow consumer's closing Error may not reach it: its queue is full).\n\n")
	if len(r.StepUp) == 0 {
		return
	}
	fmt.Fprintf(summary, "### Big room: viewers one realtime-go holds (interest mode, %d writers, %.0f s per step, a fresh realtime-go each; open-file limit %d)\n\n"+
		"| viewers | join s | p50 ms | p99 ms | clients missing events | cut off | server cores | other CPU s | egress B/viewer/s | frames/viewer/s | KiB/viewer | server peak RSS MiB | held |\n"+
		"|---|---|---|---|---|---|---|---|---|---|---|---|---|\n", r.Writers, r.StepDurationSec, r.FDLimit)
	for _, s := range r.StepUp {
		fmt.Fprintf(summary, "| %d | %.1f | %.1f | %.1f | %d | %d | %.2f | %.2f | %.0f | %.1f | %.1f | %.0f | %t |\n", s.Viewers, s.JoinSec, s.P50ms, s.P99ms, s.ClientsMissingEvents,
			s.Disconnected, s.ServerCPUCores, s.OtherCPUSeconds, s.EgressPerViewerPerS, s.FramesPerViewerPerS, s.MemoryPerViewerKiB, float64(s.ServerPeakRSS)/(1<<20), s.Held)
	}
	fmt.Fprintf(summary, "\n**Largest step held (p99 ≤ %d ms, nothing missing, nobody cut off): %d viewers.** Every step runs, also after one that did not hold. The steps stop at the open-file limit: every connection is a descriptor in realtime-go and in the load generator.\n\n",
		bigroom.GoalP99ms, r.MaxViewersAtP99)
}
