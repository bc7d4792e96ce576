package tiles

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	roomv1 "github.com/infidraw/infidraw/gen/go/infidraw/room/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/eventkind"
	"github.com/infidraw/infidraw/shared-go/strokes"
	"github.com/infidraw/infidraw/tile-delta-go/internal/hittest"
)

// Bounds of a hit test (HitStrokes).
const (
	// MaxHitStrokes is the most strokes one hit test returns.
	MaxHitStrokes = 64
	// DefaultHitScan is the default of HitBound.ScanPerTile (TILE_DELTA_HIT_SCAN_PER_TILE).
	DefaultHitScan = 2048
)

// ErrBadHit is wrapped by every error about the request itself (not the database).
var ErrBadHit = errors.New("invalid hit test")

// HitBound caps a hit test: at most ScanPerTile tile_events entries per tile (newest first) and at
// most Strokes strokes returned.
type HitBound struct {
	ScanPerTile int
	Strokes     int
}

// Hit is the answer of a hit test.
type Hit struct {
	// Strokes are the visible strokes under the disk, topmost (highest sequence number) first.
	Strokes []*strokev1.Stroke
	// Seqs are their sequence numbers.
	Seqs []uint64
	Head uint64
	// Partial: more strokes were hit than returned, or a tile had more index entries than the scan
	// bound and its older strokes were not tested.
	Partial bool
	// Level whose tiles were scanned.
	Level int
	// Tiles scanned and index entries read (for logs).
	Tiles, Scanned int
	// Skipped lists the stored strokes left untested because they exceed the stroke limits (stored
	// before the limits existed), for logs.
	Skipped []SkippedStroke
}

// SkippedStroke is a stored stroke a read left out.
type SkippedStroke struct {
	Seq uint64
	Err error
}

// HitSQL reads, per tile of one level, its newest $5 tile_events entries of every kind (a backward seek on
// the tile_events primary key with a limit, so a tile's scan is bounded whatever it holds), and for each
// StrokeAdded entry the stroke's state (strokes primary key) and, when it is still visible, its payload
// (stroke_events primary key); $6 is the StrokeAdded kind. Tests check its plan.
const HitSQL = `select want.tx, want.ty, d.seq, d.kind, s.erased, e.payload
	from unnest($3::int[], $4::int[]) as want(tx, ty)
	cross join lateral (select t.seq, t.stroke_id, t.kind from tile_events t
		where t.room_id = $1 and t.level = $2 and t.tx = want.tx and t.ty = want.ty
		order by t.seq desc
		limit $5::bigint) d
	left join strokes s on d.kind = $6 and s.room_id = $1 and s.stroke_id = d.stroke_id
	left join stroke_events e on d.kind = $6 and not s.erased and e.room_id = $1 and e.seq = d.seq
	order by want.tx, want.ty, d.seq desc`

// HitLevel is the finest level whose tiles are at least as wide as the disk (so that it touches at most
// 2 x 2 of them): 0 for a radius up to 128 world units.
func HitLevel(radius int64) int {
	level := 0
	for level < strokes.MaxLevel && strokes.SpanQ(level) < 2*radius {
		level++
	}
	return level
}

// HitTiles returns the tiles of the level that the disk's bounding box meets (at most 4 at HitLevel).
func HitTiles(level int, d hittest.Disk) []strokes.Tile {
	lo := strokes.TileOf(level, d.X-d.R, d.Y-d.R)
	hi := strokes.TileOf(level, d.X+d.R, d.Y+d.R)
	var out []strokes.Tile
	for y := lo.Y; y <= hi.Y; y++ {
		for x := lo.X; x <= hi.X; x++ {
			out = append(out, strokes.Tile{Level: level, X: x, Y: y})
		}
	}
	return out
}

// ValidateDisk checks a hit test's disk (encoded units).
func ValidateDisk(d hittest.Disk) error {
	if d.X < -strokes.MaxCoord || d.X > strokes.MaxCoord || d.Y < -strokes.MaxCoord || d.Y > strokes.MaxCoord {
		return fmt.Errorf("%w: the centre (%d, %d) is outside ±%d", ErrBadHit, d.X, d.Y, strokes.MaxCoord)
	}
	if d.R < 1 || d.R > strokes.MaxHitRadius {
		return fmt.Errorf("%w: radius %d is outside 1..%d (world units x100)", ErrBadHit, d.R, strokes.MaxHitRadius)
	}
	return nil
}

// Hit returns the visible strokes whose ink the disk touches, topmost first, reading only the tiles of
// HitLevel the disk meets, each bounded by b.ScanPerTile index entries (one repeatable-read
// transaction, consistent with the head it returns). An erased stroke is never returned; a restored one
// is; a pixel-eraser stroke is not a hit target; a stored stroke outside the stroke limits is not
// tested and is listed in Skipped.
func (r *Reader) Hit(ctx context.Context, room uuid.UUID, d hittest.Disk, b HitBound) (Hit, error) {
	if err := ValidateDisk(d); err != nil {
		return Hit{}, err
	}
	if b.ScanPerTile < 1 {
		b.ScanPerTile = DefaultHitScan
	}
	if b.Strokes < 1 {
		b.Strokes = MaxHitStrokes
	}
	tx, err := r.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return Hit{}, err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	return ReadHit(ctx, tx, room, d, b)
}

// ReadHit is Hit inside the caller's transaction (which should be repeatable read).
func ReadHit(ctx context.Context, q Querier, room uuid.UUID, d hittest.Disk, b HitBound) (Hit, error) {
	level := HitLevel(d.R)
	ts := HitTiles(level, d)
	out := Hit{Level: level, Tiles: len(ts)}
	head, err := Head(ctx, q, room)
	if err != nil {
		return Hit{}, err
	}
	out.Head = head
	xs, ys := make([]int32, len(ts)), make([]int32, len(ts))
	for i, t := range ts {
		xs[i], ys[i] = t.X, t.Y
	}
	rows, err := q.Query(ctx, HitSQL, room, level, xs, ys, int64(b.ScanPerTile)+1, eventkind.StrokeAdded)
	if err != nil {
		return Hit{}, fmt.Errorf("read tile index: %w", err)
	}
	defer rows.Close()
	type hit struct {
		seq    uint64
		stroke *strokev1.Stroke
	}
	var hits []hit
	tested := make(map[int64]bool) // by seq: a stroke spanning several tiles is tested once
	var curX, curY int32
	perTile := 0
	for rows.Next() {
		var x, y int32
		var seq int64
		var kind eventkind.Kind
		var erased *bool
		var payload []byte
		if err := rows.Scan(&x, &y, &seq, &kind, &erased, &payload); err != nil {
			return Hit{}, err
		}
		if perTile == 0 || x != curX || y != curY {
			curX, curY, perTile = x, y, 0
		}
		perTile++
		if perTile > b.ScanPerTile {
			out.Partial = true // the tile holds more: its older strokes were not tested
			continue
		}
		out.Scanned++
		if kind != eventkind.StrokeAdded || erased == nil || *erased || payload == nil || tested[seq] {
			continue
		}
		tested[seq] = true
		var added roomv1.StrokeAdded
		if err := proto.Unmarshal(payload, &added); err != nil {
			return Hit{}, fmt.Errorf("stored stroke at seq %d: %w", seq, err)
		}
		ok, err := hittest.Hit(added.GetStroke(), d)
		if err != nil {
			out.Skipped = append(out.Skipped, SkippedStroke{Seq: uint64(seq), Err: err})
			continue
		}
		if ok {
			hits = append(hits, hit{uint64(seq), added.GetStroke()})
		}
	}
	if err := rows.Err(); err != nil {
		return Hit{}, fmt.Errorf("read tile index: %w", err)
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].seq > hits[j].seq })
	if len(hits) > b.Strokes {
		hits, out.Partial = hits[:b.Strokes], true
	}
	for _, h := range hits {
		out.Strokes = append(out.Strokes, h.stroke)
		out.Seqs = append(out.Seqs, h.seq)
	}
	return out, nil
}
