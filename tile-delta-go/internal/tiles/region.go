package tiles

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	roomv1 "github.com/infidraw/infidraw/gen/go/infidraw/room/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/eventkind"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// MaxRegionSide: a region's changes are read from the finest level where the region meets at most this
// many tiles a side.
const MaxRegionSide = 4

// RegionBound caps a read of a region's changes.
type RegionBound struct {
	// Entries bounds the tile index entries after the point that it reads.
	Entries int
	// Strokes bounds the strokes of those tiles whose visibility changed since the point.
	Strokes int
}

// DefaultRegionBound is RegionChanges' bound: the strokes are the most ids one Revert takes.
var DefaultRegionBound = RegionBound{Entries: 500_000, Strokes: 100_000}

var (
	// ErrBadRegion is wrapped by every error about the request itself.
	ErrBadRegion = errors.New("invalid region")
	// ErrRegionTooLarge is returned when the region's history since the point is over a bound.
	ErrRegionTooLarge = errors.New("too much changed in the region since the point: restore a smaller region or a later point")
)

// RegionChanges is what restoring a region to a point changes: the lists of the revert that does it.
type RegionChanges struct {
	// Erase are the strokes meeting the region that are visible now and were not at the point; Restore
	// those visible at the point and erased now.
	Erase, Restore []uuid.UUID
	// Head is the room's head when read; At the point read, min(at, Head).
	Head, At uint64
	// Level whose tiles were read, how many, and the index entries read (for logs).
	Level, Tiles, Scanned int
	// Skipped lists the changed strokes left out because they exceed the stroke limits (stored before the
	// limits existed), for logs.
	Skipped []SkippedStroke
}

// RegionLevel is the finest level at which the region meets at most MaxRegionSide tiles a side (level 16
// holds the world in 2 x 2).
func RegionLevel(r strokes.Region) int {
	level := 0
	for level < strokes.MaxLevel {
		lo, hi := strokes.TileOf(level, r.MinX, r.MinY), strokes.TileOf(level, r.MaxX-1, r.MaxY-1)
		if hi.X-lo.X < MaxRegionSide && hi.Y-lo.Y < MaxRegionSide {
			break
		}
		level++
	}
	return level
}

// RegionSQL reads the tile index entries of every kind in ($5, $7] of a set of tiles of one level, per
// tile a forward range of the tile_events primary key, at most $6 entries in all (the outer limit ends the
// scan). RegionChanges reads after its point, a timelapse up to its end. Tests check its plan.
const RegionSQL = `select want.tx, want.ty, d.seq, d.stroke_id, d.kind
	from unnest($3::int[], $4::int[]) as want(tx, ty)
	cross join lateral (select t.seq, t.stroke_id, t.kind from tile_events t
		where t.room_id = $1 and t.level = $2 and t.tx = want.tx and t.ty = want.ty and t.seq > $5 and t.seq <= $7
		order by t.seq
		limit $6) d
	limit $6`

// RegionStrokesSQL reads the stored strokes of a list of ids by primary key (strokes, then the event that
// added each); the lateral subquery with its limit keeps the planner from a hash join over the room's
// strokes.
const RegionStrokesSQL = `select k.id, e.seq, e.payload
	from unnest($2::uuid[]) as k(id)
	cross join lateral (select e.seq, e.payload from strokes s join stroke_events e on e.room_id = s.room_id and e.seq = s.added_seq
		where s.room_id = $1 and s.stroke_id = k.id limit 1) e`

// RegionChanges answers what restoring the region to the room as it was right after event at changes,
// reading only the tile index after the point of the tiles of RegionLevel the region meets, in one
// repeatable-read transaction consistent with the head it returns.
func (r *Reader) RegionChanges(ctx context.Context, room uuid.UUID, reg strokes.Region, at uint64) (RegionChanges, error) {
	if err := reg.Validate(); err != nil {
		return RegionChanges{}, fmt.Errorf("%w: %v", ErrBadRegion, err)
	}
	tx, err := r.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return RegionChanges{}, err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	return ReadRegionChanges(ctx, tx, room, reg, at, DefaultRegionBound)
}

// ErrTooManyEntries is ScanRegionIndex finding more entries than its caller's bound.
var ErrTooManyEntries = errors.New("more tile index entries than the bound")

// RegionEntry is one tile index entry of a region's tiles: an event of a stroke, and whether the entry's tile
// lies whole inside the region (then the stroke meets the region without a test).
type RegionEntry struct {
	Seq  int64
	ID   [16]byte
	Kind eventkind.Kind
	Held bool
}

// ScanRegionIndex reads the tile index entries of the tiles ts (the region's at level) in (after, upTo] with
// RegionSQL, handing each to visit, and returns how many it read: ErrTooManyEntries when there are more than
// limit.
func ScanRegionIndex(ctx context.Context, q Querier, room uuid.UUID, reg strokes.Region, level int, ts []strokes.Tile,
	after, upTo uint64, limit int, visit func(RegionEntry)) (int, error) {
	xs, ys := make([]int32, len(ts)), make([]int32, len(ts))
	for i, t := range ts {
		xs[i], ys[i] = t.X, t.Y
	}
	rows, err := q.Query(ctx, RegionSQL, room, level, xs, ys, int64(after), int64(limit)+1, int64(upTo))
	if err != nil {
		return 0, fmt.Errorf("read tile index: %w", err)
	}
	defer rows.Close()
	scanned := 0
	for rows.Next() {
		var x, y int32
		var e RegionEntry
		if err := rows.Scan(&x, &y, &e.Seq, &e.ID, &e.Kind); err != nil {
			return scanned, fmt.Errorf("read tile index: %w", err)
		}
		if scanned++; scanned > limit {
			return scanned, ErrTooManyEntries
		}
		e.Held = reg.Holds(strokes.Tile{Level: level, X: x, Y: y})
		visit(e)
	}
	if err := rows.Err(); err != nil {
		return scanned, fmt.Errorf("read tile index: %w", err)
	}
	return scanned, nil
}

// change is what the entries after the point say of one stroke: its first and last entry, and whether
// one of its entries lies in a tile the region holds whole.
type change struct {
	id                  [16]byte
	firstSeq, lastSeq   int64
	firstKind, lastKind eventkind.Kind
	held                bool
}

// ReadRegionChanges is RegionChanges inside the caller's transaction (which should be repeatable read).
//
// A stroke's visibility changes only through its events (an erase hides visible strokes only, a restore
// shows erased ones), and the index lists each of them under every tile of the stroke, so the entries after
// the point of any one of its tiles say it all: visible at the point unless the first of them adds it or
// restores it, visible now unless the last erases it. Strokes whose two states differ are tested against
// the region (Meets), except those listed under a tile the region holds whole, which meet it.
func ReadRegionChanges(ctx context.Context, q Querier, room uuid.UUID, reg strokes.Region, at uint64, b RegionBound) (RegionChanges, error) {
	level := RegionLevel(reg)
	ts, err := Viewport(level, reg.MinX, reg.MinY, reg.MaxX, reg.MaxY)
	if err != nil {
		return RegionChanges{}, fmt.Errorf("%w: %v", ErrBadRegion, err)
	}
	head, err := Head(ctx, q, room)
	if err != nil {
		return RegionChanges{}, err
	}
	out := RegionChanges{Head: head, At: min(at, head), Level: level, Tiles: len(ts)}
	if out.At == head {
		return out, nil
	}
	changes := map[[16]byte]*change{}
	out.Scanned, err = ScanRegionIndex(ctx, q, room, reg, level, ts, out.At, head, b.Entries, func(e RegionEntry) {
		c, ok := changes[e.ID]
		if !ok {
			c = &change{firstSeq: e.Seq, firstKind: e.Kind, lastSeq: e.Seq, lastKind: e.Kind}
			changes[e.ID] = c
		}
		if e.Seq < c.firstSeq {
			c.firstSeq, c.firstKind = e.Seq, e.Kind
		}
		if e.Seq > c.lastSeq {
			c.lastSeq, c.lastKind = e.Seq, e.Kind
		}
		c.held = c.held || e.Held
	})
	if errors.Is(err, ErrTooManyEntries) {
		return RegionChanges{}, fmt.Errorf("%w (more than %d tile index entries at level %d)", ErrRegionTooLarge, b.Entries, level)
	}
	if err != nil {
		return RegionChanges{}, err
	}

	var changed []*change // visible at the point or now, not both
	var test [][16]byte   // those of them to test against the region
	for id, c := range changes {
		c.id = id
		if c.visibleThen() != c.visibleNow() {
			changed = append(changed, c)
			if !c.held {
				test = append(test, id)
			}
		}
	}
	if len(changed) > b.Strokes {
		return RegionChanges{}, fmt.Errorf("%w (%d strokes changed in the tiles read; at most %d)", ErrRegionTooLarge, len(changed), b.Strokes)
	}
	met, err := meeting(ctx, q, room, reg, test, &out)
	if err != nil {
		return RegionChanges{}, err
	}
	// In the order of their first change since the point, so that the revert's events list them stably.
	slices.SortFunc(changed, func(a, b *change) int { return cmp.Compare(a.firstSeq, b.firstSeq) })
	for _, c := range changed {
		switch {
		case !c.held && !met[c.id]:
		case c.visibleNow():
			out.Erase = append(out.Erase, uuid.UUID(c.id))
		default:
			out.Restore = append(out.Restore, uuid.UUID(c.id))
		}
	}
	return out, nil
}

// VisibleAfter is whether a stroke is visible right after one of its events of kind k: an add or a restore
// shows it, an erase hides it. An erase names visible strokes only and a restore erased ones, so each of a
// stroke's events changes its visibility.
func VisibleAfter(k eventkind.Kind) bool { return k != eventkind.StrokesErased }

// visibleThen: the first entry after the point changed the visibility the stroke had at the point.
func (c *change) visibleThen() bool { return !VisibleAfter(c.firstKind) }

// visibleNow: what its last entry left.
func (c *change) visibleNow() bool { return VisibleAfter(c.lastKind) }

// meeting reads the strokes of ids and returns those that meet the region; those over the stroke limits
// do not, and are listed in out.Skipped.
func meeting(ctx context.Context, q Querier, room uuid.UUID, reg strokes.Region, ids [][16]byte, out *RegionChanges) (map[[16]byte]bool, error) {
	met := make(map[[16]byte]bool, len(ids))
	err := StoredStrokes(ctx, q, room, ids, func(id [16]byte, seq uint64, s *strokev1.Stroke) {
		pts, err := strokes.Decode(s)
		if err == nil {
			met[id], err = strokes.Meets(s.GetWidth(), pts, reg)
		}
		if err != nil {
			out.Skipped = append(out.Skipped, SkippedStroke{Seq: seq, Err: err})
		}
	})
	return met, err
}

// StoredStrokes reads the stored strokes of ids by primary key (RegionStrokesSQL) and calls each with the
// seq of the event that added it and its body; ids not stored are left out.
func StoredStrokes(ctx context.Context, q Querier, room uuid.UUID, ids [][16]byte, each func(id [16]byte, seq uint64, s *strokev1.Stroke)) error {
	if len(ids) == 0 {
		return nil
	}
	rows, err := q.Query(ctx, RegionStrokesSQL, room, ids)
	if err != nil {
		return fmt.Errorf("read strokes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id [16]byte
		var seq int64
		var payload []byte
		if err := rows.Scan(&id, &seq, &payload); err != nil {
			return err
		}
		var added roomv1.StrokeAdded
		if err := proto.Unmarshal(payload, &added); err != nil {
			return fmt.Errorf("stored stroke at seq %d: %w", seq, err)
		}
		each(id, uint64(seq), added.GetStroke())
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read strokes: %w", err)
	}
	return nil
}
