// Package tiles reads a room as tiles of the pyramid (docs/tiles.md): for each tile, the strokes drawn
// on it that are still visible, from the tile_events index that realtime-go writes.
package tiles

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"

	roomv1 "github.com/infidraw/infidraw/gen/go/infidraw/room/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// Reader reads tiles from PostgreSQL.
type Reader struct {
	pool *pgxpool.Pool
}

// NewReader wraps a pool.
func NewReader(pool *pgxpool.Pool) *Reader { return &Reader{pool: pool} }

// Ping checks the database (readiness).
func (r *Reader) Ping(ctx context.Context) error { return r.pool.Ping(ctx) }

// Content is what one tile holds after a sequence number.
type Content struct {
	Tile strokes.Tile
	// Strokes visible now that were added after the requested sequence number, in sequence order.
	Strokes []*strokev1.Stroke
	// Seqs are the sequence numbers of Strokes.
	Seqs []uint64
}

// StrokesSQL selects the visible strokes added to a set of tiles of one level after a sequence number:
// a seek per tile on the tile_events primary key (room_id, level, tx, ty, seq), then the stroke's state
// and payload by primary key. Tests check its plan.
const StrokesSQL = `select t.tx, t.ty, t.seq, e.payload
	from unnest($3::int[], $4::int[]) as want(tx, ty)
	join tile_events t on t.room_id = $1 and t.level = $2 and t.tx = want.tx and t.ty = want.ty and t.seq > $5 and t.kind = 1
	join strokes s on s.room_id = t.room_id and s.stroke_id = t.stroke_id and not s.erased
	join stroke_events e on e.room_id = t.room_id and e.seq = t.seq
	order by t.tx, t.ty, t.seq`

// Strokes returns the content of each tile (same level) after seq, and the room's head.
func (r *Reader) Strokes(ctx context.Context, room uuid.UUID, tiles []strokes.Tile, after uint64) ([]Content, uint64, error) {
	if len(tiles) == 0 {
		return nil, 0, nil
	}
	level := tiles[0].Level
	xs, ys := make([]int32, len(tiles)), make([]int32, len(tiles))
	index := make(map[strokes.Tile]int, len(tiles))
	out := make([]Content, len(tiles))
	for i, t := range tiles {
		if t.Level != level {
			return nil, 0, fmt.Errorf("tiles of levels %d and %d in one read", level, t.Level)
		}
		xs[i], ys[i] = t.X, t.Y
		index[t] = i
		out[i].Tile = t
	}
	tx, err := r.pool.Begin(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	var head int64
	if err := tx.QueryRow(ctx, `select coalesce((select head_seq from room_heads where room_id = $1), 0)`, room).Scan(&head); err != nil {
		return nil, 0, fmt.Errorf("read head: %w", err)
	}
	rows, err := tx.Query(ctx, StrokesSQL, room, level, xs, ys, int64(after))
	if err != nil {
		return nil, 0, fmt.Errorf("read tile strokes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var x, y int32
		var seq int64
		var payload []byte
		if err := rows.Scan(&x, &y, &seq, &payload); err != nil {
			return nil, 0, err
		}
		var added roomv1.StrokeAdded
		if err := proto.Unmarshal(payload, &added); err != nil {
			return nil, 0, fmt.Errorf("stored stroke at seq %d: %w", seq, err)
		}
		c := &out[index[strokes.Tile{Level: level, X: x, Y: y}]]
		c.Strokes = append(c.Strokes, added.GetStroke())
		c.Seqs = append(c.Seqs, uint64(seq))
	}
	return out, uint64(head), rows.Err()
}
