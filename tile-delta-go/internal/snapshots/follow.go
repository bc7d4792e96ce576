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

	"github.com/infidraw/infidraw/shared-go/eventkind"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// FollowOptions configure a Follower.
type FollowOptions struct {
	// Owner names this replica in tile_follow (unique per process).
	Owner string
	// Interval between looks for rooms with new events.
	Interval time.Duration
	// Lease is how long a room stays this replica's after a claim or renewal; another replica takes
	// over a room whose lease has run out.
	Lease time.Duration
	// Rooms followed at once; Page events read per step.
	Rooms, Page int
	// Slice is how long one room is followed before the replica lets the rooms waiting for a turn go
	// first (a room catching up on a long log would otherwise hold a slot, and the render queue, for
	// minutes); the room is claimed again after them.
	Slice time.Duration
	// MinStrokes and MinBytes are the delta (strokes added after the newest snapshot, their stored
	// size) at which a tile gets a snapshot.
	MinStrokes, MinBytes int
}

// Follower drives snapshots by commits: it claims rooms whose head is past what it has looked at,
// reads their new events a page at a time, and renders the tiles they touched that need a snapshot
// before it records the page as followed. A page is looked at again (its tiles re-checked) when a
// render failed or the replica stopped before recording it: nothing is skipped.
type Follower struct {
	pool  *pgxpool.Pool
	snaps *Snapshotter
	opt   FollowOptions
	log   *slog.Logger

	mu     sync.Mutex
	active map[uuid.UUID]bool

	following prometheus.Gauge
	events    prometheus.Counter
	tiles     *prometheus.CounterVec
	errors    prometheus.Counter
}

// NewFollower returns a follower and registers its metrics.
func NewFollower(pool *pgxpool.Pool, snaps *Snapshotter, opt FollowOptions, reg prometheus.Registerer, log *slog.Logger) *Follower {
	f := &Follower{pool: pool, snaps: snaps, opt: opt, log: log, active: map[uuid.UUID]bool{},
		following: prometheus.NewGauge(prometheus.GaugeOpts{Name: "tile_delta_follow_rooms",
			Help: "Rooms whose new events this replica is working through."}),
		events: prometheus.NewCounter(prometheus.CounterOpts{Name: "tile_delta_follow_events_total",
			Help: "Committed events looked at for tiles to snapshot."}),
		tiles: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tile_delta_follow_tiles_total",
			Help: "Tiles touched by followed events, by decision: render, below_threshold, decided (a check or snapshot made while following saw the events already)."}, []string{"decision"}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{Name: "tile_delta_follow_errors_total",
			Help: "Pages of events that failed (read, check or render) and will be looked at again."}),
	}
	reg.MustRegister(f.following, f.events, f.tiles, f.errors)
	return f
}

// ClaimSQL claims up to $3 rooms whose head is past their followed_seq and that no other replica holds
// ($1 the owner, $2 the lease, $4 the rooms this replica follows already): rooms never followed first,
// then by lease end, so a room whose slice ended (YieldSQL) waits for the others. The conditional upsert
// re-checks the lease on the row it locks, so two replicas never both win a room.
const ClaimSQL = `insert into tile_follow as f (room_id, followed_seq, owner, lease_until)
	select h.room_id, 0, $1, now() + $2::interval from room_heads h
	left join tile_follow c on c.room_id = h.room_id
	where h.head_seq > coalesce(c.followed_seq, 0)
	  and (c.room_id is null or c.owner = $1 or c.lease_until < now())
	  and h.room_id <> all($4::uuid[])
	order by c.lease_until nulls first
	limit $3
	on conflict (room_id) do update set owner = excluded.owner, lease_until = excluded.lease_until
	  where f.owner = excluded.owner or f.lease_until < now()
	returning f.room_id, f.followed_seq`

// RenewSQL extends the lease and records progress, only while this replica holds the room.
const RenewSQL = `update tile_follow set followed_seq = greatest(followed_seq, $3), lease_until = now() + $4::interval
	where room_id = $1 and owner = $2`

// YieldSQL ends the lease of a room whose slice is over, so any replica may claim it after the rooms
// that waited longer.
const YieldSQL = `update tile_follow set lease_until = now() where room_id = $1 and owner = $2`

// ErrLostLease: another replica took the room over (this one was too slow to renew its lease).
var ErrLostLease = errors.New("the room's follow lease was taken over")

// Run looks for rooms with new events every Interval and follows each one until it is caught up.
func (f *Follower) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	t := time.NewTicker(f.opt.Interval)
	defer t.Stop()
	for {
		rooms, err := f.claim(ctx)
		if err != nil && ctx.Err() == nil && f.log != nil {
			f.log.Warn("claiming rooms to follow failed", "err", err)
		}
		for room, followed := range rooms {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer f.release(room)
				if err := f.follow(ctx, room, followed); err != nil && ctx.Err() == nil {
					f.errors.Inc()
					if f.log != nil {
						f.log.Warn("following room failed; its events are looked at again", "room", room, "err", err)
					}
				}
			}()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Following reports whether this replica works through the room now.
func (f *Follower) Following(room uuid.UUID) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.active[room]
}

// Pending is told by reads about tiles they answered pending. A tile as it is now is rendered before the
// rest of the room's backlog when this replica follows the room (the replica that follows it renders it
// anyway); a tile of the past (at > 0) is rendered by this replica whatever it follows, because no
// follower renders the past.
func (f *Follower) Pending(room uuid.UUID, t strokes.Tile, at uint64) {
	if at != 0 || f.Following(room) {
		f.snaps.Hurry(room, t, at)
	}
}

func (f *Follower) claim(ctx context.Context) (map[uuid.UUID]uint64, error) {
	f.mu.Lock()
	free := f.opt.Rooms - len(f.active)
	busy := make([]uuid.UUID, 0, len(f.active))
	for r := range f.active {
		busy = append(busy, r)
	}
	f.mu.Unlock()
	if free <= 0 {
		return nil, nil
	}
	rows, err := f.pool.Query(ctx, ClaimSQL, f.opt.Owner, f.opt.Lease, free, busy)
	if err != nil {
		return nil, err
	}
	out := map[uuid.UUID]uint64{}
	var room uuid.UUID
	var followed int64
	if _, err := pgx.ForEachRow(rows, []any{&room, &followed}, func() error {
		out[room] = uint64(followed)
		return nil
	}); err != nil {
		return nil, err
	}
	f.mu.Lock()
	for r := range out {
		f.active[r] = true
	}
	f.following.Set(float64(len(f.active)))
	f.mu.Unlock()
	return out, nil
}

func (f *Follower) release(room uuid.UUID) {
	f.mu.Lock()
	delete(f.active, room)
	f.following.Set(float64(len(f.active)))
	f.mu.Unlock()
}

// maxDecided bounds the memory of tiles decided while following one room (about 100 MB).
const maxDecided = 1 << 21

// follow works through one room's events after followed until it reaches the head.
func (f *Follower) follow(ctx context.Context, room uuid.UUID, followed uint64) error {
	// decided: tiles checked (and rendered when they needed it) while following, with the head their
	// check saw: the check counts every stroke up to then, so an event up to it changes nothing. During a
	// long catch-up most pages touch tiles decided for an earlier page; checking them again cost index
	// seeks that grow with the tile's delta, for every page.
	decided := map[strokes.Tile]uint64{}
	sliceEnd := time.Now().Add(f.opt.Slice)
	for {
		p, err := readPage(ctx, f.pool, room, followed, f.opt.Page)
		if err != nil {
			return err
		}
		f.events.Add(float64(p.events))
		if p.last == 0 { // nothing after followed: caught up (or the events were purged)
			return f.renew(ctx, room, p.head)
		}
		if len(decided) > maxDecided {
			clear(decided)
		}
		var check []strokes.Tile
		for t, seq := range p.touched {
			if decided[t] >= seq {
				f.tiles.WithLabelValues("decided").Inc()
				continue
			}
			check = append(check, t)
		}
		need, err := f.needs(ctx, room, check)
		if err != nil {
			return err
		}
		f.tiles.WithLabelValues("below_threshold").Add(float64(len(check) - len(need)))
		f.tiles.WithLabelValues("render").Add(float64(len(need)))
		if err := f.render(ctx, room, need); err != nil {
			return err
		}
		for _, t := range check {
			decided[t] = p.head // every check and render started after the page was read
		}
		if err := f.renew(ctx, room, p.last); err != nil {
			return err
		}
		followed = p.last
		if time.Now().After(sliceEnd) {
			if _, err := f.pool.Exec(ctx, YieldSQL, room, f.opt.Owner); err != nil {
				return fmt.Errorf("yield follow lease: %w", err)
			}
			return nil
		}
	}
}

// render renders the tiles and waits for them, renewing the room's lease meanwhile.
func (f *Follower) render(ctx context.Context, room uuid.UUID, ts []strokes.Tile) error {
	waits := make([]<-chan error, len(ts))
	for i, t := range ts {
		waits[i] = f.snaps.Render(room, t)
	}
	renew := time.NewTicker(f.opt.Lease / 3)
	defer renew.Stop()
	var failed error
	for i := 0; i < len(waits); {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-renew.C:
			if err := f.renew(ctx, room, 0); err != nil {
				return err
			}
		case err := <-waits[i]:
			if err != nil && failed == nil {
				failed = fmt.Errorf("render tile %d/%d/%d: %w", ts[i].Level, ts[i].X, ts[i].Y, err)
			}
			i++
		}
	}
	return failed
}

func (f *Follower) renew(ctx context.Context, room uuid.UUID, followed uint64) error {
	tag, err := f.pool.Exec(ctx, RenewSQL, room, f.opt.Owner, int64(followed), f.opt.Lease)
	if err != nil {
		return fmt.Errorf("renew follow lease: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrLostLease
	}
	return nil
}

// NeedsSQL checks tiles of one level against the thresholds without reading strokes: per tile, its
// newest snapshot (a backward seek on tile_snapshots), the first $6 strokes added after it and their
// stored size (a forward seek on tile_events, then stroke_events by primary key), and whether an erase
// or restore ($5 is the StrokeAdded kind) touched it after the snapshot. Tests check its plan.
const NeedsSQL = `select want.tx, want.ty, d.n, d.bytes,
	s.covers_seq is not null and exists (select 1 from tile_events e
		where e.room_id = $1 and e.level = $2 and e.tx = want.tx and e.ty = want.ty and e.seq > s.covers_seq and e.kind <> $5) as stale
	from unnest($3::int[], $4::int[]) as want(tx, ty)
	left join lateral (select covers_seq from tile_snapshots ts
		where ts.room_id = $1 and ts.level = $2 and ts.tx = want.tx and ts.ty = want.ty
		order by ts.covers_seq desc limit 1) s on true
	cross join lateral (select count(*) as n, coalesce(sum(octet_length(e.payload)), 0) as bytes
		from (select t.seq from tile_events t
			where t.room_id = $1 and t.level = $2 and t.tx = want.tx and t.ty = want.ty and t.seq > coalesce(s.covers_seq, 0) and t.kind = $5
			order by t.seq limit $6::bigint) a
		join stroke_events e on e.room_id = $1 and e.seq = a.seq) d`

// needsBatch is how many tiles one NeedsSQL query checks.
const needsBatch = 256

// needs returns the tiles that deserve a snapshot: a stale one, or a delta of at least MinStrokes
// strokes or MinBytes bytes.
func (f *Follower) needs(ctx context.Context, room uuid.UUID, ts []strokes.Tile) ([]strokes.Tile, error) {
	byLevel := map[int][]strokes.Tile{}
	for _, t := range ts {
		byLevel[t.Level] = append(byLevel[t.Level], t)
	}
	var out []strokes.Tile
	for level, lts := range byLevel {
		for len(lts) > 0 {
			batch := lts[:min(needsBatch, len(lts))]
			lts = lts[len(batch):]
			xs, ys := make([]int32, len(batch)), make([]int32, len(batch))
			for i, t := range batch {
				xs[i], ys[i] = t.X, t.Y
			}
			rows, err := f.pool.Query(ctx, NeedsSQL, room, level, xs, ys, eventkind.StrokeAdded, f.opt.MinStrokes)
			if err != nil {
				return nil, fmt.Errorf("check tiles: %w", err)
			}
			var x, y int32
			var n, bytes int64
			var stale bool
			if _, err := pgx.ForEachRow(rows, []any{&x, &y, &n, &bytes, &stale}, func() error {
				if stale || n >= int64(f.opt.MinStrokes) || bytes >= int64(f.opt.MinBytes) {
					out = append(out, strokes.Tile{Level: level, X: x, Y: y})
				}
				return nil
			}); err != nil {
				return nil, fmt.Errorf("check tiles: %w", err)
			}
		}
	}
	return out, nil
}
