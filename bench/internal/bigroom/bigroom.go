// Package bigroom measures one big room: thousands of viewers and hundreds of writers on one board,
// each client's viewport a screen somewhere on it, with realtime-go's interest management (a client gets
// what touches its view) and with broadcast to every client (REALTIME_INTEREST=off, the behaviour before
// views). It reports per-viewer egress, server CPU, the commit → delivery latency of strokes inside a
// viewer's viewport, and checks that every client received every committed stroke that touches its
// viewport.
package bigroom

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/infidraw/infidraw/bench/internal/replay"
	"github.com/infidraw/infidraw/bench/internal/stack"
	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/realtime-go/client"
	"github.com/infidraw/infidraw/shared-go/quickdraw"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// Server is how to start realtime-go.
type Server struct {
	Bin, DatabaseURL, RedisURL string
	Keys                       *stack.Keys
	CPUs                       string // taskset list, "" = not pinned
}

// Config of one run.
type Config struct {
	Viewers  int           `json:"viewers"`
	Writers  int           `json:"writers"`
	Board    Board         `json:"board_screens"`
	Duration time.Duration `json:"-"`
	Speed    float64       `json:"speed"` // 1 = recorded speed
	// Seed places the clients and picks the writers' drawings: the same workload in every mode.
	Seed     uint64 `json:"seed"`
	Interest bool   `json:"-"`
	// Settle bounds the wait, once the writers stopped, for every client to hold what touches it.
	Settle   time.Duration       `json:"-"`
	Drawings []quickdraw.Drawing `json:"-"`
	Server   Server              `json:"-"`
}

// Mode is one run: interest management on or off.
type Mode struct {
	Mode        string  `json:"mode"` // "interest" or "broadcast" (REALTIME_INTEREST=on / off)
	Viewers     int     `json:"viewers"`
	Writers     int     `json:"writers"`
	DurationSec float64 `json:"duration_s"`
	JoinSec     float64 `json:"join_s"` // to join every viewer
	// Commits acknowledged (the window's and the ones in flight at its end), live chunks sent.
	Commits    int   `json:"commits"`
	LiveChunks int64 `json:"live_chunks"`
	// Egress per viewer: WebSocket message payloads received in the window, mean over the viewers.
	EgressBytesPerViewer       float64 `json:"egress_bytes_per_viewer"`
	EgressBytesPerViewerPerSec float64 `json:"egress_bytes_per_viewer_per_s"`
	// Frames (WebSocket messages) per viewer per second: realtime-go pays a write for each.
	FramesPerViewerPerSec float64 `json:"frames_per_viewer_per_s"`
	// realtime-go's CPU (utime + stime) over the window, and that divided by the window (cores busy);
	// the load generator's own over the window (it has one core: near the window, it was the limit).
	ServerCPUSeconds    float64 `json:"server_cpu_seconds"`
	ServerCPUCores      float64 `json:"server_cpu_cores"`
	GeneratorCPUSeconds float64 `json:"generator_cpu_seconds"`
	// OtherCPUSeconds is the machine's busy CPU over the window that was neither realtime-go's nor the
	// generator's: PostgreSQL, Redis, and any other work on the machine (the numbers share its 2 cores).
	OtherCPUSeconds float64 `json:"other_cpu_seconds"`
	// Deliveries of committed strokes inside the receiving client's viewport, and their latency from
	// the event's committed_at_ms to its arrival (same clock).
	InViewDelivered int     `json:"in_view_delivered"`
	P50ms           float64 `json:"delivered_p50_ms"`
	P99ms           float64 `json:"delivered_p99_ms"`
	P999ms          float64 `json:"delivered_p999_ms"`
	// Commit → ack at the writers (the commit path alone: store, then ack).
	AckP50ms float64 `json:"ack_p50_ms"`
	AckP99ms float64 `json:"ack_p99_ms"`
	// Committed strokes delivered beyond a client's view grown by its margin: 0 when the server filters
	// by view.
	OutsideView int64 `json:"outside_view_delivered"`
	// Clients (viewers and writers) that lack a committed stroke touching their viewport once the run
	// settled, how many such deliveries are missing, and of how many expected.
	ClientsMissingEvents int      `json:"clients_missing_events"`
	MissingEvents        int      `json:"missing_events"`
	ExpectedEvents       int      `json:"expected_events"`
	Missing              []string `json:"clients_missing,omitempty"`
	// Connections the server closed before the end (all of them: a slow consumer's queue is full, so the
	// Error that says why may never reach it), and those that got ERROR_CODE_SLOW_CONSUMER.
	Disconnected int `json:"disconnected"`
	KickedSlow   int `json:"kicked_slow_consumers"`
	// Writers whose replay failed (a writer cut off as a slow consumer cannot commit).
	WriterErrors int    `json:"writer_errors"`
	WriterError  string `json:"writer_error,omitempty"`
	// realtime-go's RSS with the writers joined, then with every viewer too; the difference per viewer.
	RSSBeforeViewers   int64   `json:"rss_before_viewers_bytes"`
	RSSAfterViewers    int64   `json:"rss_after_viewers_bytes"`
	MemoryPerViewerKiB float64 `json:"memory_per_viewer_kib"`
	ServerPeakRSS      int64   `json:"server_peak_rss_bytes"`
}

// ModeName is "interest" or "broadcast".
func ModeName(interest bool) string {
	if interest {
		return "interest"
	}
	return "broadcast"
}

// conn is one client of the run.
type conn struct {
	c    *client.Client
	got  *received
	role string
}

// Run starts realtime-go with interest management on or off, joins the writers and viewers, lets the
// writers draw for the window and checks what every client received.
func Run(ctx context.Context, cfg Config) (res Mode, err error) {
	res = Mode{Mode: ModeName(cfg.Interest), Viewers: cfg.Viewers, Writers: cfg.Writers, DurationSec: cfg.Duration.Seconds()}
	env := "REALTIME_INTEREST=off"
	if cfg.Interest {
		env = "REALTIME_INTEREST=on"
	}
	s := cfg.Server
	srv, err := stack.StartRealtime(s.Bin, s.DatabaseURL, s.RedisURL, s.Keys, s.CPUs, env)
	if err != nil {
		return res, err
	}
	pid := srv.Cmd.Process.Pid
	defer func() {
		if u, err := stack.ReadUsage(pid); err == nil {
			res.ServerPeakRSS = u.PeakRSS
		}
		srv.Stop()
	}()
	room := uuid.NewString()
	place := cfg.Board.Place(cfg.Seed, cfg.Writers, cfg.Viewers)
	sent := newCommitted()
	var conns []*conn
	defer func() {
		for _, c := range conns {
			_ = c.c.Close()
		}
	}()
	dial := func(ctx context.Context, role string, viewport Rect) (*conn, error) {
		got := newReceived(viewport, sent)
		cn := &conn{got: got, role: role}
		dctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		var err error
		cn.c, err = client.Dial(dctx, srv.WSURL(), room, s.Keys.Token(uuid.NewString(), room, role), 0, client.Options{View: viewport.View(),
			OnHeads: got.heads, OnFrame: got.frame})
		return cn, err
	}
	for i, vp := range place.Writers {
		cn, err := dial(ctx, "editor", vp)
		if err != nil {
			return res, fmt.Errorf("writer %d: %w", i+1, err)
		}
		conns = append(conns, cn)
	}
	writers := conns[:cfg.Writers:cfg.Writers]
	before, err := stack.ReadUsage(pid)
	if err != nil {
		return res, err
	}
	began := time.Now()
	viewers, err := dialAll(ctx, place.Viewers, func(ctx context.Context, vp Rect) (*conn, error) { return dial(ctx, "viewer", vp) })
	conns = append(conns, viewers...)
	if err != nil {
		return res, err
	}
	res.JoinSec = time.Since(began).Seconds()
	joined, err := stack.ReadUsage(pid)
	if err != nil {
		return res, err
	}
	res.RSSBeforeViewers, res.RSSAfterViewers = before.RSSBytes, joined.RSSBytes
	if cfg.Viewers > 0 {
		res.MemoryPerViewerKiB = float64(joined.RSSBytes-before.RSSBytes) / float64(cfg.Viewers) / 1024
	}

	// traffic is what the viewers received so far: bytes and frames.
	traffic := func() (bytes, frames int64) {
		for _, v := range viewers {
			bytes += v.got.bytes.Load()
			frames += v.got.frames.Load()
		}
		return bytes, frames
	}
	cpu0, err := stack.ReadUsage(pid)
	if err != nil {
		return res, err
	}
	gen0, err := stack.ReadUsage(os.Getpid())
	if err != nil {
		return res, err
	}
	busy0, err := machineBusySeconds()
	if err != nil {
		return res, err
	}
	bytes0, frames0 := traffic()
	runCtx, stop := context.WithTimeout(ctx, cfg.Duration)
	defer stop()
	var wg sync.WaitGroup
	var liveSent, acked atomic.Int64
	var writerErrs atomic.Int64
	var firstErr atomic.Value
	var ackMu sync.Mutex
	var ackMs []float64
	for i, w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(cfg.Seed, uint64(i+1)))
			out := &writer{c: w.c, strokes: sent, liveSent: &liveSent, acked: &acked}
			defer func() {
				ackMu.Lock()
				ackMs = append(ackMs, out.ackMs...)
				ackMu.Unlock()
			}()
			spot := place.Spots[i]
			for runCtx.Err() == nil {
				d := cfg.Drawings[rng.IntN(len(cfg.Drawings))]
				if _, err := replay.Drawing(runCtx, d, spot[0]/strokes.CoordScale, spot[1]/strokes.CoordScale, cfg.Speed, out); err != nil {
					writerErrs.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("writer %d: %v", i+1, err))
					return
				}
			}
		}()
	}
	<-runCtx.Done()
	if ctx.Err() != nil {
		wg.Wait()
		return res, ctx.Err()
	}
	cpu1, err := stack.ReadUsage(pid)
	if err != nil {
		return res, err
	}
	gen1, err := stack.ReadUsage(os.Getpid())
	if err != nil {
		return res, err
	}
	busy1, err := machineBusySeconds()
	if err != nil {
		return res, err
	}
	bytes1, frames1 := traffic()
	wg.Wait() // commits in flight at the window's end complete
	res.ServerCPUSeconds = cpu1.CPUSeconds - cpu0.CPUSeconds
	res.ServerCPUCores = res.ServerCPUSeconds / res.DurationSec
	res.GeneratorCPUSeconds = gen1.CPUSeconds - gen0.CPUSeconds
	// The three are read at slightly different moments, in 10 ms ticks: an idle machine can come out a
	// few ticks below zero.
	res.OtherCPUSeconds = max(0, busy1-busy0-res.ServerCPUSeconds-res.GeneratorCPUSeconds)
	if len(viewers) > 0 {
		res.EgressBytesPerViewer = float64(bytes1-bytes0) / float64(len(viewers))
		res.EgressBytesPerViewerPerSec = res.EgressBytesPerViewer / res.DurationSec
		res.FramesPerViewerPerSec = float64(frames1-frames0) / float64(len(viewers)) / res.DurationSec
	}
	res.Commits, res.LiveChunks = int(acked.Load()), liveSent.Load()
	res.WriterErrors = int(writerErrs.Load())
	if e, ok := firstErr.Load().(string); ok {
		res.WriterError = e
	}
	sort.Float64s(ackMs)
	res.AckP50ms, res.AckP99ms = quantile(ackMs, 0.5), quantile(ackMs, 0.99)
	settle(&res, conns, sent, cfg.Settle)
	return res, nil
}

// settle waits (up to a bound) until every client holds the committed strokes that touch its viewport,
// then counts what is missing, the deliveries and their latency, and the connections that ended.
func settle(res *Mode, conns []*conn, sent *committed, bound time.Duration) {
	viewports := make([]Rect, len(conns))
	for i, c := range conns {
		viewports[i] = c.got.viewport
	}
	want := sent.expected(viewports)
	deadline := time.After(bound)
	var lat []float64
	for i, c := range conns {
		res.ExpectedEvents += len(want[i])
		if n := c.got.waitFor(want[i], c.c.Done(), deadline); n > 0 {
			res.ClientsMissingEvents++
			res.MissingEvents += n
			if len(res.Missing) < 5 {
				why := "connected"
				if f := c.c.Final(); f != nil {
					why = "cut off: " + f.GetCode().String()
				}
				res.Missing = append(res.Missing, fmt.Sprintf("%s %d: %d of %d strokes in its viewport missing (%s)", c.role, i+1, n, len(want[i]), why))
			}
		}
	}
	for _, c := range conns {
		select {
		case <-c.c.Done():
			res.Disconnected++
			if c.c.Final().GetCode() == realtimev1.ErrorCode_ERROR_CODE_SLOW_CONSUMER {
				res.KickedSlow++
			}
		default:
		}
		c.got.mu.Lock()
		lat = append(lat, c.got.latencyMs...)
		res.OutsideView += int64(c.got.outside)
		c.got.mu.Unlock()
	}
	sort.Float64s(lat)
	res.InViewDelivered = len(lat)
	res.P50ms, res.P99ms, res.P999ms = quantile(lat, 0.5), quantile(lat, 0.99), quantile(lat, 0.999)
}

// dialAll joins a client per viewport, a few at a time.
func dialAll(ctx context.Context, viewports []Rect, dial func(context.Context, Rect) (*conn, error)) ([]*conn, error) {
	const parallel = 32
	out := make([]*conn, len(viewports))
	errs := make([]error, len(viewports))
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(viewports) || ctx.Err() != nil {
					return
				}
				out[i], errs[i] = dial(ctx, viewports[i])
			}
		}()
	}
	wg.Wait()
	var joined []*conn
	var first error
	for i, c := range out {
		if errs[i] != nil && first == nil {
			first = fmt.Errorf("viewer %d: %w", i+1, errs[i])
		}
		if c != nil && c.c != nil {
			joined = append(joined, c)
		}
	}
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	return joined, first
}

// writer sends a writer's strokes and registers each commit (its box before, its ack after).
type writer struct {
	c               *client.Client
	strokes         *committed
	liveSent, acked *atomic.Int64
	ackMs           []float64 // commit → ack of each acknowledged commit
}

func (w *writer) Live(s *strokev1.Stroke, _ []strokes.Point, from, to int) error {
	if err := w.c.Send(replay.LiveMessage(s, from, to)); err != nil {
		return err
	}
	w.liveSent.Add(1)
	return nil
}

func (w *writer) Commit(ctx context.Context, s *strokev1.Stroke, pts []strokes.Point) error {
	i := w.strokes.add([16]byte(s.GetId()), StrokeBox(pts, s.GetWidth()))
	began := time.Now()
	ack, err := replay.Commit(ctx, w.c, s)
	if err != nil {
		return err
	}
	if ack != nil {
		w.ackMs = append(w.ackMs, float64(time.Since(began).Microseconds())/1000)
		w.strokes.ack(i)
		w.acked.Add(1)
	}
	return nil
}

func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}
