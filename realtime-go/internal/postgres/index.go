package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"

	roomv1 "github.com/infidraw/infidraw/gen/go/infidraw/room/v1"
	"github.com/infidraw/infidraw/realtime-go/internal/events"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// touchedTiles returns the tiles of the strokes that the batch's erase and restore events touch, for
// their tile_events rows: a stroke added earlier in the batch has them in its StrokeAdded event, the
// others are read from their stored events in one query. A batch that only adds strokes reads nothing
// and builds nothing.
//
// A stored stroke that the limits now refuse (stored before they existed) is not walked, which could
// take seconds in this transaction: its event is indexed without its tiles, and the readers of tiles
// skip it anyway.
func (s *Store) touchedTiles(ctx context.Context, conn *pgxpool.Conn, evs []events.NewEvent) (map[events.Key][]strokes.Tile, error) {
	var tiles map[events.Key][]strokes.Tile
	for i := range evs {
		if evs[i].Kind != events.KindStrokeAdded {
			tiles = map[events.Key][]strokes.Tile{}
			break
		}
	}
	if tiles == nil {
		return nil, nil
	}
	for i := range evs {
		if e := &evs[i]; e.Kind == events.KindStrokeAdded {
			tiles[events.Key{Room: e.Room, ID: e.Action}] = e.Tiles
		}
	}
	var stored []events.Key
	for i := range evs {
		for _, id := range evs[i].Strokes {
			k := events.Key{Room: evs[i].Room, ID: id}
			if _, ok := tiles[k]; !ok {
				tiles[k] = nil // read below, once
				stored = append(stored, k)
			}
		}
	}
	if len(stored) == 0 {
		return tiles, nil
	}
	rs, ids := keyColumns(stored)
	rows, err := conn.Query(ctx, loadStrokePayloadsSQL, rs, ids)
	if err != nil {
		return nil, fmt.Errorf("load stroke points: %w", err)
	}
	var k events.Key
	var payload []byte
	_, err = pgx.ForEachRow(rows, []any{(*[16]byte)(&k.Room), (*[16]byte)(&k.ID), &payload}, func() error {
		var added roomv1.StrokeAdded
		if err := proto.Unmarshal(payload, &added); err != nil {
			return fmt.Errorf("stored stroke %s: %w", k.ID, err)
		}
		v, err := strokes.Validate(added.GetStroke())
		if err != nil {
			s.log.Warn("stored stroke exceeds the stroke limits; its erase or restore is indexed without its tiles",
				"room", k.Room, "stroke", k.ID, "err", err)
			return nil
		}
		tiles[k] = v.Tiles
		return nil
	})
	return tiles, err
}

// setTouchedAreas sets the area of every erase and restore event from the level-0 tiles of its strokes:
// unknown when one of them has none (a stored stroke the limits now refuse).
func setTouchedAreas(evs []events.NewEvent, tiles map[events.Key][]strokes.Tile) {
	for i := range evs {
		e := &evs[i]
		if e.Kind == events.KindStrokeAdded {
			continue
		}
		var level0 []strokes.Tile
		for _, id := range e.Strokes {
			ts := tiles[events.Key{Room: e.Room, ID: id}]
			n := 0
			for _, t := range ts {
				if t.Level == 0 {
					level0 = append(level0, t)
					n++
				}
			}
			if n == 0 {
				level0 = nil
				break
			}
		}
		e.Area = events.AreaOfTiles(level0)
	}
}
