package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// ChurnConfig is a long-running load with clients joining and leaving (bench/internal/soak runs it).
type ChurnConfig struct {
	Rooms int `json:"rooms"`
	// Writers and Viewers are how many are connected at any time; each one that leaves is replaced by a
	// new one, in a random room. Every room also has a witness reader for the whole run (see reader).
	Writers int `json:"writers"`
	Viewers int `json:"viewers"`
	// TileReaders read tiles through tile-delta-go every 100 ms for the whole run.
	TileReaders int `json:"tile_readers"`
	// Rate is the strokes per second of all writers together; 0 lets each writer commit as fast as
	// strokeGap and its Acks allow (a saturation probe).
	Rate float64 `json:"strokes_per_s"`
	// Life is the mean time a writer or viewer stays (uniform between half and one and a half times
	// it); 0 keeps them for the whole run.
	Life time.Duration `json:"life_ns"`
}

// Churn is a running ChurnConfig load.
type Churn struct {
	cl      *Cluster
	t       *tally
	stop    context.CancelFunc // writers, viewers, tile readers
	wg      sync.WaitGroup
	stopW   context.CancelFunc // the witnesses, which outlive the writers to receive their last strokes
	wwg     sync.WaitGroup
	joins   atomic.Int64 // writers and viewers that have connected (incl. the first ones)
	mu      sync.Mutex   // guards the interval state below
	lastAck int
	lastErr map[string]int
}

// Interval is what the clients saw since the previous Interval (or the start).
type Interval struct {
	Acked        int            `json:"acked"`
	Delivered    int            `json:"delivered"` // strokes whose delivery latency was measured
	P50ms        float64        `json:"p50_ms"`
	P99ms        float64        `json:"p99_ms"`
	ClientErrors map[string]int `json:"client_errors"`
	// Latencies are the interval's commit→delivery times in ms, sorted (for pooled quantiles).
	Latencies []float64 `json:"-"`
	Joins     int64     `json:"joins"` // cumulative
}

// StartChurn creates the rooms through the gateway and starts the load.
func StartChurn(ctx context.Context, cl *Cluster, cfg ChurnConfig) (*Churn, error) {
	ch := &Churn{cl: cl, t: newTally(), lastErr: map[string]int{}}
	var rooms []string
	for range cfg.Rooms {
		room, err := cl.account.createRoom(ctx)
		if err != nil {
			return nil, fmt.Errorf("create a room: %w", err)
		}
		rooms = append(rooms, room)
	}
	wctx, stopW := context.WithCancel(ctx)
	ch.stopW = stopW
	for i, room := range rooms {
		r := &reader{room: room, prefer: i % 2, witness: true}
		ch.wwg.Add(1)
		go func() { defer ch.wwg.Done(); r.run(wctx, cl, ch.t) }()
	}
	lctx, stop := context.WithCancel(ctx)
	ch.stop = stop
	var pace *pacer
	if cfg.Rate > 0 {
		pace = newPacer(cfg.Rate)
	}
	// Each slot holds one client at a time: when one leaves, the next joins a random room after a short
	// pause, as people come and go.
	slot := func(seed uint64, connect func(ctx context.Context, rng *rand.Rand, room string, prefer int)) {
		defer ch.wg.Done()
		rng := rand.New(rand.NewPCG(seed, 13))
		for lctx.Err() == nil {
			cctx, cancel := lctx, context.CancelFunc(func() {})
			if cfg.Life > 0 {
				cctx, cancel = context.WithTimeout(lctx, cfg.Life/2+time.Duration(rng.Int64N(int64(cfg.Life))))
			}
			ch.joins.Add(1)
			connect(cctx, rng, rooms[rng.IntN(len(rooms))], rng.IntN(2))
			cancel()
			backoff(lctx, time.Duration(rng.IntN(500))*time.Millisecond)
		}
	}
	for i := range cfg.Writers {
		ch.wg.Add(1)
		go slot(uint64(i), func(ctx context.Context, rng *rand.Rand, room string, prefer int) {
			(&writer{room: room, prefer: prefer, pace: pace}).run(ctx, cl, ch.t, rng)
		})
	}
	for i := range cfg.Viewers {
		ch.wg.Add(1)
		go slot(uint64(1000+i), func(ctx context.Context, _ *rand.Rand, room string, prefer int) {
			(&reader{room: room, prefer: prefer}).run(ctx, cl, ch.t)
		})
	}
	for i := range cfg.TileReaders {
		r := &tileReader{room: rooms[i%len(rooms)], prefer: i % 2}
		ch.wg.Add(1)
		go func() { defer ch.wg.Done(); r.run(lctx, cl, ch.t) }()
	}
	return ch, nil
}

// Interval returns the Acks, commit→delivery latency and client errors since the previous call.
func (ch *Churn) Interval() Interval {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	acked := ch.t.acks()
	ch.t.mu.Lock()
	lat := ch.t.latencyMs
	ch.t.latencyMs = nil
	errs := map[string]int{}
	for k, n := range ch.t.errors {
		if d := n - ch.lastErr[k]; d > 0 {
			errs[k] = d
		}
		ch.lastErr[k] = n
	}
	ch.t.mu.Unlock()
	slices.Sort(lat)
	iv := Interval{Acked: acked - ch.lastAck, Delivered: len(lat), P50ms: quantile(lat, 0.5), P99ms: quantile(lat, 0.99),
		ClientErrors: errs, Joins: ch.joins.Load(), Latencies: lat}
	ch.lastAck = acked
	return iv
}

// quantile of sorted values (0 when there are none).
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// Stop ends the load, lets the witnesses receive the last acknowledged strokes (15 s at most) and checks
// the run as a chaos scenario is checked: lost, duplicated, reordered.
func (ch *Churn) Stop(ctx context.Context, name string) (Result, error) {
	ch.stop()
	ch.wg.Wait()
	_ = waitFor(ctx, 15*time.Second, func() bool { return len(missingFromReaders(ch.t)) == 0 })
	ch.stopW()
	ch.wwg.Wait()
	return check(ctx, ch.cl, name, ch.t)
}
