// Package fanout measures realtime-go's fan-out: clients in rooms, some of them replaying real strokes
// at their recorded speed (or faster) while everyone receives; it reports delivered events per second
// and send→delivery latency, and checks that every client received every event exactly once, in order.
package fanout

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"

	"github.com/infidraw/infidraw/bench/internal/stack"
	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/realtime-go/client"
	"github.com/infidraw/infidraw/shared-go/quickdraw"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// Config of one run.
type Config struct {
	Rooms          int     `json:"rooms"`
	ClientsPerRoom int     `json:"clients_per_room"`
	WritersPerRoom int     `json:"writers_per_room"`
	Speed          float64 `json:"speed"` // 1 = recorded speed
	// System is "infidraw" (realtime-go, binary protobuf), "baseline" (the earlier design's Node relay,
	// JSON), "phase1" (the roadmap's phase-1 fix of it: Node, binary msgpack, batched INSERTs) or
	// "centrifugo" (Centrifugo v6); Replicas are the server processes of that system.
	System     string `json:"system"`
	Duration   time.Duration
	Replicas   []*stack.Process    `json:"-"`
	Keys       *stack.Keys         `json:"-"`
	Centrifugo *Centrifugo         `json:"-"`
	Drawings   []quickdraw.Drawing `json:"-"`
}

// Result of one run.
type Result struct {
	Config
	Replicas        int     `json:"replicas"`
	DurationSec     float64 `json:"duration_s"`
	Committed       int     `json:"committed_events"`
	Delivered       int64   `json:"delivered_events"`
	DeliveredPerSec float64 `json:"delivered_events_per_s"`
	OfferedPerSec   float64 `json:"offered_commits_per_s"`
	P50ms           float64 `json:"latency_p50_ms"`
	P99ms           float64 `json:"latency_p99_ms"`
	P999ms          float64 `json:"latency_p999_ms"`
	// Live latency is send → delivery of each live chunk (StrokeBegin/StrokeMore) at every client, the
	// author's own echo included; infidraw and Centrifugo only (the baseline's clients do not read it).
	LiveDelivered    int64   `json:"live_delivered,omitempty"`
	LiveP50ms        float64 `json:"live_latency_p50_ms,omitempty"`
	LiveP99ms        float64 `json:"live_latency_p99_ms,omitempty"`
	Violations       int     `json:"ordering_violations"`
	Incomplete       int     `json:"clients_missing_events"`
	LiveMessagesSent int64   `json:"live_messages_sent"`
	ServerCPUSeconds float64 `json:"server_cpu_seconds"`
	ServerPeakRSS    int64   `json:"server_peak_rss_bytes"`
	// GeneratorCPUSeconds is the load generator's own CPU time from the first stroke to the last delivery
	// check (it runs on one core: near DurationSec means the generator was the limit).
	GeneratorCPUSeconds float64   `json:"generator_cpu_seconds"`
	Latencies           []float64 `json:"-"`
}

// Run drives one configuration.
func Run(ctx context.Context, cfg Config) (Result, error) {
	res := Result{Config: cfg, Replicas: len(cfg.Replicas)}
	sent := &sendTimes{at: map[[16]byte]time.Time{}, live: map[[16]byte][]time.Time{}}
	var logs []*deliveryLog

	type room struct {
		id      uuid.UUID
		clients []session
	}
	rooms := make([]*room, cfg.Rooms)
	n := 0
	for r := range rooms {
		rooms[r] = &room{id: uuid.New()}
		for c := 0; c < cfg.ClientsPerRoom; c++ {
			rep := cfg.Replicas[n%len(cfg.Replicas)]
			n++
			role := "viewer"
			if c < cfg.WritersPerRoom {
				role = "editor"
			}
			dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			log := &deliveryLog{sent: sent, liveSeen: map[[16]byte]int{}}
			logs = append(logs, log)
			var cl session
			var err error
			switch cfg.System {
			case "baseline":
				cl, err = dialBaseline(dctx, rep, rooms[r].id.String(), log.record)
			case "phase1":
				cl, err = dialPhase1(dctx, rep, rooms[r].id.String(), log.record)
			case "centrifugo":
				var cs cfSession
				if cs, err = cfg.Centrifugo.dial(dctx, rep, rooms[r].id.String(), uint32(n), log); err == nil {
					cl = cs
				}
			default:
				cl, err = dialInfidraw(dctx, rep, cfg.Keys, rooms[r].id.String(), role, log)
			}
			cancel()
			if err != nil {
				return res, fmt.Errorf("client %d: %w", n, err)
			}
			rooms[r].clients = append(rooms[r].clients, cl)
		}
	}
	defer func() {
		for _, r := range rooms {
			for _, c := range r.clients {
				_ = c.close()
			}
		}
	}()

	var committed atomic.Int64
	var liveSent atomic.Int64
	perRoom := make([]atomic.Int64, len(rooms)) // commits per room = its head, rooms start empty
	genBefore, _ := stack.ReadUsage(os.Getpid())
	runCtx, stop := context.WithTimeout(ctx, cfg.Duration)
	defer stop()
	start := time.Now()
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for ri, r := range rooms {
		for w := 0; w < cfg.WritersPerRoom; w++ {
			wg.Add(1)
			go func(c session, seed uint64) {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(seed, uint64(ri)))
				if err := replay(runCtx, c, cfg, rng, sent, &perRoom[ri], &liveSent); err != nil && runCtx.Err() == nil {
					firstErr.CompareAndSwap(nil, err)
				}
			}(r.clients[w], uint64(w+1))
		}
	}
	wg.Wait()
	active := time.Since(start)
	if err, _ := firstErr.Load().(error); err != nil {
		return res, err
	}
	// Every client must end with the room's whole sequence.
	for ri, r := range rooms {
		head := uint64(perRoom[ri].Load())
		committed.Add(int64(head))
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		for _, c := range r.clients {
			if err := c.waitSeq(wctx, head); err != nil {
				res.Incomplete++
			}
			res.Violations += c.violations()
		}
		cancel()
	}
	if genAfter, err := stack.ReadUsage(os.Getpid()); err == nil {
		res.GeneratorCPUSeconds = genAfter.CPUSeconds - genBefore.CPUSeconds
	}
	res.DurationSec = active.Seconds()
	res.Committed = int(committed.Load())
	var lat, liveLat []float64
	for _, l := range logs {
		l.mu.Lock()
		res.Delivered += l.delivered
		lat = append(lat, l.latencyMs...)
		liveLat = append(liveLat, l.liveMs...)
		l.mu.Unlock()
	}
	sort.Float64s(liveLat)
	res.LiveDelivered = int64(len(liveLat))
	res.LiveP50ms, res.LiveP99ms = quantile(liveLat, 0.5), quantile(liveLat, 0.99)
	res.DeliveredPerSec = float64(res.Delivered) / active.Seconds()
	res.OfferedPerSec = float64(res.Committed) / active.Seconds()
	res.LiveMessagesSent = liveSent.Load()
	sort.Float64s(lat)
	res.Latencies = lat
	res.P50ms, res.P99ms, res.P999ms = quantile(lat, 0.5), quantile(lat, 0.99), quantile(lat, 0.999)
	return res, nil
}

// sendTimes holds when each stroke's commit was sent, by stroke id, and when each of its live chunks was:
// the writers store, every client's read loop looks up (a map under a read lock: sync.Map would box every
// [16]byte key it is asked for).
type sendTimes struct {
	mu   sync.RWMutex
	at   map[[16]byte]time.Time
	live map[[16]byte][]time.Time // the send times of a stroke's live chunks, in order
}

func (s *sendTimes) storeLive(id [16]byte, t time.Time) {
	s.mu.Lock()
	s.live[id] = append(s.live[id], t)
	s.mu.Unlock()
}

// loadLive returns when chunk i of the stroke was sent.
func (s *sendTimes) loadLive(id [16]byte, i int) (time.Time, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if ts := s.live[id]; i < len(ts) {
		return ts[i], true
	}
	return time.Time{}, false
}

func (s *sendTimes) store(id [16]byte, t time.Time) {
	s.mu.Lock()
	s.at[id] = t
	s.mu.Unlock()
}

func (s *sendTimes) load(id [16]byte) (time.Time, bool) {
	s.mu.RLock()
	t, ok := s.at[id]
	s.mu.RUnlock()
	return t, ok
}

// deliveryLog is what one client received of the committed strokes: how many, and the send→delivery
// latency of each. Its client's read loop records; Run reads it when the run is over (mu orders the two).
type deliveryLog struct {
	sent      *sendTimes
	mu        sync.Mutex
	delivered int64
	latencyMs []float64
	// Live chunks arrive in the order their author sent them, so the i-th chunk of a stroke a client
	// receives is the i-th sent (a chunk dropped for a lagging client would shift the rest: the servers
	// drop live traffic only for clients that fall behind, which these runs check they do not).
	liveSeen map[[16]byte]int
	liveMs   []float64
}

// recordLive notes that a live chunk of a stroke reached this client at now.
func (l *deliveryLog) recordLive(now time.Time, strokeID [16]byte) {
	l.mu.Lock()
	i := l.liveSeen[strokeID]
	l.liveSeen[strokeID] = i + 1
	l.mu.Unlock()
	if t, ok := l.sent.loadLive(strokeID, i); ok {
		l.mu.Lock()
		l.liveMs = append(l.liveMs, float64(now.Sub(t).Microseconds())/1000)
		l.mu.Unlock()
	}
}

// recorder is what a client's read loop reports: committed strokes and live chunks that reached it.
type recorder interface {
	record(now time.Time, strokeID [16]byte)
	recordLive(now time.Time, strokeID [16]byte)
}

// ignore records nothing (idle connections).
type ignore struct{}

func (ignore) record(time.Time, [16]byte)     {}
func (ignore) recordLive(time.Time, [16]byte) {}

// record notes that a committed stroke reached this client at now.
func (l *deliveryLog) record(now time.Time, strokeID [16]byte) {
	t, ok := l.sent.load(strokeID)
	l.mu.Lock()
	l.delivered++
	if ok {
		l.latencyMs = append(l.latencyMs, float64(now.Sub(t).Microseconds())/1000)
	}
	l.mu.Unlock()
}

// readMessage reads the next WebSocket message into buf, reused for every message of a connection (the
// message is valid until the next call): websocket.Conn.ReadMessage allocates each message anew, which is
// garbage at every client for every delivery.
func readMessage(conn *websocket.Conn, buf *bytes.Buffer) (int, []byte, error) {
	typ, r, err := conn.NextReader()
	if err != nil {
		return 0, nil, err
	}
	buf.Reset()
	if _, err := buf.ReadFrom(r); err != nil {
		return 0, nil, err
	}
	return typ, buf.Bytes(), nil
}

func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// replay draws random real drawings at the configured speed: live chunks every 16 ms of recorded time,
// then the commit, then the recorded pause before the next stroke.
func replay(ctx context.Context, c session, cfg Config, rng *rand.Rand, sent *sendTimes, committed, liveSent *atomic.Int64) error {
	for ctx.Err() == nil {
		d := cfg.Drawings[rng.IntN(len(cfg.Drawings))]
		ox, oy := rng.Int64N(20000)-10000, rng.Int64N(20000)-10000
		var prevEnd float64
		for si, s := range d.Strokes {
			if si > 0 {
				if !wait(ctx, (s[0].T-prevEnd)/cfg.Speed) {
					return nil
				}
			}
			pts := make([]strokes.Point, len(s))
			for i, p := range s {
				pts[i] = strokes.Point{X: quickdraw.Quantize(p.X + float64(ox)), Y: quickdraw.Quantize(p.Y + float64(oy)), Pressure: strokes.DefaultPressure}
			}
			stroke := client.PenStroke(pts, 300, 0x1e1e1eff)
			// Live: the first chunk with StrokeBegin, then one StrokeMore per 16 ms of recorded time.
			i := 0
			chunkStart := s[0].T
			for i < len(s) {
				j := i + 1
				for j < len(s) && s[j].T < chunkStart+16 {
					j++
				}
				sent.storeLive([16]byte(stroke.GetId()), time.Now())
				if err := c.live(stroke, pts, i, j); err != nil {
					return err
				}
				liveSent.Add(1)
				if j < len(s) && !wait(ctx, (s[j].T-chunkStart)/cfg.Speed) {
					return nil
				}
				chunkStart = s[min(j, len(s)-1)].T
				i = j
			}
			sent.store([16]byte(stroke.GetId()), time.Now())
			ack, err := c.commit(ctx, stroke, pts)
			if err != nil {
				return err
			}
			if ack {
				committed.Add(1)
			}
			prevEnd = s[len(s)-1].T
		}
	}
	return nil
}

// session is one client connection of the system under test.
type session interface {
	// live sends points [from, to) of a stroke in progress (from == 0 begins it).
	live(s *strokev1.Stroke, pts []strokes.Point, from, to int) error
	// commit sends the finished stroke and waits for its ack; false when the run ended first.
	commit(ctx context.Context, s *strokev1.Stroke, pts []strokes.Point) (bool, error)
	// waitSeq waits until the client has received every event up to head.
	waitSeq(ctx context.Context, head uint64) error
	violations() int
	close() error
}

type infidrawSession struct{ c *client.Client }

func dialInfidraw(ctx context.Context, rep *stack.Process, keys *stack.Keys, room, role string, log recorder) (session, error) {
	// The client scans frames for seqs and stroke ids instead of decoding them: decoding every stroke of
	// every frame at every client made the load generator the limit.
	onHeads := func(heads []client.EventHead) {
		now := time.Now()
		for _, h := range heads {
			if len(h.StrokeID) == 16 {
				log.record(now, [16]byte(h.StrokeID))
			}
		}
	}
	onLive := func(id []byte) {
		if len(id) == 16 {
			log.recordLive(time.Now(), [16]byte(id))
		}
	}
	c, err := client.Dial(ctx, rep.WSURL(), room, keys.Token(uuid.NewString(), room, role), 0, client.Options{OnHeads: onHeads, OnLiveStroke: onLive})
	if err != nil {
		return nil, err
	}
	return &infidrawSession{c}, nil
}

func (s *infidrawSession) live(stroke *strokev1.Stroke, _ []strokes.Point, i, j int) error {
	var msg *realtimev1.ClientMessage
	if i == 0 {
		msg = &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_StrokeBegin{StrokeBegin: &realtimev1.StrokeBegin{Stroke: partial(stroke, 0, j)}}}
	} else {
		msg = &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_StrokeMore{StrokeMore: &realtimev1.StrokeMore{StrokeId: stroke.GetId(), Points: stroke.GetPoints()[2*i : 2*j]}}}
	}
	return s.c.Send(msg)
}

func (s *infidrawSession) commit(ctx context.Context, stroke *strokev1.Stroke, _ []strokes.Point) (bool, error) {
	return commitUntilAcked(ctx, s.c, stroke)
}

func (s *infidrawSession) waitSeq(ctx context.Context, head uint64) error {
	return s.c.WaitSeq(ctx, head)
}
func (s *infidrawSession) violations() int { return len(s.c.Violations()) }
func (s *infidrawSession) close() error    { return s.c.Close() }

func partial(s *strokev1.Stroke, from, to int) *strokev1.Stroke {
	return &strokev1.Stroke{Id: s.GetId(), Tool: s.GetTool(), Rgba: s.GetRgba(), Width: s.GetWidth(), Quantum: s.GetQuantum(), Points: s.GetPoints()[2*from : 2*to]}
}

func wait(ctx context.Context, ms float64) bool {
	if ms <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(time.Duration(ms * float64(time.Millisecond)))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func commitUntilAcked(ctx context.Context, c *client.Client, s *strokev1.Stroke) (bool, error) {
	for {
		// The commit is allowed to finish after the measuring window closes.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		rep, err := c.Request(rctx, &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_CommitStroke{CommitStroke: &realtimev1.CommitStroke{Stroke: s}}})
		cancel()
		if err != nil {
			return false, err
		}
		if rep.Ack != nil {
			return true, nil
		}
		if rep.Error.GetRetryAfterMs() == 0 {
			return false, fmt.Errorf("commit refused: %s", rep.Error.GetMessage())
		}
		if !wait(context.WithoutCancel(ctx), float64(rep.Error.GetRetryAfterMs())) {
			return false, nil
		}
	}
}
