package snapshots

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"

	roomv1 "github.com/infidraw/infidraw/gen/go/infidraw/room/v1"
	"github.com/infidraw/infidraw/shared-go/eventkind"
	"github.com/infidraw/infidraw/shared-go/strokes"
	"github.com/infidraw/infidraw/tile-delta-go/internal/tiles"
)

// page is what a page of a room's events touched.
type page struct {
	// head is the room's head when the page was read; last the highest sequence number in the page (0
	// for none); events how many it holds.
	head, last uint64
	events     int
	// touched holds every tile, at every level, of the strokes the page's events add, erase or
	// restore, with the highest sequence number of the page that touched it.
	touched map[strokes.Tile]uint64
}

// PageSQL reads a room's events after a sequence number, a forward range on the stroke_events
// primary key.
const PageSQL = `select seq, kind, payload from stroke_events where room_id = $1 and seq > $2 order by seq limit $3`

// AddedPayloadsSQL reads the StrokeAdded payloads of strokes by id (strokes, then stroke_events, by
// primary key).
const AddedPayloadsSQL = `select s.stroke_id, e.payload from unnest($2::uuid[]) k(stroke_id)
	join strokes s on s.room_id = $1 and s.stroke_id = k.stroke_id
	join stroke_events e on e.room_id = $1 and e.seq = s.added_seq`

// readPage reads up to n events after `after` and the tiles they touch, in one read-only snapshot.
// A stored stroke the limits now refuse (stored before they existed) has no tiles: readers skip it.
func readPage(ctx context.Context, pool *pgxpool.Pool, room uuid.UUID, after uint64, n int) (p page, err error) {
	p.touched = map[strokes.Tile]uint64{}
	touch := func(payload []byte, seq uint64) error {
		var added roomv1.StrokeAdded
		if err := proto.Unmarshal(payload, &added); err != nil {
			return fmt.Errorf("stored stroke event: %w", err)
		}
		v, err := strokes.Validate(added.GetStroke())
		if err != nil {
			return nil
		}
		for _, t := range v.Tiles {
			p.touched[t] = max(p.touched[t], seq)
		}
		return nil
	}
	err = pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if p.head, err = tiles.Head(ctx, tx, room); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, PageSQL, room, int64(after), n)
		if err != nil {
			return fmt.Errorf("read events: %w", err)
		}
		// Erases and restores name strokes: their tiles are those of the events that added them.
		visibility := map[uuid.UUID]uint64{}
		var seq int64
		var kind eventkind.Kind
		var payload []byte
		if _, err := pgx.ForEachRow(rows, []any{&seq, &kind, &payload}, func() error {
			p.events++
			p.last = uint64(seq)
			if kind == eventkind.StrokeAdded {
				return touch(payload, uint64(seq))
			}
			var changed roomv1.StrokesErased // StrokesRestored has the same fields
			if err := proto.Unmarshal(payload, &changed); err != nil {
				return fmt.Errorf("stored event %d: %w", seq, err)
			}
			for _, id := range changed.GetStrokeIds() {
				if u, err := uuid.FromBytes(id); err == nil {
					visibility[u] = max(visibility[u], uint64(seq))
				}
			}
			return nil
		}); err != nil {
			return fmt.Errorf("read events: %w", err)
		}
		if len(visibility) == 0 {
			return nil
		}
		ids := make([]uuid.UUID, 0, len(visibility))
		for id := range visibility {
			ids = append(ids, id)
		}
		rows, err = tx.Query(ctx, AddedPayloadsSQL, room, ids)
		if err != nil {
			return fmt.Errorf("read erased strokes: %w", err)
		}
		var id uuid.UUID
		_, err = pgx.ForEachRow(rows, []any{&id, &payload}, func() error { return touch(payload, visibility[id]) })
		return err
	})
	return p, err
}
