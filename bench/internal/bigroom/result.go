package bigroom

import (
	"context"
	"fmt"
	"syscall"
)

// The goal of issue 17 ("Big rooms").
const (
	GoalRatio = 10  // broadcast ÷ interest, per-viewer egress and server CPU
	GoalP99ms = 100 // commit → delivery inside a viewport
)

// Result is bigroom.json: the two modes of the same workload and their ratios, and the step-up of
// viewers in interest mode.
type Result struct {
	Viewers int `json:"viewers"`
	Writers int `json:"writers"`
	// Broadcast ÷ interest: mean egress per viewer, and realtime-go's CPU over the window.
	EgressRatio float64 `json:"egress_ratio"`
	CPURatio    float64 `json:"cpu_ratio"`
	// CPUPerCommitRatio is the same per acknowledged commit: a broadcast that saturates realtime-go's
	// core commits less in the window, which the plain CPU ratio does not see.
	CPUPerCommitRatio float64 `json:"cpu_per_commit_ratio"`
	// Interest mode's latency and missing clients (broadcast's are in Broadcast).
	DeliveredP99ms       float64 `json:"delivered_p99_ms"`
	ClientsMissingEvents int     `json:"clients_missing_events"`
	// ServerFiltersByView: in interest mode fewer committed strokes reached clients from beyond their
	// view's margin than inside their viewports (a server without interest management sends every
	// stroke everywhere, most of them far away; one that matches views by cells of a grid sends a few
	// beyond the margin).
	ServerFiltersByView bool `json:"server_filters_by_view"`
	// The largest step of the step-up whose p99 met the goal with no client missing an event or cut off
	// (0: none did, or no step-up ran), and memory per viewer of the interest run.
	MaxViewersAtP99    int     `json:"max_viewers_at_p99"`
	MemoryPerViewerKiB float64 `json:"memory_per_viewer_kib"`
	GoalMet            bool    `json:"goal_met"`
	Config             Config  `json:"config"`
	DurationSec        float64 `json:"duration_s"`
	Interest           Mode    `json:"interest"`
	Broadcast          Mode    `json:"broadcast"`
	StepUp             []Step  `json:"step_up,omitempty"`
	StepDurationSec    float64 `json:"step_duration_s,omitempty"`
	// FDLimit is the open-file limit of the load generator and realtime-go: it bounds the step-up.
	FDLimit int `json:"fd_limit"`
}

// Compare makes the result of the two modes.
func Compare(cfg Config, interest, broadcast Mode) Result {
	r := Result{Viewers: cfg.Viewers, Writers: cfg.Writers, Config: cfg, DurationSec: cfg.Duration.Seconds(), Interest: interest, Broadcast: broadcast,
		DeliveredP99ms: interest.P99ms, ClientsMissingEvents: interest.ClientsMissingEvents, MemoryPerViewerKiB: interest.MemoryPerViewerKiB,
		ServerFiltersByView: interest.OutsideView < int64(interest.InViewDelivered), FDLimit: FDLimit()}
	if interest.EgressBytesPerViewer > 0 {
		r.EgressRatio = broadcast.EgressBytesPerViewer / interest.EgressBytesPerViewer
	}
	if interest.ServerCPUSeconds > 0 {
		r.CPURatio = broadcast.ServerCPUSeconds / interest.ServerCPUSeconds
	}
	if interest.ServerCPUSeconds > 0 && interest.Commits > 0 && broadcast.Commits > 0 {
		r.CPUPerCommitRatio = (broadcast.ServerCPUSeconds / float64(broadcast.Commits)) / (interest.ServerCPUSeconds / float64(interest.Commits))
	}
	r.GoalMet = r.EgressRatio >= GoalRatio && r.CPURatio >= GoalRatio && r.DeliveredP99ms <= GoalP99ms && r.ClientsMissingEvents == 0
	return r
}

// Step is one load of the step-up.
type Step struct {
	Viewers              int     `json:"viewers"`
	JoinSec              float64 `json:"join_s"`
	P50ms                float64 `json:"delivered_p50_ms"`
	P99ms                float64 `json:"delivered_p99_ms"`
	ClientsMissingEvents int     `json:"clients_missing_events"`
	Disconnected         int     `json:"disconnected"`
	ServerCPUCores       float64 `json:"server_cpu_cores"`
	OtherCPUSeconds      float64 `json:"other_cpu_seconds"`
	EgressPerViewerPerS  float64 `json:"egress_bytes_per_viewer_per_s"`
	FramesPerViewerPerS  float64 `json:"frames_per_viewer_per_s"`
	MemoryPerViewerKiB   float64 `json:"memory_per_viewer_kib"`
	ServerPeakRSS        int64   `json:"server_peak_rss_bytes"`
	// Held: p99 within the goal, every client has every event in its viewport, none was cut off.
	Held bool `json:"held"`
}

// StepUp runs interest mode at each number of viewers in turn, each on a fresh realtime-go, and returns
// the steps and the largest that held. It runs every step, also after one that did not hold: on a
// shared machine a burst of other work can sink one step's tail.
func StepUp(ctx context.Context, cfg Config, viewers []int) ([]Step, int, error) {
	var steps []Step
	best := 0
	for _, n := range viewers {
		cfg.Viewers, cfg.Interest = n, true
		m, err := Run(ctx, cfg)
		if err != nil {
			return steps, best, fmt.Errorf("step-up, %d viewers: %w", n, err)
		}
		s := Step{Viewers: n, JoinSec: m.JoinSec, P50ms: m.P50ms, P99ms: m.P99ms, ClientsMissingEvents: m.ClientsMissingEvents, Disconnected: m.Disconnected,
			ServerCPUCores: m.ServerCPUCores, OtherCPUSeconds: m.OtherCPUSeconds, EgressPerViewerPerS: m.EgressBytesPerViewerPerSec, FramesPerViewerPerS: m.FramesPerViewerPerSec, MemoryPerViewerKiB: m.MemoryPerViewerKiB, ServerPeakRSS: m.ServerPeakRSS}
		s.Held = m.P99ms <= GoalP99ms && m.ClientsMissingEvents == 0 && m.Disconnected == 0 && m.WriterErrors == 0
		steps = append(steps, s)
		if s.Held {
			best = n
		}
	}
	return steps, best, nil
}

// FDLimit is this process's open-file limit (realtime-go, started by it, has the same).
func FDLimit() int {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0
	}
	return int(l.Cur)
}

// MaxViewers is the most viewers one realtime-go and this load generator can hold open beside the
// writers: every connection is a descriptor in each process, and each needs some for itself.
func MaxViewers(writers int) int { return FDLimit() - writers - 256 }
