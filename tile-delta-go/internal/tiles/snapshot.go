package tiles

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/infidraw/infidraw/shared-go/strokes"
)

// ErrNoSnapshot: the tile has no snapshot covering exactly the sequence number asked for (never made, or
// collected after its successor).
var ErrNoSnapshot = errors.New("no such snapshot")

// SnapshotSQL looks one snapshot up by its name (a point read on the tile_snapshots primary key).
const SnapshotSQL = `select object_key, size_bytes from tile_snapshots
	where room_id = $1 and level = $2 and tx = $3 and ty = $4 and covers_seq = $5`

// Snapshot returns the snapshot of tile t that covers exactly coversSeq, as GetTiles named it, or
// ErrNoSnapshot.
func (r *Reader) Snapshot(ctx context.Context, room uuid.UUID, t strokes.Tile, coversSeq uint64) (Snapshot, error) {
	s := Snapshot{CoversSeq: coversSeq}
	err := r.pool.QueryRow(ctx, SnapshotSQL, room, t.Level, t.X, t.Y, int64(coversSeq)).Scan(&s.Key, &s.SizeBytes)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return Snapshot{}, ErrNoSnapshot
	case err != nil:
		return Snapshot{}, fmt.Errorf("read snapshot: %w", err)
	}
	return s, nil
}
