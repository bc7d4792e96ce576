package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	tilev1 "github.com/infidraw/infidraw/gen/go/infidraw/tile/v1"
	"github.com/infidraw/infidraw/realtime-go/client"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// commitTimeout is how long a writer waits for the Ack of a commit before it takes its connection for
// dead, reconnects and sends the stroke again (same id: the server answers a repeat as a duplicate).
const commitTimeout = 3 * time.Second

// strokeGap is how long each stroke is drawn live before it is committed: it paces each writer (a person
// draws a few strokes a second, not thousands).
const strokeGap = 50 * time.Millisecond

// tally is what the clients of one scenario saw, shared by its writers and readers.
type tally struct {
	mu          sync.Mutex
	acked       map[string]map[uuid.UUID]uint64 // room → stroke → seq of its Ack
	seen        map[string]map[uuid.UUID]uint64 // room → stroke → seq a reader received it with
	duplicated  int                             // strokes a reader received under two seqs
	violations  []string                        // ordering breaches any client reported
	errors      map[string]int                  // what clients saw, by kind
	lastAck     map[*writer]time.Time
	longestGap  time.Duration // the longest a writer went without an Ack
	lastRead    map[*tileReader]time.Time
	longestRead time.Duration           // the longest a tile reader went without an answer
	sentAt      map[uuid.UUID]time.Time // strokes whose commit was sent and no witness received yet
	latencyMs   []float64               // commit→delivery at the witnesses since the last Interval
}

func newTally() *tally {
	return &tally{acked: map[string]map[uuid.UUID]uint64{}, seen: map[string]map[uuid.UUID]uint64{},
		errors: map[string]int{}, lastAck: map[*writer]time.Time{}, lastRead: map[*tileReader]time.Time{},
		sentAt: map[uuid.UUID]time.Time{}}
}

func (t *tally) errorSeen(kind string) {
	t.mu.Lock()
	t.errors[kind]++
	t.mu.Unlock()
}

func (t *tally) ack(w *writer, id uuid.UUID, seq uint64) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.acked[w.room] == nil {
		t.acked[w.room] = map[uuid.UUID]uint64{}
	}
	t.acked[w.room][id] = seq
	if last, ok := t.lastAck[w]; ok {
		t.longestGap = max(t.longestGap, now.Sub(last))
	}
	t.lastAck[w] = now
}

// acks counts the strokes acknowledged so far.
func (t *tally) acks() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, room := range t.acked {
		n += len(room)
	}
	return n
}

// allCommittedSince reports whether every writer has had an Ack after since.
func (t *tally) allCommittedSince(writers []*writer, since time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, w := range writers {
		if !t.lastAck[w].After(since) {
			return false
		}
	}
	return true
}

// commitSent notes when a stroke's commit was first sent, for its commit→delivery latency (a resend
// keeps the first time: the wait a person sees).
func (t *tally) commitSent(id uuid.UUID) {
	now := time.Now()
	t.mu.Lock()
	if _, ok := t.sentAt[id]; !ok {
		t.sentAt[id] = now
	}
	t.mu.Unlock()
}

// received records what a witness reader (one per room, see reader) received: the seqs, for the lost
// and duplicated checks, and the commit→delivery latency of the strokes whose commit was sent.
func (t *tally) received(room string, heads []client.EventHead) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.seen[room] == nil {
		t.seen[room] = map[uuid.UUID]uint64{}
	}
	for _, h := range heads {
		id, err := uuid.FromBytes(h.StrokeID)
		if err != nil {
			continue // not a StrokeAdded event
		}
		if seq, ok := t.seen[room][id]; ok && seq != h.Seq {
			t.duplicated++
		}
		if at, ok := t.sentAt[id]; ok {
			t.latencyMs = append(t.latencyMs, float64(now.Sub(at).Microseconds())/1000)
			delete(t.sentAt, id)
		}
		t.seen[room][id] = h.Seq
	}
}

// tilesRead records a tile reader's answer, with the room's head it reported: a head lower than one
// read before is an ordering breach (every read starts after the previous one ended).
func (t *tally) tilesRead(r *tileReader, head uint64) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if last, ok := t.lastRead[r]; ok {
		t.longestRead = max(t.longestRead, now.Sub(last))
	}
	t.lastRead[r] = now
	if head < r.head {
		t.violations = append(t.violations, fmt.Sprintf("tiles of room %s: head %d after %d", r.room, head, r.head))
	}
	r.head = max(r.head, head)
}

func (t *tally) closed(c *client.Client) {
	t.mu.Lock()
	t.violations = append(t.violations, c.Violations()...)
	t.mu.Unlock()
}

// errorKind names what a client saw, for the errors column.
func errorKind(err error) string {
	var se *client.ServerError
	switch {
	case errors.As(err, &se):
		return "join_" + se.Err.GetCode().String()
	case errors.Is(err, client.ErrClosed), errors.Is(err, websocket.ErrCloseSent):
		// The server went away or is draining (it sent its close frame before our write).
		return "connection_closed"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	default: // a write on a connection the server has dropped
		return "send_failed"
	}
}

// freshToken mints a room token at the gateway, as a browser does before each connection; while the
// gateway is down it reuses the last one (still valid: tokens live minutes).
func freshToken(ctx context.Context, cl *Cluster, t *tally, room string, last *string) string {
	tok, err := cl.account.roomToken(ctx, room)
	if err != nil {
		if ctx.Err() == nil {
			t.errorSeen("token_from_gateway_failed")
		}
		return *last
	}
	*last = tok
	return tok
}

// dial joins room on the first replica that accepts, starting with the preferred one, with a fresh token.
func dial(ctx context.Context, cl *Cluster, prefer int, room string, lastToken *string, lastSeq uint64, opts client.Options, t *tally) *client.Client {
	token := freshToken(ctx, cl, t, room, lastToken)
	for _, url := range cl.URLs(prefer) {
		dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		c, err := client.Dial(dctx, url, room, token, lastSeq, opts)
		cancel()
		if err == nil {
			return c
		}
		var refused *client.ServerError
		switch {
		case ctx.Err() != nil:
		case errors.As(err, &refused):
			t.errorSeen(errorKind(err))
		default:
			t.errorSeen("connect_failed")
		}
	}
	return nil
}

// writer draws strokes into one room through the real protocol, one commit in flight, like a pen.
type writer struct {
	room   string
	prefer int    // the replica it connects to first
	token  string // the last room token the gateway gave it
	pace   *pacer // spaces its strokes when set; else each follows the last one's Ack after strokeGap
}

func (w *writer) run(ctx context.Context, cl *Cluster, t *tally, rng *rand.Rand) {
	var c *client.Client
	var lastSeq uint64
	var pending *strokev1.Stroke // drawn, not yet acknowledged: sent again, unchanged, until it is
	defer func() {
		if c != nil {
			c.Close()
			t.closed(c)
		}
	}()
	// drop gives up the connection after a failure (counted unless the run is ending); the unacknowledged
	// stroke is committed again on the next one.
	drop := func(err error) {
		if err != nil && ctx.Err() == nil {
			t.errorSeen(errorKind(err))
		}
		lastSeq = c.LastSeq()
		c.Close()
		t.closed(c)
		c = nil
	}
	for ctx.Err() == nil {
		if c == nil {
			if c = dial(ctx, cl, w.prefer, w.room, &w.token, lastSeq, client.Options{OnHeads: func([]client.EventHead) {}}, t); c == nil {
				backoff(ctx, 100*time.Millisecond)
				continue
			}
		}
		if pending == nil {
			if w.pace != nil && !w.pace.wait(ctx) {
				break
			}
			pending = client.PenStroke(randomStroke(rng), 300, 0x1e1e1eff)
			// Drawn live first, while the pen moves: a fault now catches the writer mid-stroke.
			err := c.Send(&realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_StrokeBegin{StrokeBegin: &realtimev1.StrokeBegin{Stroke: pending}}})
			if err == nil {
				backoff(ctx, strokeGap)
				err = c.Send(&realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_StrokeEnd{StrokeEnd: &realtimev1.StrokeEnd{StrokeId: pending.Id}}})
			}
			if err != nil {
				drop(err)
				continue
			}
		}
		t.commitSent(uuid.UUID(pending.Id))
		rctx, cancel := context.WithTimeout(ctx, commitTimeout)
		reply, err := c.Request(rctx, &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_CommitStroke{CommitStroke: &realtimev1.CommitStroke{Stroke: pending}}})
		cancel()
		switch {
		case err != nil:
			drop(err)
		case reply.Ack != nil:
			t.ack(w, uuid.UUID(pending.Id), reply.Ack.GetSeq())
			pending = nil
		default:
			t.errorSeen(reply.Error.GetCode().String())
			if reply.Error.GetFatal() {
				drop(nil)
			}
			backoff(ctx, max(100*time.Millisecond, time.Duration(reply.Error.GetRetryAfterMs())*time.Millisecond))
		}
	}
}

// reader follows one room, reconnecting from the last seq it has whenever its connection ends.
type reader struct {
	room   string
	prefer int
	token  string
	// witness: it follows the room from its first event and records every one it receives, which the
	// lost and duplicated checks compare with the Acks and the commit→delivery latency is measured at.
	// Otherwise it is a viewer opening the board as a browser does: the tiles first, then Join from
	// the head they report; its client checks the order of what follows.
	witness bool
}

func (r *reader) run(ctx context.Context, cl *Cluster, t *tally) {
	var lastSeq uint64
	opts := client.Options{OnHeads: func([]client.EventHead) {}}
	if r.witness {
		opts.OnHeads = func(heads []client.EventHead) { t.received(r.room, heads) }
	} else {
		lastSeq = r.openBoard(ctx, cl, t)
	}
	for ctx.Err() == nil {
		c := dial(ctx, cl, r.prefer, r.room, &r.token, lastSeq, opts, t)
		if c == nil {
			backoff(ctx, 100*time.Millisecond)
			continue
		}
		select {
		case <-c.Done():
			if ctx.Err() == nil {
				t.errorSeen("reader_disconnected")
			}
		case <-ctx.Done():
		}
		c.Close()
		<-c.Done()
		lastSeq = c.LastSeq()
		t.closed(c)
	}
}

// openBoard reads the room's tiles through the gateway, as the web client does, or when the gateway
// fails, from tile-delta-go directly; it returns the head seq they include, to Join from.
func (r *reader) openBoard(ctx context.Context, cl *Cluster, t *tally) uint64 {
	conns := tileConns{}
	defer conns.close()
	for ctx.Err() == nil {
		head, err := cl.account.tilesHead(ctx, r.room)
		if err == nil {
			return head
		}
		if ctx.Err() == nil {
			t.errorSeen("gateway_tiles_failed")
		}
		if head, ok := readTiles(ctx, cl, t, conns, r.room, r.prefer); ok {
			return head
		}
		backoff(ctx, 100*time.Millisecond)
	}
	return 0
}

// tileReader reads one room's tiles over and over through tile-delta-go, as a panning browser does,
// going to the other replica when a call fails.
type tileReader struct {
	room   string
	prefer int
	head   uint64 // the highest head_seq read so far (guarded by the tally's lock)
}

// area is where randomStroke draws: 4 x 4 tiles of level 0.
var area = &tilev1.Viewport{MinX: 0, MinY: 0, MaxX: 4 * 25600, MaxY: 4 * 25600}

func (r *tileReader) run(ctx context.Context, cl *Cluster, t *tally) {
	conns := tileConns{}
	defer conns.close()
	for ctx.Err() == nil {
		if head, ok := readTiles(ctx, cl, t, conns, r.room, r.prefer); ok {
			t.tilesRead(r, head)
		}
		backoff(ctx, 100*time.Millisecond)
	}
}

// tileConns are a client's connections to the tile-delta-go replicas, by address.
type tileConns map[string]*grpc.ClientConn

func (conns tileConns) close() {
	for _, c := range conns {
		c.Close()
	}
}

// readTiles reads room's area once, from the first tile-delta-go replica that answers (the preferred one
// first), and returns the room's head seq the tiles include; failures are counted.
func readTiles(ctx context.Context, cl *Cluster, t *tally, conns tileConns, room string, prefer int) (uint64, bool) {
	for _, target := range cl.TileTargets(prefer) {
		if conns[target] == nil {
			c, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				t.errorSeen("tiles_connect_failed")
				continue
			}
			conns[target] = c
		}
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		resp, err := tilev1.NewTileDeltaServiceClient(conns[target]).GetTiles(cctx, &tilev1.GetTilesRequest{RoomId: room,
			Selection: &tilev1.GetTilesRequest_Viewport{Viewport: area}})
		cancel()
		if err == nil {
			return resp.GetHeadSeq(), true
		}
		if ctx.Err() == nil {
			t.errorSeen("tiles_" + status.Code(err).String())
		}
	}
	return 0, false
}

// pacer spaces the strokes of all the writers that share it to one total rate, whichever writers are
// connected at the moment: clients come and go, the offered load stays.
type pacer struct {
	mu    sync.Mutex
	next  time.Time     // the next stroke's slot
	every time.Duration // 1 / rate
}

func newPacer(perSecond float64) *pacer {
	return &pacer{every: time.Duration(float64(time.Second) / perSecond)}
}

// wait blocks until the caller's slot; a slot missed because every writer was busy is not made up for
// later (no burst after a stall). It reports false when ctx ended first.
func (p *pacer) wait(ctx context.Context) bool {
	p.mu.Lock()
	now := time.Now()
	if p.next.Before(now) {
		p.next = now
	}
	at := p.next
	p.next = p.next.Add(p.every)
	p.mu.Unlock()
	backoff(ctx, time.Until(at))
	return ctx.Err() == nil
}

// backoff waits d or until ctx ends (a retry delay, not a synchronisation).
func backoff(ctx context.Context, d time.Duration) {
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
}

// randomStroke is a short polyline starting somewhere in area.
func randomStroke(rng *rand.Rand) []strokes.Point {
	x, y := area.MinX+1000+rng.Int64N(area.MaxX-area.MinX-2000), area.MinY+1000+rng.Int64N(area.MaxY-area.MinY-2000)
	pts := make([]strokes.Point, 8+rng.IntN(24))
	for i := range pts {
		x += int64(rng.IntN(2000)) - 1000
		y += int64(rng.IntN(2000)) - 1000
		pts[i] = strokes.Point{X: x, Y: y, Pressure: strokes.DefaultPressure}
	}
	return pts
}
