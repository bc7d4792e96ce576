package hub

import (
	"context"
	"runtime/metrics"
	"time"
)

// The replica's CPU load, for adaptive delivery: the Go scheduler's latency, how long runnable
// goroutines waited for a thread. A replica short of CPU shows it there before anywhere else (its flushes
// still run on time: the writers of the sockets are what wait).
const (
	schedLatencies = "/sched/latencies:seconds"
	// loadSample is how often the latencies are read.
	loadSample = 250 * time.Millisecond
	// loadedWait: the replica counts as loaded while more than loadedShare of the goroutines that became
	// runnable in a sample waited longer than this.
	loadedWait  = 5 * time.Millisecond
	loadedShare = 0.05
)

// watchLoad samples the scheduler's latencies until ctx ends and keeps h.loaded up to date.
func (h *Hub) watchLoad(ctx context.Context) {
	sample := []metrics.Sample{{Name: schedLatencies}}
	var prev []uint64
	t := time.NewTicker(loadSample)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindFloat64Histogram {
			return // not this runtime: never loaded
		}
		hist := sample[0].Value.Float64Histogram()
		h.loaded.Store(overWait(hist, prev, loadedWait) > loadedShare)
		prev = append(prev[:0], hist.Counts...)
	}
}

// overWait returns the share of the waits counted since prev (the counts of an earlier read) that were
// longer than wait.
func overWait(h *metrics.Float64Histogram, prev []uint64, wait time.Duration) float64 {
	var total, over uint64
	for i, n := range h.Counts {
		if i < len(prev) {
			n -= prev[i]
		}
		total += n
		if h.Buckets[i] >= wait.Seconds() {
			over += n
		}
	}
	if total == 0 {
		return 0
	}
	return float64(over) / float64(total)
}
