// Package snapshots is tile-delta-go's snapshot policy, driven by commits: a Follower reads each
// room's log after the last event it looked at, finds the tiles those events touched, and has the
// Snapshotter render the ones whose delta (visible strokes added after the newest snapshot) passed a
// threshold, or whose snapshot an erase or restore made unusable — incremental (previous PNG + new
// strokes) when only strokes were added since, full otherwise. A PNG is stored under an immutable
// versioned key and recorded in tile_snapshots. Reads never render: a read that finds a tile pending
// only moves it ahead in the queue of the replica following its room.
//
// A tile can also be rendered as it was at a past point (a read of the past found it pending): the
// picture of every event up to the tile's last event T at or before that point, recorded as an ordinary
// snapshot covering T (see Snapshot).
//
// One render per tile across replicas: one replica follows a room at a time (a lease in tile_follow),
// and its queue holds a tile at most once. No transaction or lock is held across a render and an
// upload: the tile is read in a short read-only transaction, rendered, stored, then recorded.
package snapshots

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/eventkind"
	"github.com/infidraw/infidraw/shared-go/strokes"
	"github.com/infidraw/infidraw/tile-delta-go/internal/objstore"
	"github.com/infidraw/infidraw/tile-delta-go/internal/tiles"
)

// Renderer draws a tile and names the renderer.
type Renderer interface {
	RenderTile(ctx context.Context, t strokes.Tile, base []byte, ss []*strokev1.Stroke) ([]byte, string, error)
}

// Policy says how much rendering runs at once and how it is bounded (the thresholds are the follower's).
type Policy struct {
	// Workers render concurrently. Queue bounds the tiles that reads may move ahead (more such
	// requests are dropped: the follower renders them anyway).
	Workers int
	Queue   int
	// Timeout bounds each step of a snapshot: a read, one chunk's render, store and record.
	Timeout time.Duration
	// ChunkStrokes and ChunkBytes bound the strokes drawn in one render request; a larger delta is
	// drawn in chunks, each on the previous one's PNG (at checkpoint levels, chunks of at most
	// Checkpoints.Spacing strokes).
	ChunkStrokes, ChunkBytes int
	// Retain is how long a superseded snapshot outlives its successor: readers handed its key just
	// before the successor was recorded may still fetch it. Older ones are deleted (Collect), except
	// Checkpoints.
	Retain time.Duration
	// Checkpoints are superseded snapshots kept at spaced points for reads of the past.
	Checkpoints Checkpoints
}

// Kind of a snapshot render.
type Kind string

// Kinds of Result.
const (
	Full        Kind = "full"
	Incremental Kind = "incremental"
	UpToDate    Kind = "up_to_date" // the newest snapshot already covers the head
	Purged      Kind = "purged"     // the room was purged during the render: nothing is kept
)

// Result of one Snapshot call.
type Result struct {
	Kind      Kind
	Key       string
	CoversSeq uint64
	SizeBytes int
	Renderer  string
}

// Snapshotter renders snapshots from its queue with Policy.Workers workers.
type Snapshotter struct {
	pool     *pgxpool.Pool
	store    objstore.Store
	renderer Renderer
	policy   Policy
	log      *slog.Logger
	queue    *queue
	flights  flights

	depth     prometheus.Gauge
	dropped   prometheus.Counter
	renders   *prometheus.CounterVec
	errors    prometheus.Counter
	duration  prometheus.Histogram
	collected prometheus.Counter
}

// DefaultChunkStrokes is Policy.ChunkStrokes when unset; Policy.ChunkBytes defaults to half of what
// snapshot-rs accepts in one request by default.
const DefaultChunkStrokes = 20_000

// New returns a snapshotter and registers its metrics.
func New(pool *pgxpool.Pool, store objstore.Store, r Renderer, p Policy, reg prometheus.Registerer, log *slog.Logger) *Snapshotter {
	if p.ChunkStrokes <= 0 {
		p.ChunkStrokes = DefaultChunkStrokes
	}
	if p.ChunkBytes <= 0 {
		p.ChunkBytes = strokes.DefaultMaxRequestBytes / 2
	}
	s := &Snapshotter{pool: pool, store: store, renderer: r, policy: p, log: log,
		depth: prometheus.NewGauge(prometheus.GaugeOpts{Name: "tile_delta_snapshot_queue_depth",
			Help: "Tiles waiting for or in a snapshot render."}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "tile_delta_snapshot_queue_dropped_total",
			Help: "Tiles a read found pending that were not moved ahead because the queue was full (the follower renders them)."}),
		renders: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tile_delta_snapshots_total",
			Help: "Snapshot attempts by outcome: full, incremental, up_to_date."}, []string{"kind"}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{Name: "tile_delta_snapshot_errors_total",
			Help: "Snapshot renders that failed."}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tile_delta_snapshot_duration_seconds",
			Help: "Time to make one snapshot (read, render, store, record).", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
		collected: prometheus.NewCounter(prometheus.CounterOpts{Name: "tile_delta_snapshots_collected_total",
			Help: "Superseded snapshots deleted (rows and objects) once their successor was older than the retention."}),
	}
	s.queue = newQueue(func(depth int) { s.depth.Set(float64(depth)) })
	reg.MustRegister(s.depth, s.dropped, s.renders, s.errors, s.duration, s.collected)
	return s
}

// Render queues the tile (as it is now) and returns a channel that receives the result of a render that
// starts after this call (it reads every commit made before it).
func (s *Snapshotter) Render(room uuid.UUID, t strokes.Tile) <-chan error {
	done := make(chan error, 1)
	s.queue.ask(job{room: room, tile: t}, false, done)
	return done
}

// Hurry moves a tile a reader found pending ahead of the others, unless Policy.Queue tiles are queued
// already: as it is now (at 0) or as it was right after event at. It never blocks and writes nothing.
func (s *Snapshotter) Hurry(room uuid.UUID, t strokes.Tile, at uint64) {
	if s.queue.size() >= s.policy.Queue {
		s.dropped.Inc()
		return
	}
	s.queue.ask(job{room: room, tile: t, at: at}, true, nil)
}

// Run renders queued tiles with Policy.Workers workers until ctx ends.
func (s *Snapshotter) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range s.policy.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				j, ok := s.queue.take(ctx)
				if !ok {
					return
				}
				res, err := s.Snapshot(ctx, j.room, j.tile, j.at)
				if err == nil && j.at == 0 && (res.Kind == Full || res.Kind == Incremental) {
					// A new version is the moment older ones may have become garbage. A snapshot of the past
					// supersedes nothing, and Collect would delete it at once when the tile's newest snapshot
					// is older than the retention.
					if _, gcErr := s.Collect(ctx, j.room, j.tile); gcErr != nil && s.log != nil {
						s.log.Warn("snapshot collection failed", "room", j.room, "level", j.tile.Level, "x", j.tile.X, "y", j.tile.Y, "err", gcErr)
					}
				}
				if err != nil && ctx.Err() == nil && s.log != nil {
					s.log.Warn("snapshot failed", "room", j.room, "level", j.tile.Level, "x", j.tile.X, "y", j.tile.Y, "at", j.at, "err", err)
				} else if err == nil && s.log != nil {
					s.log.Debug("snapshot", "room", j.room, "level", j.tile.Level, "x", j.tile.X, "y", j.tile.Y, "at", j.at, "kind", res.Kind, "covers_seq", res.CoversSeq, "bytes", res.SizeBytes)
				}
				s.queue.finish(j, err)
			}
		}()
	}
	wg.Wait()
}

// Key is the object key of a snapshot: immutable, versioned by covers_seq.
func Key(room uuid.UUID, t strokes.Tile, coversSeq uint64) string {
	return fmt.Sprintf("rooms/%s/%d/%d_%d/%d.png", room, t.Level, t.X, t.Y, coversSeq)
}

// Snapshot renders one tile, if it needs it: as it is at the room's head at its start (at 0), or as it
// was right after event at. It reads the tile (newest usable snapshot and delta, or every visible stroke
// when that snapshot is stale or its object gone) in a read-only transaction that ends before the render,
// then stores the PNG and records it. A delta larger than one chunk (Policy.ChunkStrokes, ChunkBytes) is
// drawn a chunk at a time, each on the previous one's PNG, so a tile of a million strokes never travels
// in one request; a chunk is recorded as a snapshot of its own (covering its last stroke) when no erase or
// restore after it changes what it shows, so a failure keeps the chunks done.
//
// A render of the past draws the tile as it was at T, its last event at or before at (the same picture
// for every point from T on until the tile's next event, so scrubbing across events elsewhere asks for
// one render), and records it as an ordinary snapshot covering T: it holds every event up to T touching
// the tile, exactly what a snapshot is. Reads of now keep starting from the newest snapshot, and Collect
// deletes this one later like any superseded snapshot (the next render of the tile as it is now collects
// it when the newest snapshot is older than the retention).
func (s *Snapshotter) Snapshot(ctx context.Context, room uuid.UUID, t strokes.Tile, at uint64) (res Result, err error) {
	start := time.Now()
	defer s.flights.begin(room)()
	defer func() {
		if err != nil {
			s.errors.Inc()
			return
		}
		s.renders.WithLabelValues(string(res.Kind)).Inc()
		if res.Kind == Full || res.Kind == Incremental {
			s.duration.Observe(time.Since(start).Seconds())
		}
	}()
	c, err := s.read(ctx, room, t, at)
	if err != nil {
		return Result{}, err
	}
	target := c.At // the head, or T
	if target == 0 || (c.Snapshot != nil && c.Snapshot.CoversSeq >= target) {
		return Result{Kind: UpToDate}, nil
	}
	res.Kind = Full
	var base []byte
	if c.Snapshot != nil {
		switch base, err = s.getBase(ctx, c.Snapshot.Key); {
		case err == nil:
			res.Kind = Incremental
		case errors.Is(err, objstore.ErrNotFound):
			c = tiles.Content{Tile: t, Pending: true} // the object is gone: draw everything
		default:
			return Result{}, fmt.Errorf("read snapshot %s: %w", c.Snapshot.Key, err)
		}
	}
	var changed uint64 // the newest erase or restore the chunks must reckon with
	if c.Pending {
		if changed, err = s.lastChange(ctx, room, t, c.After, target); err != nil {
			return Result{}, err
		}
	}
	for {
		if c.Pending { // more than a chunk after c.After: read the next one
			if c, err = s.chunk(ctx, room, t, c.After, target, changed); err != nil {
				return Result{}, err
			}
		}
		batch, covers, more := s.cut(c, target)
		png, by, err := s.render(ctx, t, base, batch)
		if err != nil {
			return Result{}, err
		}
		// A chunk shows its strokes as they are visible at target: a snapshot covering the chunk only when
		// no erase or restore in between made them differ at the chunk's own point.
		if !more || covers >= changed {
			chunk, err := s.record(ctx, room, t, png, covers)
			if err != nil || chunk.Kind == Purged {
				return chunk, err
			}
			res.CoversSeq, res.Key, res.SizeBytes = chunk.CoversSeq, chunk.Key, chunk.SizeBytes
		}
		res.Renderer = by
		if !more {
			return res, nil
		}
		base, c = png, tiles.Content{Tile: t, After: covers, Pending: true}
	}
}

// render draws one chunk within Policy.Timeout.
func (s *Snapshotter) render(ctx context.Context, t strokes.Tile, base []byte, batch []*strokev1.Stroke) ([]byte, string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.policy.Timeout)
	defer cancel()
	png, by, err := s.renderer.RenderTile(ctx, t, base, batch)
	if err != nil {
		return nil, "", fmt.Errorf("render: %w", err)
	}
	return png, by, nil
}

// record stores a rendered picture and records it (within Policy.Timeout) as the snapshot covering
// covers, unless the room was purged meanwhile: then it deletes the object and answers Purged.
func (s *Snapshotter) record(ctx context.Context, room uuid.UUID, t strokes.Tile, png []byte, covers uint64) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, s.policy.Timeout)
	defer cancel()
	res := Result{Kind: Full, CoversSeq: covers, Key: Key(room, t, covers), SizeBytes: len(png)}
	if err := s.store.Put(ctx, res.Key, png, "image/png"); err != nil {
		return Result{}, fmt.Errorf("store %s: %w", res.Key, err)
	}
	var live bool
	if err := s.pool.QueryRow(ctx, InsertSQL, room, t.Level, t.X, t.Y, int64(covers), res.Key, len(png),
		s.policy.Checkpoints.at(t.Level), eventkind.StrokeAdded).Scan(&live); err != nil {
		return Result{}, fmt.Errorf("record snapshot: %w", err)
	}
	if !live {
		if err := s.store.Delete(ctx, res.Key); err != nil {
			return Result{}, fmt.Errorf("delete the snapshot %s of a purged room: %w", res.Key, err)
		}
		return Result{Kind: Purged}, nil
	}
	return res, nil
}

// cut takes the first chunk of c's strokes (at most chunkStrokes strokes and ChunkBytes bytes, at least
// one stroke) and the sequence number the chunk's picture covers: its last stroke's when more
// strokes follow, else target.
func (s *Snapshotter) cut(c tiles.Content, target uint64) (batch []*strokev1.Stroke, covers uint64, more bool) {
	limit := s.chunkStrokes(c.Tile.Level)
	if !c.Pending && len(c.Strokes) <= limit && c.Bytes <= s.policy.ChunkBytes {
		return c.Strokes, target, false // the usual case: one chunk, no stroke sized again
	}
	n, bytes := 0, 0
	for n < len(c.Strokes) && n < limit {
		bytes += proto.Size(c.Strokes[n])
		if n > 0 && bytes > s.policy.ChunkBytes {
			break
		}
		n++
	}
	if n == len(c.Strokes) && !c.Pending {
		return c.Strokes, target, false
	}
	return c.Strokes[:n], c.Seqs[n-1], true
}

// read returns the tile's content from one read-only snapshot of the database, as it is now (at 0) or
// as it was right after event at: the newest usable snapshot and the delta after it, Pending (without
// strokes) when the delta is over a chunk. Content.At is the point to render: the head, or the tile's
// last event at or before at.
func (s *Snapshotter) read(ctx context.Context, room uuid.UUID, t strokes.Tile, at uint64) (c tiles.Content, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.policy.Timeout)
	defer cancel()
	err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		contents, _, err := tiles.ReadTx(ctx, tx, room, []strokes.Tile{t},
			tiles.Options{At: pastPoint(at), Bound: tiles.Bound{Strokes: s.chunkStrokes(t.Level), Bytes: s.policy.ChunkBytes}})
		if err != nil {
			return err
		}
		c = contents[0]
		return nil
	})
	return c, err
}

// lastChange reads the newest erase or restore touching the tile after `after` and up to target.
func (s *Snapshotter) lastChange(ctx context.Context, room uuid.UUID, t strokes.Tile, after, target uint64) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, s.policy.Timeout)
	defer cancel()
	return tiles.LastChange(ctx, s.pool, room, t, after, target)
}

// chunk reads the tile's next chunk: its strokes after `after` up to target that are visible at target
// (changed is lastChange's answer), one more than a chunk holds (Pending tells cut that more may follow).
// Visibility comes from the tile's own erases and restores, not from the strokes' state now, which may
// have moved past target since the render's read.
func (s *Snapshotter) chunk(ctx context.Context, room uuid.UUID, t strokes.Tile, after, target, changed uint64) (tiles.Content, error) {
	ctx, cancel := context.WithTimeout(ctx, s.policy.Timeout)
	defer cancel()
	limit := s.chunkStrokes(t.Level)
	c, err := tiles.StrokesBetween(ctx, s.pool, room, t, after, target, changed, limit+1)
	if err != nil {
		return c, err
	}
	c.Pending = len(c.Strokes) > limit || c.Bytes > s.policy.ChunkBytes
	return c, nil
}

// getBase fetches the PNG an incremental render starts from.
func (s *Snapshotter) getBase(ctx context.Context, key string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, s.policy.Timeout)
	defer cancel()
	return s.store.Get(ctx, key)
}

// Collect deletes a tile's superseded snapshots that are no checkpoints (CollectSQL): rows first, so no
// reader is handed a key whose object is gone, then objects. An object whose delete fails after its row
// is gone is left behind (PurgeRoom removes it with the room); the error says so. It returns how many
// snapshots it deleted.
func (s *Snapshotter) Collect(ctx context.Context, room uuid.UUID, t strokes.Tile) (int, error) {
	rows, err := s.pool.Query(ctx, CollectSQL, room, t.Level, t.X, t.Y, s.policy.Retain, s.collectSpacing(t.Level))
	if err != nil {
		return 0, fmt.Errorf("delete superseded snapshot rows: %w", err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, fmt.Errorf("delete superseded snapshot rows: %w", err)
	}
	for i, k := range keys {
		if err := s.store.Delete(ctx, k); err != nil {
			return i, fmt.Errorf("delete superseded snapshot object %s (row already gone): %w", k, err)
		}
		s.collected.Inc()
	}
	return len(keys), nil
}

// RoomPrefix is the object key prefix of every snapshot of a room.
func RoomPrefix(room uuid.UUID) string {
	return fmt.Sprintf("rooms/%s/", room)
}

// PurgeRoom deletes every snapshot of a room — its tile_snapshots rows, then its objects under
// RoomPrefix — and returns how many rows it deleted. It is called once the room's events are purged. Rows
// go first so that no reader is handed a key whose object is gone; a call that fails halfway is completed
// by the next one (it is idempotent). A render in flight records nothing once the events are gone
// (InsertSQL) and deletes its object; the objects go only after this replica's renders of the room have
// ended, so none appears after the purge. (A render on another replica cleans up after itself, and the
// gateway's sweeper purges once more before it removes the room.)
func (s *Snapshotter) PurgeRoom(ctx context.Context, room uuid.UUID) (int64, error) {
	tag, err := s.pool.Exec(ctx, `delete from tile_snapshots where room_id = $1`, room)
	if err != nil {
		return 0, fmt.Errorf("delete snapshot rows: %w", err)
	}
	if err := s.flights.wait(ctx, room); err != nil {
		return tag.RowsAffected(), fmt.Errorf("wait for the room's renders: %w", err)
	}
	if err := s.store.DeletePrefix(ctx, RoomPrefix(room)); err != nil {
		return tag.RowsAffected(), fmt.Errorf("delete snapshot objects: %w", err)
	}
	return tag.RowsAffected(), nil
}

// pastPoint is a job's point as a read's: a job's 0 is a render of now (a past render is always at an
// event that touched the tile, so never at 0).
func pastPoint(at uint64) *uint64 {
	if at == 0 {
		return nil
	}
	return tiles.Past(at)
}
