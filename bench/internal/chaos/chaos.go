// Package chaos injects faults into a two-replica realtime stack while writers and readers use it through
// the real protocol, and checks that nothing acknowledged is lost, stored twice or delivered out of order.
//
// Each scenario gets fresh rooms: writers (one commit in flight each, resending the unacknowledged stroke
// under the same id after a reconnect, to the other replica when theirs is gone) and one reader per room
// (reconnecting from its last seq). The fault is injected once every writer has committed, and undone;
// the load runs until every writer has committed again, then stops, and the verdict compares what the
// writers were acknowledged with PostgreSQL and with what the readers received.
package chaos

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	tilev1 "github.com/infidraw/infidraw/gen/go/infidraw/tile/v1"
	"github.com/infidraw/infidraw/realtime-go/client"
	"github.com/infidraw/infidraw/shared-go/eventkind"
)

// Result is one scenario's verdict, as chaos.json holds it.
type Result struct {
	Name            string `json:"name"`
	Acked           int    `json:"acked"`
	Lost            int    `json:"lost"`
	Duplicated      int    `json:"duplicated"`
	OrderViolations int    `json:"order_violations"`
	RecoveryMS      int64  `json:"recovery_ms"`
	// ReadRecoveryMS is the longest a tile reader went without an answer from any tile-delta-go.
	ReadRecoveryMS int64          `json:"read_recovery_ms"`
	Errors         map[string]int `json:"errors"`
	// Notes holds the first lost ids and ordering breaches, so that a failure says what happened.
	Notes []string `json:"notes,omitempty"`
	// Error is why the scenario could not finish (the stack did not recover, a check of the fault failed).
	Error string `json:"error,omitempty"`
}

// Failed reports whether the scenario lost, duplicated or reordered anything, or could not finish.
func (r Result) Failed() bool {
	return r.Lost > 0 || r.Duplicated > 0 || r.OrderViolations > 0 || r.Error != ""
}

// Scenario is one fault: Inject breaks something and puts it back (the load runs throughout); rooms
// are the rooms being drawn in, t what the clients saw, for what the fault itself observes.
type Scenario struct {
	Name   string
	Inject func(ctx context.Context, cl *Cluster, rooms []string, t *tally) error
}

// Scenarios are the faults, in the order they run.
var Scenarios = []Scenario{
	{"realtime kill -9", func(ctx context.Context, cl *Cluster, _ []string, _ *tally) error {
		if err := cl.SignalReplica(0, syscall.SIGKILL); err != nil {
			return err
		}
		return cl.StartReplica(0)
	}},
	{"realtime SIGTERM (drain)", func(ctx context.Context, cl *Cluster, _ []string, _ *tally) error {
		if err := cl.SignalReplica(1, syscall.SIGTERM); err != nil {
			return err
		}
		return cl.StartReplica(1)
	}},
	{"redis paused 10 s", func(ctx context.Context, cl *Cluster, _ []string, _ *tally) error {
		if err := cl.redis.Process.Signal(syscall.SIGSTOP); err != nil {
			return err
		}
		backoff(ctx, 10*time.Second) // the fault's duration
		return cl.redis.Process.Signal(syscall.SIGCONT)
	}},
	{"redis killed, restarted empty", func(ctx context.Context, cl *Cluster, _ []string, _ *tally) error {
		_ = cl.redis.Process.Kill()
		_ = cl.redis.Wait() // killed: its exit status is the point
		return cl.startRedis()
	}},
	{"postgres restart (fast)", func(ctx context.Context, cl *Cluster, _ []string, _ *tally) error {
		return cl.pgCtl(ctx, "restart")
	}},
	{"snapshot-rs killed while tiles render", func(ctx context.Context, cl *Cluster, rooms []string, t *tally) error {
		_ = cl.snapshot.Cmd.Process.Kill()
		_ = cl.snapshot.Cmd.Wait() // killed: its exit status is the point
		// Meanwhile tiles still render, by tile-delta-go's gg fallback.
		if renderer := render(ctx, cl, rooms[0], t); renderer != "gg" {
			return fmt.Errorf("with snapshot-rs down a tile was rendered by %q, want the gg fallback", renderer)
		}
		restarted := time.Now()
		if err := cl.StartSnapshot(); err != nil {
			return err
		}
		// Rendering goes back to snapshot-rs once the breaker's half-open probe succeeds.
		if err := waitFor(ctx, 30*time.Second, func() bool { return render(ctx, cl, rooms[0], t) == "snapshot-rs" }); err != nil {
			return fmt.Errorf("rendering never went back to snapshot-rs: %w", err)
		}
		// And the snapshot follower stores snapshots again (the writers keep making tiles dirty).
		if err := waitFor(ctx, 30*time.Second, func() bool { return snapshotsSince(ctx, cl.DBURL, rooms, restarted) > 0 }); err != nil {
			return fmt.Errorf("no snapshot was stored after snapshot-rs came back: %w", err)
		}
		return nil
	}},
	{"tile-delta-go replica killed", func(ctx context.Context, cl *Cluster, _ []string, _ *tally) error {
		cl.KillTiles(0)
		backoff(ctx, 3*time.Second) // the outage: readers must use the other replica meanwhile
		return cl.StartTiles(0)
	}},
	{"gateway killed, restarted", func(ctx context.Context, cl *Cluster, rooms []string, _ *tally) error {
		before, err := cl.account.roomToken(ctx, rooms[0])
		if err != nil {
			return err
		}
		_ = cl.gatewayProc.Cmd.Process.Kill()
		_ = cl.gatewayProc.Cmd.Wait() // killed: its exit status is the point
		// While it is down, a token it signed before still joins: the replicas keep its JWKS.
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		c, err := client.Dial(dctx, cl.URLs(0)[0], rooms[0], before, 0, client.Options{OnHeads: func([]client.EventHead) {}})
		cancel()
		if err != nil {
			return fmt.Errorf("with the gateway down, a room token it signed before was refused: %w", err)
		}
		c.Close()
		backoff(ctx, 2*time.Second) // the outage: writers that reconnect now reuse their last token
		if err := cl.StartGateway(); err != nil {
			return err
		}
		// The session made before the kill still works on the restarted gateway.
		if _, err := cl.account.roomToken(ctx, rooms[0]); err != nil {
			return fmt.Errorf("the gateway session did not survive its restart: %w", err)
		}
		return nil
	}},
}

// render renders the room's first tile through tile-delta-go and returns which renderer drew it
// ("" when the call failed; the failure is counted).
func render(ctx context.Context, cl *Cluster, room string, t *tally) string {
	conn, err := grpc.NewClient(cl.TileTargets(0)[0], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return ""
	}
	defer conn.Close()
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err := tilev1.NewTileDeltaServiceClient(conn).RenderTile(cctx, &tilev1.RenderTileRequest{RoomId: room, Coord: &tilev1.TileCoord{}})
	if err != nil {
		t.errorSeen("render_" + status.Code(err).String())
		return ""
	}
	return resp.GetRenderer()
}

// snapshotsSince counts the tile snapshots of rooms stored after since (0 when PostgreSQL cannot say).
func snapshotsSince(ctx context.Context, dbURL string, rooms []string, since time.Time) int {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return 0
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `select count(*) from tile_snapshots where room_id = any($1::uuid[]) and created_at > $2`, rooms, since).Scan(&n); err != nil {
		return 0
	}
	return n
}

// Load is the size of each scenario's load.
type Load struct {
	Rooms          int
	WritersPerRoom int
}

// Run runs one scenario against cl.
func Run(ctx context.Context, cl *Cluster, sc Scenario, load Load) (Result, error) {
	t := newTally()
	var writers []*writer
	var readers []*reader
	var tileReaders []*tileReader
	var rooms []string
	for r := 0; r < load.Rooms; r++ {
		room, err := cl.account.createRoom(ctx)
		if err != nil {
			return Result{}, fmt.Errorf("%s: create a room: %w", sc.Name, err)
		}
		rooms = append(rooms, room)
		tileReaders = append(tileReaders, &tileReader{room: room, prefer: r % 2})
		for w := 0; w < load.WritersPerRoom; w++ {
			writers = append(writers, &writer{room: room, prefer: (r + w) % 2})
		}
		readers = append(readers, &reader{room: room, prefer: (r + 1) % 2, witness: true})
	}
	loadCtx, stopLoad := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for i, w := range writers {
		wg.Add(1)
		go func() { defer wg.Done(); w.run(loadCtx, cl, t, rand.New(rand.NewPCG(uint64(i), 13))) }()
	}
	var rwg sync.WaitGroup
	readCtx, stopReaders := context.WithCancel(ctx)
	for _, r := range readers {
		rwg.Add(1)
		go func() { defer rwg.Done(); r.run(readCtx, cl, t) }()
	}
	for _, r := range tileReaders {
		wg.Add(1)
		go func() { defer wg.Done(); r.run(loadCtx, cl, t) }()
	}
	defer func() { stopLoad(); wg.Wait(); stopReaders(); rwg.Wait() }()

	start := time.Now()
	if err := waitFor(ctx, 30*time.Second, func() bool { return t.allCommittedSince(writers, start) }); err != nil {
		return Result{}, fmt.Errorf("%s: load never started: %w", sc.Name, err)
	}
	if err := sc.Inject(ctx, cl, rooms, t); err != nil {
		return Result{}, fmt.Errorf("%s: %w", sc.Name, err)
	}
	healed := time.Now()
	if err := waitFor(ctx, 60*time.Second, func() bool { return t.allCommittedSince(writers, healed) }); err != nil {
		return Result{}, fmt.Errorf("%s: writers did not recover within 60 s: %w", sc.Name, err)
	}
	// More load on the healed stack (the time to commit, not a synchronisation).
	backoff(ctx, 5*time.Second)
	stopLoad()
	wg.Wait()

	// Readers must end up with every acknowledged stroke; those they never receive are lost to them.
	_ = waitFor(ctx, 15*time.Second, func() bool { return len(missingFromReaders(t)) == 0 })
	stopReaders()
	rwg.Wait()
	return check(ctx, cl, sc.Name, t)
}

// check compares what the writers were acknowledged with PostgreSQL and with what the witness readers
// received, once the load has stopped: the lost, duplicated and reordered strokes of a run.
func check(ctx context.Context, cl *Cluster, name string, t *tally) (Result, error) {
	t.mu.Lock()
	res := Result{Name: name, Errors: maps.Clone(t.errors), RecoveryMS: t.longestGap.Milliseconds(),
		ReadRecoveryMS: t.longestRead.Milliseconds()}
	t.mu.Unlock()
	res.Acked = t.acks()
	stored, storedTwice, err := storedStrokes(ctx, cl.DBURL, t)
	if err != nil {
		return res, err
	}
	res.Duplicated = storedTwice + t.duplicated
	lost := map[uuid.UUID]bool{}
	for room, acked := range t.acked {
		for id := range acked {
			if !stored[room][id] {
				lost[id] = true
			}
		}
	}
	for _, id := range missingFromReaders(t) {
		lost[id] = true
	}
	res.Lost = len(lost)
	for id := range lost {
		if len(res.Notes) < 5 {
			res.Notes = append(res.Notes, "lost "+id.String())
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	res.OrderViolations = len(t.violations)
	for i, v := range t.violations {
		if i < 5 {
			res.Notes = append(res.Notes, v)
		}
	}
	return res, nil
}

// missingFromReaders lists the acknowledged strokes that the reader of their room has not received.
func missingFromReaders(t *tally) []uuid.UUID {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []uuid.UUID
	for room, acked := range t.acked {
		for id := range acked {
			if _, ok := t.seen[room][id]; !ok {
				out = append(out, id)
			}
		}
	}
	return out
}

// storedStrokes reads the scenario's StrokeAdded events from PostgreSQL: the stroke ids per room, and how
// many strokes were stored more than once.
func storedStrokes(ctx context.Context, dbURL string, t *tally) (map[string]map[uuid.UUID]bool, int, error) {
	t.mu.Lock()
	rooms := make([]string, 0, len(t.acked))
	for room := range t.acked {
		rooms = append(rooms, room)
	}
	t.mu.Unlock()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, 0, err
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `select room_id::text, action_id, count(*) from stroke_events
		where room_id = any($1::uuid[]) and kind = $2 group by 1, 2`, rooms, int16(eventkind.StrokeAdded))
	if err != nil {
		return nil, 0, err
	}
	stored := map[string]map[uuid.UUID]bool{}
	twice := 0
	var room string
	var id uuid.UUID
	var n int
	_, err = pgx.ForEachRow(rows, []any{&room, &id, &n}, func() error {
		if stored[room] == nil {
			stored[room] = map[uuid.UUID]bool{}
		}
		stored[room][id] = true
		if n > 1 {
			twice++
		}
		return nil
	})
	return stored, twice, err
}

// waitFor polls cond until it holds or d has passed.
func waitFor(ctx context.Context, d time.Duration, cond func() bool) error {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %s", d)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

// Markdown renders the results as a table.
func Markdown(results []Result, date string, took time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# infidraw chaos run (%s, %s)\n\n", date, took.Round(time.Second))
	b.WriteString("| scenario | acked | lost | duplicated | order violations | recovery ms | tile read recovery ms | errors clients saw |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---|\n")
	for _, r := range results {
		kinds := make([]string, 0, len(r.Errors))
		for k, n := range r.Errors {
			kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
		}
		sort.Strings(kinds)
		if r.Error != "" {
			kinds = append(kinds, "**did not finish: "+r.Error+"**")
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %d | %s |\n", r.Name, r.Acked, r.Lost, r.Duplicated, r.OrderViolations, r.RecoveryMS, r.ReadRecoveryMS, strings.Join(kinds, ", "))
	}
	return b.String()
}
