// Package fanout measures realtime-go's fan-out: clients in rooms, some of them replaying real strokes
// at their recorded speed (or faster) while everyone receives; it reports delivered events per second
// and send→delivery latency, and checks that every client received every event exactly once, in order,
// with the payload that was sent.
package fanout

import (
	"bytes"
	"context"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	"github.com/infidraw/infidraw/bench/internal/replay"
	"github.com/infidraw/infidraw/bench/internal/stack"
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
	// Backing, if set, samples PostgreSQL's and Redis's CPU and Redis's commands around the load.
	Backing *stack.Backing `json:"-"`
}

// Result of one run.
type Result struct {
	Config
	Replicas int `json:"replicas"`
	// DurationSec is the timed window [start, end), exactly Config.Duration. Committed counts the commits
	// acknowledged inside it, Delivered the committed events that reached a client inside it; the rates
	// divide them by DurationSec. CommittedAll and DeliveredAll also count the commits in flight when the
	// window closed and their deliveries after it: what every client must end with, and what the CPU
	// figures (measured from the window's start until every client held every event) divide by.
	DurationSec     float64 `json:"duration_s"`
	Committed       int     `json:"committed_events"`
	Delivered       int64   `json:"delivered_events"`
	CommittedAll    int     `json:"committed_events_all"`
	DeliveredAll    int64   `json:"delivered_events_all"`
	DeliveredPerSec float64 `json:"delivered_events_per_s"`
	OfferedPerSec   float64 `json:"offered_commits_per_s"`
	P50ms           float64 `json:"latency_p50_ms"`
	P99ms           float64 `json:"latency_p99_ms"`
	P999ms          float64 `json:"latency_p999_ms"`
	// Live latency is send → delivery of each live chunk (StrokeBegin/StrokeMore) at every client, the
	// author's own echo included; infidraw and Centrifugo only (the baseline's clients do not read it).
	LiveDelivered int64   `json:"live_delivered,omitempty"`
	LiveP50ms     float64 `json:"live_latency_p50_ms,omitempty"`
	LiveP99ms     float64 `json:"live_latency_p99_ms,omitempty"`
	// Violations are order violations (gap, repeat, out of order) plus PayloadMismatches: committed
	// events whose payload was not the one sent (corrupted, truncated, or of an unknown stroke).
	Violations        int `json:"ordering_violations"`
	PayloadMismatches int `json:"payload_mismatches"`
	// Incomplete counts the clients that did not end with every committed event of their room exactly
	// (count of deliveries against the room's commits); Missing names them.
	Incomplete       int      `json:"clients_missing_events"`
	Missing          []string `json:"clients_missing,omitempty"`
	LiveMessagesSent int64    `json:"live_messages_sent"`
	// CPU from the window's start until every client held every event: the system's server processes,
	// and the PostgreSQL and Redis they use (every system's share of the same servers: Centrifugo with
	// one replica uses neither).
	// CPUSpanSec is that span's length: ServerCPUSeconds / CPUSpanSec is how busy the servers were.
	CPUSpanSec         float64 `json:"cpu_span_s"`
	ServerCPUSeconds   float64 `json:"server_cpu_seconds"`
	PostgresCPUSeconds float64 `json:"postgres_cpu_seconds"`
	RedisCPUSeconds    float64 `json:"redis_cpu_seconds"`
	ServerPeakRSS      int64   `json:"server_peak_rss_bytes"`
	// Redis commands run meanwhile (INFO commandstats, the sampling's own INFO left out), and Redis's
	// network bytes in and out.
	RedisCalls    map[string]int64 `json:"redis_calls,omitempty"`
	RedisCommands int64            `json:"redis_commands"`
	RedisNetBytes int64            `json:"redis_net_bytes"`
	// ClientBytes is what the clients received as WebSocket message payloads (live chunks, acks and
	// events), from the window's start on.
	ClientBytes int64 `json:"client_bytes_received"`
	// The cost model (per delivered or committed event, over CommittedAll and DeliveredAll).
	ServerCPUUsPerDelivered   float64 `json:"server_cpu_us_per_delivered"`
	PostgresCPUUsPerDelivered float64 `json:"postgres_cpu_us_per_delivered"`
	RedisCPUUsPerDelivered    float64 `json:"redis_cpu_us_per_delivered"`
	RedisOpsPerCommit         float64 `json:"redis_ops_per_commit"`
	RedisBytesPerCommit       float64 `json:"redis_net_bytes_per_commit"`
	ClientBytesPerDelivered   float64 `json:"client_bytes_per_delivered"`
	// GeneratorCPUSeconds is the load generator's own CPU time from the first stroke to the last delivery
	// check (it runs on one core: near DurationSec means the generator was the limit).
	GeneratorCPUSeconds float64   `json:"generator_cpu_seconds"`
	Latencies           []float64 `json:"-"`
}

// Run drives one configuration.
func Run(ctx context.Context, cfg Config) (Result, error) {
	res := Result{Config: cfg, Replicas: len(cfg.Replicas)}
	sent := &sendTimes{at: map[[16]byte]sentCommit{}, live: map[[16]byte][]time.Time{}}

	type room struct {
		id      uuid.UUID
		clients []session
		logs    []*deliveryLog
		replica []int
	}
	rooms := make([]*room, cfg.Rooms)
	n := 0
	for r := range rooms {
		rooms[r] = &room{id: uuid.New()}
		for c := 0; c < cfg.ClientsPerRoom; c++ {
			ri := n % len(cfg.Replicas)
			rep := cfg.Replicas[ri]
			n++
			role := "viewer"
			if c < cfg.WritersPerRoom {
				role = "editor"
			}
			dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			log := &deliveryLog{sent: sent, liveSeen: map[[16]byte]int{}}
			var cl session
			var err error
			switch cfg.System {
			case "baseline":
				cl, err = dialBaseline(dctx, rep, rooms[r].id.String(), log)
			case "phase1":
				cl, err = dialPhase1(dctx, rep, rooms[r].id.String(), log)
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
			rooms[r].logs = append(rooms[r].logs, log)
			rooms[r].replica = append(rooms[r].replica, ri+1)
		}
	}
	defer func() {
		for _, r := range rooms {
			for _, c := range r.clients {
				_ = c.close()
			}
		}
	}()

	var liveSent, inWindow atomic.Int64
	perRoom := make([]atomic.Int64, len(rooms)) // commits per room = its head, rooms start empty
	before, err := sample(cfg)
	if err != nil {
		return res, err
	}
	start := time.Now()
	w := window{start: start, end: start.Add(cfg.Duration)}
	for _, r := range rooms {
		for _, l := range r.logs {
			l.setWindow(w)
		}
	}
	runCtx, stop := context.WithDeadline(ctx, w.end)
	defer stop()
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for ri, r := range rooms {
		for wi := 0; wi < cfg.WritersPerRoom; wi++ {
			wg.Add(1)
			go func(c session, seed uint64) {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(seed, uint64(ri)))
				acked := commits{room: &perRoom[ri], inWindow: &inWindow, window: w}
				if err := write(runCtx, c, cfg, rng, sent, acked, &liveSent); err != nil && runCtx.Err() == nil {
					firstErr.CompareAndSwap(nil, err)
				}
			}(r.clients[wi], uint64(wi+1))
		}
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return res, err
	}
	// Every client must end with the room's whole sequence: each of its commits exactly once.
	for ri, r := range rooms {
		head := uint64(perRoom[ri].Load())
		res.CommittedAll += int(head)
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		for ci, c := range r.clients {
			err := c.waitSeq(wctx, head)
			if got := r.logs[ci].count(); err != nil || got != int64(head) {
				res.Incomplete++
				why := ""
				if err != nil {
					why = ": " + err.Error()
				}
				res.Missing = append(res.Missing, fmt.Sprintf("room %d client %d (replica %d): %d of %d committed events%s", ri+1, ci+1, r.replica[ci], got, head, why))
			}
			res.Violations += c.violations()
		}
		cancel()
	}
	after, err := sample(cfg)
	if err != nil {
		return res, err
	}
	res.CPUSpanSec = time.Since(start).Seconds()
	res.GeneratorCPUSeconds = after.generator - before.generator
	res.ServerCPUSeconds = after.servers - before.servers
	if cfg.Backing != nil {
		d := after.backing.Sub(before.backing)
		res.PostgresCPUSeconds, res.RedisCPUSeconds = d.PostgresCPU, d.RedisCPU
		res.RedisCalls, res.RedisCommands, res.RedisNetBytes = d.RedisCalls, d.RedisCommands(), d.RedisNetBytes
	}
	res.DurationSec = cfg.Duration.Seconds()
	res.Committed = int(inWindow.Load())
	var lat, liveLat []float64
	for _, r := range rooms {
		for _, l := range r.logs {
			l.mu.Lock()
			res.Delivered += l.delivered
			res.DeliveredAll += l.all
			res.PayloadMismatches += l.mismatches
			lat = append(lat, l.latencyMs...)
			liveLat = append(liveLat, l.liveMs...)
			l.mu.Unlock()
			res.ClientBytes += l.bytes.Load()
		}
	}
	res.Violations += res.PayloadMismatches
	sort.Float64s(liveLat)
	res.LiveDelivered = int64(len(liveLat))
	res.LiveP50ms, res.LiveP99ms = quantile(liveLat, 0.5), quantile(liveLat, 0.99)
	res.DeliveredPerSec = float64(res.Delivered) / res.DurationSec
	res.OfferedPerSec = float64(res.Committed) / res.DurationSec
	res.LiveMessagesSent = liveSent.Load()
	if res.DeliveredAll > 0 {
		per := func(v float64) float64 { return v / float64(res.DeliveredAll) }
		res.ServerCPUUsPerDelivered, res.PostgresCPUUsPerDelivered, res.RedisCPUUsPerDelivered = per(res.ServerCPUSeconds*1e6), per(res.PostgresCPUSeconds*1e6), per(res.RedisCPUSeconds*1e6)
		res.ClientBytesPerDelivered = per(float64(res.ClientBytes))
	}
	if res.CommittedAll > 0 {
		res.RedisOpsPerCommit = float64(res.RedisCommands) / float64(res.CommittedAll)
		res.RedisBytesPerCommit = float64(res.RedisNetBytes) / float64(res.CommittedAll)
	}
	sort.Float64s(lat)
	res.Latencies = lat
	res.P50ms, res.P99ms, res.P999ms = quantile(lat, 0.5), quantile(lat, 0.99), quantile(lat, 0.999)
	return res, nil
}

// usage is the CPU seconds so far of the load generator and of the system's server processes, and the
// backing services' sample.
type usage struct {
	generator, servers float64
	backing            stack.BackingSample
}

func sample(cfg Config) (usage, error) {
	var u usage
	g, err := stack.ReadUsage(os.Getpid())
	if err != nil {
		return u, err
	}
	u.generator = g.CPUSeconds
	for _, r := range cfg.Replicas {
		s, err := stack.ReadUsage(r.Cmd.Process.Pid)
		if err != nil {
			return u, fmt.Errorf("server process %d: %w", r.Cmd.Process.Pid, err)
		}
		u.servers += s.CPUSeconds
	}
	if cfg.Backing != nil {
		if u.backing, err = cfg.Backing.Sample(); err != nil {
			return u, err
		}
	}
	return u, nil
}

// window is the timed part of a run, [start, end): deliveries and acks count toward the rates only when
// they happen inside it.
type window struct{ start, end time.Time }

func (w window) contains(t time.Time) bool { return !t.Before(w.start) && t.Before(w.end) }

// commits counts a writer's acknowledged commits into its room's head and, when acknowledged inside the
// window, into the committed count of the rates.
type commits struct {
	room, inWindow *atomic.Int64
	window         window
}

func (c commits) acked(now time.Time) {
	c.room.Add(1)
	if c.window.contains(now) {
		c.inWindow.Add(1)
	}
}

// digestSeed keys the payload digests: writers and readers are in this process.
var digestSeed = maphash.MakeSeed()

// digest is the checksum of a commit's payload that a writer records when it sends and a client
// compares with what it received.
func digest(payload []byte) uint64 { return maphash.Bytes(digestSeed, payload) }

// sendTimes holds when each stroke's commit was sent, by stroke id, with its payload's digest, and when
// each of its live chunks was: the writers store, every client's read loop looks up (a map under a read
// lock: sync.Map would box every [16]byte key it is asked for).
type sendTimes struct {
	mu   sync.RWMutex
	at   map[[16]byte]sentCommit
	live map[[16]byte][]time.Time // the send times of a stroke's live chunks, in order
}

type sentCommit struct {
	at  time.Time
	sum uint64 // digest of the payload session.payload gave
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

func (s *sendTimes) store(id [16]byte, t time.Time, sum uint64) {
	s.mu.Lock()
	s.at[id] = sentCommit{at: t, sum: sum}
	s.mu.Unlock()
}

func (s *sendTimes) load(id [16]byte) (sentCommit, bool) {
	s.mu.RLock()
	c, ok := s.at[id]
	s.mu.RUnlock()
	return c, ok
}

// deliveryLog is what one client received of the committed strokes: how many (inside the window and in
// all), how many with a payload other than the one sent, and the send→delivery latency of each. Its
// client's read loop records; Run reads it when the run is over (mu orders the two).
type deliveryLog struct {
	sent       *sendTimes
	bytes      atomic.Int64 // WebSocket message payloads received from the window's start on
	mu         sync.Mutex
	window     window
	delivered  int64 // inside the window
	all        int64
	mismatches int
	latencyMs  []float64
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

// recorder is what a client's read loop reports: committed strokes (with the payload that carried each,
// as session.payload describes it) and live chunks that reached it, and the size of every message.
// A read loop records an event before it counts it for waitSeq, so that once waitSeq returns the
// recorder has seen every event up to that point.
type recorder interface {
	record(now time.Time, strokeID [16]byte, payload []byte)
	recordLive(now time.Time, strokeID [16]byte)
	received(bytes int)
}

// ignore records nothing (idle connections).
type ignore struct{}

func (ignore) record(time.Time, [16]byte, []byte) {}
func (ignore) recordLive(time.Time, [16]byte)     {}
func (ignore) received(int)                       {}

// setWindow sets the timed window; until then nothing is sent, so nothing is delivered.
func (l *deliveryLog) setWindow(w window) {
	l.mu.Lock()
	l.window = w
	l.mu.Unlock()
	l.bytes.Store(0) // what the joins brought is not part of the load
}

// record notes that a committed stroke reached this client at now, carried by payload. Every delivery's
// latency counts, after the window too: a backlog at its end shows in the tail.
func (l *deliveryLog) record(now time.Time, strokeID [16]byte, payload []byte) {
	c, ok := l.sent.load(strokeID)
	intact := ok && digest(payload) == c.sum
	l.mu.Lock()
	l.all++
	if l.window.contains(now) {
		l.delivered++
	}
	if !intact {
		l.mismatches++
	}
	if ok {
		l.latencyMs = append(l.latencyMs, float64(now.Sub(c.at).Microseconds())/1000)
	}
	l.mu.Unlock()
}

// count is how many committed events reached this client in all.
func (l *deliveryLog) count() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.all
}

func (l *deliveryLog) received(n int) { l.bytes.Add(int64(n)) }

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

// write draws random real drawings at random spots at the configured speed (package replay).
func write(ctx context.Context, c session, cfg Config, rng *rand.Rand, sent *sendTimes, acked commits, liveSent *atomic.Int64) error {
	w := &recordingWriter{s: c, sent: sent, acked: acked, liveSent: liveSent}
	for ctx.Err() == nil {
		d := cfg.Drawings[rng.IntN(len(cfg.Drawings))]
		ox, oy := rng.Int64N(20000)-10000, rng.Int64N(20000)-10000
		if _, err := replay.Drawing(ctx, d, ox, oy, cfg.Speed, w); err != nil {
			return err
		}
	}
	return nil
}

// recordingWriter sends a session's strokes and records when each live chunk and commit was sent (with
// the commit's payload digest), and each acknowledged commit.
type recordingWriter struct {
	s        session
	sent     *sendTimes
	acked    commits
	liveSent *atomic.Int64
}

func (w *recordingWriter) Live(stroke *strokev1.Stroke, pts []strokes.Point, from, to int) error {
	w.sent.storeLive([16]byte(stroke.GetId()), time.Now())
	if err := w.s.live(stroke, pts, from, to); err != nil {
		return err
	}
	w.liveSent.Add(1)
	return nil
}

func (w *recordingWriter) Commit(ctx context.Context, stroke *strokev1.Stroke, pts []strokes.Point) error {
	payload, err := w.s.payload(stroke, pts)
	if err != nil {
		return err
	}
	w.sent.store([16]byte(stroke.GetId()), time.Now(), digest(payload))
	ack, err := w.s.commit(ctx, stroke, pts)
	if err != nil {
		return err
	}
	if ack {
		w.acked.acked(time.Now())
	}
	return nil
}

// session is one client connection of the system under test.
type session interface {
	// live sends points [from, to) of a stroke in progress (from == 0 begins it).
	live(s *strokev1.Stroke, pts []strokes.Point, from, to int) error
	// commit sends the finished stroke and waits for its ack; false when the run ended first.
	commit(ctx context.Context, s *strokev1.Stroke, pts []strokes.Point) (bool, error)
	// payload is what the system's clients receive of the committed stroke, as they hand it to
	// recorder.record: the writer records its digest before it commits.
	payload(s *strokev1.Stroke, pts []strokes.Point) ([]byte, error)
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
				log.record(now, [16]byte(h.StrokeID), h.Stroke)
			}
		}
	}
	onLive := func(id []byte) {
		if len(id) == 16 {
			log.recordLive(time.Now(), [16]byte(id))
		}
	}
	c, err := client.Dial(ctx, rep.WSURL(), room, keys.Token(uuid.NewString(), room, role), 0, client.Options{OnHeads: onHeads, OnLiveStroke: onLive,
		OnFrame: func(frame []byte) { log.received(len(frame)) }})
	if err != nil {
		return nil, err
	}
	return &infidrawSession{c}, nil
}

func (s *infidrawSession) live(stroke *strokev1.Stroke, _ []strokes.Point, i, j int) error {
	return s.c.Send(replay.LiveMessage(stroke, i, j))
}

func (s *infidrawSession) commit(ctx context.Context, stroke *strokev1.Stroke, _ []strokes.Point) (bool, error) {
	ack, err := replay.Commit(ctx, s.c, stroke)
	return ack != nil, err
}

// payload: the encoded Stroke of the StrokeAdded event (realtime-go stores and sends the stroke it
// decoded, which encodes to the same bytes).
func (s *infidrawSession) payload(stroke *strokev1.Stroke, _ []strokes.Point) ([]byte, error) {
	return proto.Marshal(stroke)
}

func (s *infidrawSession) waitSeq(ctx context.Context, head uint64) error {
	return s.c.WaitSeq(ctx, head)
}
func (s *infidrawSession) violations() int { return len(s.c.Violations()) }
func (s *infidrawSession) close() error    { return s.c.Close() }
