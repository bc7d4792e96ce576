package hub

import (
	"math"
	"runtime/metrics"
	"testing"
	"time"
)

func TestOverWait(t *testing.T) {
	// Buckets: [0, 1ms), [1ms, 5ms), [5ms, 20ms), [20ms, +Inf).
	h := &metrics.Float64Histogram{Buckets: []float64{0, 0.001, 0.005, 0.020, math.Inf(1)}, Counts: []uint64{90, 20, 6, 4}}
	tests := []struct {
		name string
		prev []uint64
		want float64
	}{
		{"since the start", nil, 10.0 / 120},
		{"since a read with the long waits already counted", []uint64{50, 10, 6, 4}, 0},
		{"nothing new", []uint64{90, 20, 6, 4}, 0},
	}
	for _, tt := range tests {
		if got := overWait(h, tt.prev, 5*time.Millisecond); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}
