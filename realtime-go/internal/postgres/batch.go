package postgres

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/infidraw/infidraw/realtime-go/internal/events"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// Commit implements events.Store. A batch of new strokes costs five round trips: the reads (begin, lock
// the room heads, look up what the rules name) pipelined in one, one COPY per table that gets rows, and
// the updates pipelined with the commit. Undo and redo of an erase or revert may add a read (its
// strokes), and erasing or restoring strokes stored before the batch another (their tiles). Each read
// takes every key at once, however many strokes an action names.
func (s *Store) Commit(ctx context.Context, l *events.Lookup, decide func(*events.State) *events.Writes) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire: %w", err)
	}
	defer conn.Release()
	committed := false
	defer func() {
		if !committed {
			// A connection that cannot roll back is closed, and the pool drops it on release.
			_, _ = conn.Exec(ctx, "rollback")
		}
	}()

	st, err := lookup(ctx, conn, l)
	if err != nil {
		return err
	}
	w := decide(st)
	if len(w.Events) > 0 {
		tiles, err := s.touchedTiles(ctx, conn, w.Events)
		if err != nil {
			return err
		}
		setTouchedAreas(w.Events, tiles)
		if err := copyWrites(ctx, conn.Conn().PgConn(), w, tiles); err != nil {
			return err
		}
	}
	if err := updateAndCommit(ctx, conn, w); err != nil {
		return err
	}
	committed = true
	return nil
}

var (
	strokeEventColumns = []string{"room_id", "seq", "kind", "action_id", "author_id", "committed_at", "payload"}
	tileEventColumns   = []string{"room_id", "level", "tx", "ty", "seq", "stroke_id", "kind"}
	strokeColumns      = []string{"room_id", "stroke_id", "author_id", "added_seq", "erased"}
	eraseActionColumns = []string{"room_id", "action_id", "author_id", "seq", "stroke_ids", "restored_ids", "undone"}
)

// Bytes of one row in a binary COPY: a field count, and a length before every field; a stroke_events
// row's payload comes on top.
const (
	strokeEventRowBytes = 2 + 7*4 + 3*16 + 8 + 2 + 8
	tileEventRowBytes   = 2 + 7*4 + 16 + 2 + 4 + 4 + 8 + 16 + 2
	strokeRowBytes      = 2 + 5*4 + 16 + 16 + 16 + 8 + 1
)

// copyWrites writes the events of the batch, their tile index rows, and the new strokes and erase
// actions: one COPY per table that gets rows. tiles holds the tiles of the strokes that erases and
// restores touch (touchedTiles); a StrokeAdded event carries its stroke's.
func copyWrites(ctx context.Context, conn *pgconn.PgConn, w *events.Writes, tiles map[events.Key][]strokes.Tile) error {
	eventBytes, tileRows := 0, 0
	for i := range w.Events {
		e := &w.Events[i]
		eventBytes += strokeEventRowBytes + len(e.Payload)
		tileRows += len(e.Tiles)
		for _, id := range e.Strokes {
			tileRows += len(tiles[events.Key{Room: e.Room, ID: id}])
		}
	}
	evCopy := newCopyIn("stroke_events", strokeEventColumns, eventBytes)
	tileCopy := newCopyIn("tile_events", tileEventColumns, tileRows*tileEventRowBytes)
	for i := range w.Events {
		e := &w.Events[i]
		evCopy.row().uuid(e.Room).int64(int64(e.Seq)).int16(int16(e.Kind)).uuid(e.Action).uuid(e.Author).timestamptz(w.At).bytea(e.Payload)
		if e.Kind == events.KindStrokeAdded {
			for _, t := range e.Tiles {
				indexRow(tileCopy, e, t, e.Action)
			}
		}
		indexTouched(tileCopy, e, tiles)
	}
	strokeCopy := newCopyIn("strokes", strokeColumns, len(w.Strokes)*strokeRowBytes)
	for _, s := range w.Strokes {
		strokeCopy.row().uuid(s.Room).uuid(s.ID).uuid(s.Author).int64(int64(s.AddedSeq)).bool(s.Erased)
	}
	eraseCopy := newCopyIn("erase_actions", eraseActionColumns, 0)
	for _, a := range w.Erases {
		eraseCopy.row().uuid(a.Room).uuid(a.ID).uuid(a.Author).int64(int64(a.Seq)).uuidArray(a.Strokes).uuidArray(a.Restored).bool(a.Undone)
	}
	for _, c := range []*copyIn{evCopy, tileCopy, strokeCopy, eraseCopy} {
		if err := c.send(ctx, conn); err != nil {
			return err
		}
	}
	return nil
}

// indexTouched adds the tile_events rows of the strokes an erase or restore event touches, one per tile
// of each, in the order of the table's primary key: tile by tile, by stroke id within a tile. Inserted
// in key order, the rows of an action over thousands of strokes fill the index pages one after another
// instead of jumping between tiles: the 240,000 rows of a 10,000-stroke revert went in about twice as
// fast into a table of a few million rows.
func indexTouched(c *copyIn, e *events.NewEvent, tiles map[events.Key][]strokes.Tile) {
	if len(e.Strokes) == 0 {
		return
	}
	ids := slices.Clone(e.Strokes)
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	byTile := map[strokes.Tile][]uuid.UUID{}
	for _, id := range ids {
		for _, t := range tiles[events.Key{Room: e.Room, ID: id}] {
			byTile[t] = append(byTile[t], id)
		}
	}
	order := slices.SortedFunc(maps.Keys(byTile), func(a, b strokes.Tile) int {
		return cmp.Or(cmp.Compare(a.Level, b.Level), cmp.Compare(a.X, b.X), cmp.Compare(a.Y, b.Y))
	})
	for _, t := range order {
		for _, id := range byTile[t] {
			indexRow(c, e, t, id)
		}
	}
}

// indexRow adds the tile_events row of event e for one tile of one stroke it touches, under the event's
// kind.
func indexRow(c *copyIn, e *events.NewEvent, t strokes.Tile, stroke uuid.UUID) {
	c.row().uuid(e.Room).int16(int16(t.Level)).int32(t.X).int32(t.Y).int64(int64(e.Seq)).uuid(stroke).int16(int16(e.Kind))
}

// updateAndCommit stores the changed visibility of stored strokes, the changed state of stored erase
// actions and the new room heads, and commits, in one pipelined round trip. The commit's own answer
// decides: PostgreSQL answers ROLLBACK to a COMMIT of a transaction that failed.
func updateAndCommit(ctx context.Context, conn *pgxpool.Conn, w *events.Writes) error {
	b := &pgx.Batch{}
	queueFlagUpdate(b, `update strokes s set erased = v.value
		from unnest($1::uuid[], $2::uuid[], $3::bool[]) v(room_id, stroke_id, value)
		where s.room_id = v.room_id and s.stroke_id = v.stroke_id`, w.Erased)
	queueFlagUpdate(b, `update erase_actions a set undone = v.value
		from unnest($1::uuid[], $2::uuid[], $3::bool[]) v(room_id, action_id, value)
		where a.room_id = v.room_id and a.action_id = v.action_id`, w.Undone)
	if len(w.Heads) > 0 {
		hr, hSeq := make([][16]byte, 0, len(w.Heads)), make([]int64, 0, len(w.Heads))
		for r, h := range w.Heads {
			hr, hSeq = append(hr, r), append(hSeq, int64(h))
		}
		b.Queue(`update room_heads h set head_seq = v.head_seq, updated_at = now()
			from unnest($1::uuid[], $2::bigint[]) v(room_id, head_seq)
			where h.room_id = v.room_id`, hr, hSeq)
	}
	b.Queue("commit").Exec(func(tag pgconn.CommandTag) error {
		if tag.String() != "COMMIT" {
			return errors.New("the transaction was rolled back")
		}
		return nil
	})
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("update and commit: %w", err)
	}
	return nil
}

// queueFlagUpdate queues sql, which sets one boolean column of the rows named by $1 and $2 to $3, for
// flags, unless there are none.
func queueFlagUpdate(b *pgx.Batch, sql string, flags []events.Flag) {
	if len(flags) == 0 {
		return
	}
	rooms, ids, values := make([][16]byte, len(flags)), make([][16]byte, len(flags)), make([]bool, len(flags))
	for i, f := range flags {
		rooms[i], ids[i], values[i] = f.Room, f.ID, f.Value
	}
	b.Queue(sql, rooms, ids, values)
}
