// Package tiles reads a room as tiles of the pyramid (docs/tiles.md): for each tile, its newest usable
// snapshot and the strokes drawn on it since that are still visible, from the tile_events index that
// realtime-go writes and the tile_snapshots table that tile-delta-go writes.
package tiles

import (
	"context"
	"fmt"
	"math"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"

	roomv1 "github.com/infidraw/infidraw/gen/go/infidraw/room/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/eventkind"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// PendingSink hears about the tiles a read answered pending, so that a snapshot of them is made
// first. at is the point the snapshot must show: 0 for now, else the tile's last event at or before the
// point read (Content.At). It must not block or write: reads never write.
type PendingSink interface {
	Pending(room uuid.UUID, t strokes.Tile, at uint64)
}

// Reader reads tiles from PostgreSQL.
type Reader struct {
	pool *pgxpool.Pool
	// Sink, when set, is told about every tile a read answers pending.
	Sink PendingSink
}

// NewReader wraps a pool.
func NewReader(pool *pgxpool.Pool) *Reader { return &Reader{pool: pool} }

// Ping checks the database (readiness).
func (r *Reader) Ping(ctx context.Context) error { return r.pool.Ping(ctx) }

// Snapshot is a stored PNG of a tile holding every event with seq <= CoversSeq that touches it.
type Snapshot struct {
	Key       string
	CoversSeq uint64
	SizeBytes uint32
}

// Content is what one tile holds.
type Content struct {
	Tile strokes.Tile
	// Snapshot is the newest usable snapshot the reader should start from, nil for none.
	Snapshot *Snapshot
	// Stale is set when the tile's newest snapshot is unusable because an erase or restore touched the
	// tile after it: the strokes are then all visible strokes (after the client's seq) and the tile
	// needs a full re-render.
	Stale bool
	// Reset is set for an explicit tile list when the client's copy cannot be built on: an erase or
	// restore touched the tile after the client's seq, or (reading the past) the copy shows events after
	// the point read. The client drops what it holds and takes this content instead.
	Reset bool
	// Strokes visible at the point read that were added after After, in sequence order.
	Strokes []*strokev1.Stroke
	// Seqs are the sequence numbers of Strokes.
	Seqs []uint64
	// After is the sequence number the strokes follow: the snapshot's, the client's, or 0.
	After uint64
	// At is the event whose state the content shows: the head for a read of now; for a read of the past,
	// the tile's last event at or before the point (the tile is the same at the point), 0 when nothing
	// had touched the tile by then.
	At uint64
	// Bytes is the stored size of Strokes.
	Bytes int
	// Pending is set by a bounded read when the tile has more than the bound's strokes or bytes after
	// After: Strokes is then empty (the tile needs a snapshot before it can be read cheaply).
	Pending bool
}

// Bound caps each tile's delta in a read; zero fields do not cap. A read fetches at most Strokes+1
// strokes per tile (so a tile's whole history is never read to find out it is too long).
type Bound struct {
	Strokes int
	Bytes   int
}

// Held is what a client holds of an explicit tile list: each tile as it was right after some event,
// the oldest of them Min, the newest Max.
type Held struct {
	Min, Max uint64
}

// Options say what a read sees. The zero value reads every tile as it is now, whole.
type Options struct {
	// Client is what the client holds of an explicit tile list, nil for a viewport read (it holds
	// nothing): the read then answers what changed since Client.Min.
	Client *Held
	// Bound caps each tile's delta: a tile over it comes back Pending, without strokes.
	Bound Bound
	// At reads the room as it was right after event At; 0, or a point at or beyond the head, reads it as
	// it is now (Point).
	At uint64
}

// Point is the event a read at `at` sees the room right after: at itself in the past, else the head.
func Point(at, head uint64) uint64 {
	if at == 0 || at >= head {
		return head
	}
	return at
}

// Querier is a pgx transaction or connection.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// SnapshotsSQL selects, per tile of one level, its newest snapshot covering no event after the point
// read $7 (a backward seek on the tile_snapshots primary key) and the newest erase or restore
// (tile_events kind 2 or 3) touching the tile after a bound and up to $7 (a backward seek on the
// tile_events primary key): the snapshot's covers_seq, or the lower of it and the client's seq when the
// client names what it holds ($5, null for none); reading the past ($8) the bound is 0 when there is
// neither, because the strokes' visibility then comes from those erases and restores. Reading the past it
// also selects the tile's last event up to $7. $6 is the StrokeAdded kind. Tests check its plan.
const SnapshotsSQL = `select want.tx, want.ty, s.covers_seq, s.object_key, s.size_bytes,
	(select e.seq from tile_events e
		where e.room_id = $1 and e.level = $2 and e.tx = want.tx and e.ty = want.ty and e.kind <> $6 and e.seq <= $7
			and e.seq > coalesce(case when $5::bigint is null then s.covers_seq else least(coalesce(s.covers_seq, $5::bigint), $5::bigint) end,
				case when $8::bool then 0 end)
		order by e.seq desc limit 1) as last_erase,
	case when $8::bool then (select e.seq from tile_events e
		where e.room_id = $1 and e.level = $2 and e.tx = want.tx and e.ty = want.ty and e.seq <= $7
		order by e.seq desc limit 1) end as last_event
	from unnest($3::int[], $4::int[]) as want(tx, ty)
	left join lateral (select covers_seq, object_key, size_bytes from tile_snapshots ts
		where ts.room_id = $1 and ts.level = $2 and ts.tx = want.tx and ts.ty = want.ty and ts.covers_seq <= $7
		order by ts.covers_seq desc limit 1) s on true`

// StrokesSQL selects the strokes added to a set of tiles of one level, each after its own sequence
// number and up to $8, that are visible, at most $6 per tile (null: all): per tile a lateral forward seek
// on the tile_events primary key (room_id, level, tx, ty, seq) that stops after $6 visible strokes ($7 is
// the StrokeAdded kind), then the stroke's payload by primary key. Visible means, for a tile whose
// `changed` is null, not erased now (strokes, by primary key); otherwise visible right after $8: not a
// stroke whose last erase or restore touching the tile in (after, changed] is an erase ($9), where
// changed is the newest erase or restore up to $8 (the tile's own index holds every erase and restore of
// its strokes). Those are read once per tile (a range of the primary key), not per stroke. Tests check its
// plan.
const StrokesSQL = `select want.tx, want.ty, d.seq, d.payload
	from unnest($3::int[], $4::int[], $5::bigint[], $10::bigint[]) as want(tx, ty, after, changed)
	cross join lateral (select t.seq, e.payload from tile_events t
		join stroke_events e on e.room_id = t.room_id and e.seq = t.seq
		where t.room_id = $1 and t.level = $2 and t.tx = want.tx and t.ty = want.ty and t.seq > want.after and t.seq <= $8 and t.kind = $7
			and case when want.changed is null
				then exists (select 1 from strokes s where s.room_id = t.room_id and s.stroke_id = t.stroke_id and not s.erased)
				else t.stroke_id <> all(array(select h.stroke_id from (select distinct on (v.stroke_id) v.stroke_id, v.kind from tile_events v
					where v.room_id = $1 and v.level = $2 and v.tx = want.tx and v.ty = want.ty and v.seq > want.after and v.seq <= want.changed and v.kind <> $7
					order by v.stroke_id, v.seq desc) h where h.kind = $9))
			end
		order by t.seq
		limit $6::bigint) d
	order by want.tx, want.ty, d.seq`

// Read returns the content of each tile (same level) and the room's head, consistently (one
// repeatable-read transaction), and tells the sink about the tiles it answers pending.
func (r *Reader) Read(ctx context.Context, room uuid.UUID, ts []strokes.Tile, o Options) ([]Content, uint64, error) {
	if len(ts) == 0 {
		return nil, 0, nil
	}
	tx, err := r.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, 0, err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	out, head, err := ReadTx(ctx, tx, room, ts, o)
	if err != nil {
		return nil, 0, err
	}
	if r.Sink != nil {
		past := Point(o.At, head) < head
		for _, c := range out {
			if c.Pending {
				at := uint64(0)
				if past {
					at = c.At // scrubbing across events that do not touch the tile asks for one snapshot
				}
				r.Sink.Pending(room, c.Tile, at)
			}
		}
	}
	return out, head, nil
}

// Head reads a room's head sequence number.
func Head(ctx context.Context, q Querier, room uuid.UUID) (uint64, error) {
	var head int64
	if err := q.QueryRow(ctx, `select coalesce((select head_seq from room_heads where room_id = $1), 0)`, room).Scan(&head); err != nil {
		return 0, fmt.Errorf("read head: %w", err)
	}
	return uint64(head), nil
}

// ReadTx is Read inside the caller's transaction (which should be repeatable read), without the sink.
//
// A read of now starts each tile from its newest snapshot unless an erase or restore touched the tile
// after it, and shows the strokes not erased now. A read of the past (Options.At before the head) does
// the same as of the point: the newest snapshot covering no later event, unusable when an erase or
// restore touched the tile after it and up to the point, and the strokes visible right after the point,
// as the tile's own erases and restores up to the point say (erased or restored later makes no
// difference).
func ReadTx(ctx context.Context, q Querier, room uuid.UUID, ts []strokes.Tile, o Options) ([]Content, uint64, error) {
	level := ts[0].Level
	xs, ys := make([]int32, len(ts)), make([]int32, len(ts))
	index := make(map[strokes.Tile]int, len(ts))
	out := make([]Content, len(ts))
	for i, t := range ts {
		if t.Level != level {
			return nil, 0, fmt.Errorf("tiles of levels %d and %d in one read", level, t.Level)
		}
		xs[i], ys[i] = t.X, t.Y
		index[t] = i
		out[i].Tile = t
	}
	head, err := Head(ctx, q, room)
	if err != nil {
		return nil, 0, err
	}
	point := Point(o.At, head)
	past := point < head
	client, resetAll := o.Client, false
	if past && client != nil && client.Max > point {
		// A copy of a later state may show strokes drawn after the point: every tile starts over.
		client, resetAll = nil, true
	}
	var clientArg *int64
	var clientAfter uint64
	if client != nil {
		clientAfter = min(client.Min, math.MaxInt64)
		v := int64(clientAfter)
		clientArg = &v
	}
	rows, err := q.Query(ctx, SnapshotsSQL, room, level, xs, ys, clientArg, eventkind.StrokeAdded, int64(point), past)
	if err != nil {
		return nil, 0, fmt.Errorf("read tile snapshots: %w", err)
	}
	afters := make([]int64, len(ts))
	var changed []*int64 // nil (visibility now) unless reading the past
	if past {
		changed = make([]*int64, len(ts))
	}
	for rows.Next() {
		var x, y int32
		var covers, size, lastErase, lastEvent *int64
		var key *string
		if err := rows.Scan(&x, &y, &covers, &key, &size, &lastErase, &lastEvent); err != nil {
			rows.Close()
			return nil, 0, err
		}
		i := index[strokes.Tile{Level: level, X: x, Y: y}]
		c := &out[i]
		c.At, c.Reset = head, resetAll
		if past {
			c.At = 0
			if lastEvent != nil {
				c.At = uint64(*lastEvent)
			}
			var none int64
			changed[i] = &none
			if lastErase != nil {
				changed[i] = lastErase
			}
		}
		after := clientAfter
		if client != nil && lastErase != nil && uint64(*lastErase) > clientAfter {
			after = 0 // the client's copy shows an erased (or lacks a restored) stroke: start over
			c.Reset = true
		}
		if covers != nil {
			if lastErase != nil && *lastErase > *covers {
				c.Stale = true
			} else if uint64(*covers) > after {
				c.Snapshot = &Snapshot{Key: *key, CoversSeq: uint64(*covers), SizeBytes: uint32(*size)}
				after = uint64(*covers)
			}
		}
		c.After = after
		afters[i] = int64(after)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("read tile snapshots: %w", err)
	}

	var limit *int64
	if o.Bound.Strokes > 0 {
		l := int64(o.Bound.Strokes) + 1
		limit = &l
	}
	if err := readStrokes(ctx, q, room, level, xs, ys, afters, changed, point, limit, out, index); err != nil {
		return nil, 0, err
	}
	for i := range out {
		c := &out[i]
		if (o.Bound.Strokes > 0 && len(c.Strokes) > o.Bound.Strokes) || (o.Bound.Bytes > 0 && c.Bytes > o.Bound.Bytes) {
			c.Pending, c.Strokes, c.Seqs = true, nil, nil
		}
	}
	return out, head, nil
}

// LastChangeSQL selects the newest erase or restore touching one tile in ($5, $6] (a backward seek on
// the tile_events primary key; $7 is the StrokeAdded kind).
const LastChangeSQL = `select coalesce((select seq from tile_events
	where room_id = $1 and level = $2 and tx = $3 and ty = $4 and seq > $5 and seq <= $6 and kind <> $7
	order by seq desc limit 1), 0)`

// LastChange returns the newest erase or restore touching the tile after `after` and up to upTo, 0 for
// none: what StrokesBetween needs to decide visibility at upTo.
func LastChange(ctx context.Context, q Querier, room uuid.UUID, t strokes.Tile, after, upTo uint64) (uint64, error) {
	var seq int64
	if err := q.QueryRow(ctx, LastChangeSQL, room, t.Level, t.X, t.Y, int64(min(after, math.MaxInt64)), int64(min(upTo, math.MaxInt64)),
		eventkind.StrokeAdded).Scan(&seq); err != nil {
		return 0, fmt.Errorf("read the tile's last erase or restore: %w", err)
	}
	return uint64(seq), nil
}

// StrokesBetween reads one tile's strokes added after `after` and up to `upTo` that are visible right
// after upTo, at most limit of them (0: all), ignoring snapshots; changed is LastChange(after, upTo).
// Content.After is after.
func StrokesBetween(ctx context.Context, q Querier, room uuid.UUID, t strokes.Tile, after, upTo, changed uint64, limit int) (Content, error) {
	out := []Content{{Tile: t, After: after}}
	var l *int64
	if limit > 0 {
		v := int64(limit)
		l = &v
	}
	ch := int64(min(changed, math.MaxInt64))
	err := readStrokes(ctx, q, room, t.Level, []int32{t.X}, []int32{t.Y}, []int64{int64(min(after, math.MaxInt64))}, []*int64{&ch}, upTo, l, out,
		map[strokes.Tile]int{t: 0})
	return out[0], err
}

// readStrokes runs StrokesSQL; changed is nil for the visibility of now.
func readStrokes(ctx context.Context, q Querier, room uuid.UUID, level int, xs, ys []int32, afters []int64, changed []*int64, upTo uint64, limit *int64,
	out []Content, index map[strokes.Tile]int) error {
	rows, err := q.Query(ctx, StrokesSQL, room, level, xs, ys, afters, limit, eventkind.StrokeAdded, int64(min(upTo, math.MaxInt64)),
		eventkind.StrokesErased, changed)
	if err != nil {
		return fmt.Errorf("read tile strokes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var x, y int32
		var seq int64
		var payload []byte
		if err := rows.Scan(&x, &y, &seq, &payload); err != nil {
			return err
		}
		var added roomv1.StrokeAdded
		if err := proto.Unmarshal(payload, &added); err != nil {
			return fmt.Errorf("stored stroke at seq %d: %w", seq, err)
		}
		c := &out[index[strokes.Tile{Level: level, X: x, Y: y}]]
		c.Strokes = append(c.Strokes, added.GetStroke())
		c.Seqs = append(c.Seqs, uint64(seq))
		c.Bytes += len(payload)
	}
	return rows.Err()
}
