// Package ingest measures committed strokes per second and ack latency: infidraw's batched pipeline
// (WebSocket CommitStroke → sharded queue → one transaction with COPY per batch → Ack) against the
// earlier design's row-by-row INSERTs (one autocommit INSERT per stroke into stroke_events and one per
// touched tile into tile_events) and the roadmap's phase-1 fix of it (a Node relay: binary commit →
// sharded queue → one prepared multi-row INSERT statement per batch → ack), on the same real strokes and
// the same PostgreSQL. Each system is run
// closed-loop (every writer commits as soon as its previous ack arrives: the maximum) and then paced at
// half of that maximum; afterwards the database must hold exactly the acknowledged strokes.
package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/infidraw/infidraw/bench/internal/phase1"
	"github.com/infidraw/infidraw/bench/internal/stack"
	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	"github.com/infidraw/infidraw/realtime-go/client"
	"github.com/infidraw/infidraw/shared-go/quickdraw"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// Config of a comparison.
type Config struct {
	Writers int `json:"writers"` // one room each: ingest, not fan-out
	// InFlight is how many commits each infidraw and phase-1 writer keeps unacknowledged (the protocols
	// allow many, as the browser does while the pen keeps drawing); the row-by-row baseline is bounded by
	// its connection pool of Writers connections instead.
	InFlight int           `json:"infidraw_in_flight_per_writer"`
	Duration time.Duration `json:"-"`
	Seconds  float64       `json:"seconds_per_phase"`
}

// Phase is one measured run of one system.
type Phase struct {
	System         string  `json:"system"`
	Mode           string  `json:"mode"`                    // "max" (closed loop) or "half" (paced at half of max)
	OfferedPerSec  float64 `json:"offered_strokes_per_s"`   // 0 for closed loop
	CommittedPerS  float64 `json:"committed_strokes_per_s"` // acknowledged strokes per second
	Committed      int64   `json:"committed_strokes"`       // acknowledged strokes
	InDatabase     int64   `json:"strokes_in_database"`     // must equal Committed
	RowsPerStroke  float64 `json:"rows_written_per_stroke"` // stroke_events + tile_events (+ strokes for infidraw)
	P50ms          float64 `json:"ack_p50_ms"`
	P99ms          float64 `json:"ack_p99_ms"`
	Retries        int64   `json:"overloaded_retries"`
	ServerCPUSec   float64 `json:"server_cpu_seconds,omitempty"`
	ServerPeakRSS  int64   `json:"server_peak_rss_bytes,omitempty"`
	TilesPerStroke float64 `json:"tile_rows_per_stroke"`
}

type stroke struct {
	pts   []strokes.Point
	tiles []strokes.Tile
}

// Pool turns the real drawings into strokes with their tiles (every level, as infidraw writes them).
func Pool(drawings []quickdraw.Drawing, limit int) ([]stroke, error) {
	var out []stroke
	for _, d := range drawings {
		for _, s := range d.Strokes {
			pts := make([]strokes.Point, len(s))
			for i, p := range s {
				pts[i] = strokes.Point{X: quickdraw.Quantize(p.X), Y: quickdraw.Quantize(p.Y), Pressure: strokes.DefaultPressure}
			}
			tiles, err := strokes.TilesAllLevels(300, pts)
			if err != nil {
				return nil, err
			}
			out = append(out, stroke{pts, tiles})
			if len(out) >= limit {
				return out, nil
			}
		}
	}
	return out, nil
}

// committer commits one stroke and returns once it is acknowledged (retries on OVERLOADED are counted).
type committer func(ctx context.Context, s stroke) (retries int, err error)

// drive runs writers closed-loop (rate 0) or paced at rate strokes/s in total; latency is measured from the
// scheduled send time (no coordinated omission when paced).
func drive(ctx context.Context, writers []committer, inFlight int, pool []stroke, d time.Duration, rate float64) (Phase, error) {
	var ph Phase
	var mu sync.Mutex
	var lat []float64
	var committed, retries atomic.Int64
	var firstErr atomic.Value
	runCtx, stop := context.WithTimeout(ctx, d)
	defer stop()
	start := time.Now()
	var wg sync.WaitGroup
	senders := len(writers) * max(1, inFlight)
	for w := 0; w < senders; w++ {
		commit := writers[w%len(writers)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			var interval time.Duration
			if rate > 0 {
				interval = time.Duration(float64(senders) / rate * float64(time.Second))
			}
			next := start.Add(time.Duration(rng.Float64() * float64(interval)))
			var local []float64
			for runCtx.Err() == nil {
				sched := time.Now()
				if rate > 0 {
					if wait := time.Until(next); wait > 0 {
						select {
						case <-time.After(wait):
						case <-runCtx.Done():
						}
						if runCtx.Err() != nil {
							break
						}
					}
					sched = next
					next = next.Add(interval)
				}
				r, err := commit(context.WithoutCancel(runCtx), pool[rng.IntN(len(pool))])
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				retries.Add(int64(r))
				committed.Add(1)
				local = append(local, float64(time.Since(sched).Microseconds())/1000)
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return ph, err
	}
	elapsed := time.Since(start).Seconds()
	sort.Float64s(lat)
	ph.Committed = committed.Load()
	ph.CommittedPerS = float64(ph.Committed) / elapsed
	ph.OfferedPerSec = rate
	ph.Retries = retries.Load()
	ph.P50ms, ph.P99ms = quantile(lat, 0.5), quantile(lat, 0.99)
	return ph, nil
}

func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// Infidraw measures realtime-go: one editor connection per room, CommitStroke, wait for the Ack.
func Infidraw(ctx context.Context, cfg Config, rep *stack.Process, keys *stack.Keys, dbURL string, pool []stroke, rate float64) (Phase, error) {
	rooms := make([]string, cfg.Writers)
	writers := make([]committer, cfg.Writers)
	for i := range rooms {
		rooms[i] = uuid.NewString()
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		c, err := client.Dial(dctx, rep.WSURL(), rooms[i], keys.Token(uuid.NewString(), rooms[i], "editor"), 0, client.Options{})
		cancel()
		if err != nil {
			return Phase{}, err
		}
		defer c.Close()
		writers[i] = func(ctx context.Context, s stroke) (int, error) {
			st := client.PenStroke(s.pts, 300, 0x1e1e1eff)
			for retries := 0; ; retries++ {
				rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				rep, err := c.Request(rctx, &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_CommitStroke{CommitStroke: &realtimev1.CommitStroke{Stroke: st}}})
				cancel()
				if err != nil {
					return retries, err
				}
				if rep.Ack != nil {
					return retries, nil
				}
				if rep.Error.GetRetryAfterMs() == 0 {
					return retries, fmt.Errorf("commit refused: %s", rep.Error.GetMessage())
				}
				time.Sleep(time.Duration(rep.Error.GetRetryAfterMs()) * time.Millisecond)
			}
		}
	}
	ph, err := drive(ctx, writers, cfg.InFlight, pool, cfg.Duration, rate)
	if err != nil {
		return ph, err
	}
	ph.System = "infidraw"
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return ph, err
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, `select count(*) from stroke_events where room_id = any($1::uuid[])`, rooms).Scan(&ph.InDatabase); err != nil {
		return ph, err
	}
	var tiles int64
	if err := conn.QueryRow(ctx, `select count(*) from tile_events where room_id = any($1::uuid[])`, rooms).Scan(&tiles); err != nil {
		return ph, err
	}
	ph.TilesPerStroke = float64(tiles) / math.Max(1, float64(ph.InDatabase))
	ph.RowsPerStroke = 2 + ph.TilesPerStroke // stroke_events + strokes + tile_events (and the room_heads update)
	return ph, nil
}

// legacySchema is the earlier design's event store: bigserial ids, JSON stroke data, one row per event
// and one per touched tile, written row by row.
const legacySchema = `
create schema if not exists bench_legacy;
create table if not exists bench_legacy.stroke_events (
    id          bigserial primary key,
    room_id     uuid not null,
    stroke_id   uuid not null,
    event_type  text not null,
    stroke_data jsonb not null,
    timestamp   timestamptz not null default now()
);
create index if not exists idx_stroke_events_room_timestamp on bench_legacy.stroke_events (room_id, timestamp);
create table if not exists bench_legacy.tile_events (
    id        bigserial primary key,
    room_id   uuid not null,
    level     smallint not null,
    tile_x    integer not null,
    tile_y    integer not null,
    stroke_id uuid not null,
    timestamp timestamptz not null default now()
);
create index if not exists idx_tile_events_room_tile on bench_legacy.tile_events (room_id, level, tile_x, tile_y, timestamp);`

type legacyStroke struct {
	ID     string       `json:"id"`
	Tool   string       `json:"tool"`
	Color  string       `json:"color"`
	Width  float64      `json:"width"`
	Points [][2]float64 `json:"points"`
}

// RowByRow measures the earlier design: per stroke one autocommit INSERT into stroke_events (JSON) and one
// per touched tile into tile_events, from a pgx pool with one connection per writer.
func RowByRow(ctx context.Context, cfg Config, dbURL string, pool []stroke, rate float64) (Phase, error) {
	pc, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return Phase{}, err
	}
	pc.MaxConns = int32(cfg.Writers)
	db, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return Phase{}, err
	}
	defer db.Close()
	if _, err := db.Exec(ctx, legacySchema); err != nil {
		return Phase{}, err
	}
	rooms := make([]uuid.UUID, cfg.Writers)
	writers := make([]committer, cfg.Writers)
	for i := range rooms {
		rooms[i] = uuid.New()
		room := rooms[i]
		writers[i] = func(ctx context.Context, s stroke) (int, error) {
			id := uuid.New()
			ls := legacyStroke{ID: id.String(), Tool: "pen", Color: "#1e1e1e", Width: 3, Points: make([][2]float64, len(s.pts))}
			for j, p := range s.pts {
				ls.Points[j] = [2]float64{float64(p.X) / 100, float64(p.Y) / 100}
			}
			data, err := json.Marshal(ls)
			if err != nil {
				return 0, err
			}
			if _, err := db.Exec(ctx, `insert into bench_legacy.stroke_events (room_id, stroke_id, event_type, stroke_data) values ($1, $2, 'stroke_added', $3)`, room, id, data); err != nil {
				return 0, err
			}
			for _, t := range s.tiles {
				if _, err := db.Exec(ctx, `insert into bench_legacy.tile_events (room_id, level, tile_x, tile_y, stroke_id) values ($1, $2, $3, $4, $5)`, room, t.Level, t.X, t.Y, id); err != nil {
					return 0, err
				}
			}
			return 0, nil
		}
	}
	ph, err := drive(ctx, writers, 1, pool, cfg.Duration, rate)
	if err != nil {
		return ph, err
	}
	ph.System = "row-by-row"
	if err := db.QueryRow(ctx, `select count(*) from bench_legacy.stroke_events where room_id = any($1)`, rooms).Scan(&ph.InDatabase); err != nil {
		return ph, err
	}
	var tiles int64
	if err := db.QueryRow(ctx, `select count(*) from bench_legacy.tile_events where room_id = any($1)`, rooms).Scan(&tiles); err != nil {
		return ph, err
	}
	ph.TilesPerStroke = float64(tiles) / math.Max(1, float64(ph.InDatabase))
	ph.RowsPerStroke = 1 + ph.TilesPerStroke
	return ph, nil
}

// Phase1 measures the roadmap's phase-1 relay (bench/phase1-relay): one connection per room, a binary
// commit, the ack once its batch is stored; rows in its bench_phase1 schema.
func Phase1(ctx context.Context, cfg Config, rep *stack.Process, dbURL string, pool []stroke, rate float64) (Phase, error) {
	rooms := make([]uuid.UUID, cfg.Writers)
	writers := make([]committer, cfg.Writers)
	for i := range rooms {
		rooms[i] = uuid.New()
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		c, err := phase1.Dial(dctx, rep.HTTP, rooms[i].String(), nil)
		cancel()
		if err != nil {
			return Phase{}, err
		}
		defer c.Close()
		writers[i] = func(_ context.Context, s stroke) (int, error) {
			_, err := c.Commit(uuid.New(), s.pts)
			return 0, err
		}
	}
	ph, err := drive(ctx, writers, cfg.InFlight, pool, cfg.Duration, rate)
	if err != nil {
		return ph, err
	}
	ph.System = "phase1"
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return ph, err
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, `select count(*) from bench_phase1.stroke_events where room_id = any($1)`, rooms).Scan(&ph.InDatabase); err != nil {
		return ph, err
	}
	var tiles int64
	if err := conn.QueryRow(ctx, `select count(*) from bench_phase1.tile_events where room_id = any($1)`, rooms).Scan(&tiles); err != nil {
		return ph, err
	}
	ph.TilesPerStroke = float64(tiles) / math.Max(1, float64(ph.InDatabase))
	ph.RowsPerStroke = 1 + ph.TilesPerStroke
	return ph, nil
}
