package postgres

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"

	roomv1 "github.com/infidraw/infidraw/gen/go/infidraw/room/v1"
	"github.com/infidraw/infidraw/realtime-go/internal/events"
)

// lookup begins the transaction, locks the head row of every room of l (in room order, so that
// concurrent batches of other replicas cannot deadlock) and reads the heads and the strokes and erase
// actions l names, in one pipelined round trip; the strokes that found erase actions erased or restored
// and that l does not name take a second one.
func lookup(ctx context.Context, conn *pgxpool.Conn, l *events.Lookup) (*events.State, error) {
	st := &events.State{
		Heads:   make(map[uuid.UUID]uint64, len(l.Rooms)),
		Strokes: map[events.Key]events.StrokeState{},
		Erases:  map[events.Key]events.EraseState{},
	}
	rooms := binaryUUIDs(l.Rooms)
	b := &pgx.Batch{}
	b.Queue("begin")
	b.Queue(`insert into room_heads (room_id) select unnest($1::uuid[]) order by 1 on conflict do nothing`, rooms)
	b.Queue(`select room_id, head_seq from room_heads where room_id = any($1) order by room_id for update`, rooms).
		Query(func(rows pgx.Rows) error {
			var r uuid.UUID
			var h int64
			_, err := pgx.ForEachRow(rows, []any{(*[16]byte)(&r), &h}, func() error {
				st.Heads[r] = uint64(h)
				return nil
			})
			return err
		})
	queueStrokes(b, l.Strokes, false, st.Strokes)
	// After the other stroke lookups: a stroke named by both keeps its content from here.
	queueStrokes(b, l.Added, true, st.Strokes)
	if len(l.Erases) > 0 {
		rs, ids := keyColumns(l.Erases)
		b.Queue(loadEraseActionsSQL, rs, ids).Query(func(rows pgx.Rows) error {
			var k events.Key
			var e events.EraseState
			var seq int64
			_, err := pgx.ForEachRow(rows, []any{(*[16]byte)(&k.Room), (*[16]byte)(&k.ID), (*[16]byte)(&e.Author), &seq, &e.Strokes, &e.Restored, &e.Undone}, func() error {
				e.Seq = uint64(seq)
				st.Erases[k] = e
				return nil
			})
			return err
		})
	}
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("lock room heads and look up: %w", err)
	}

	var changed []events.Key
	for k, e := range st.Erases {
		for _, ids := range [][]uuid.UUID{e.Strokes, e.Restored} {
			for _, id := range ids {
				if _, ok := st.Strokes[events.Key{Room: k.Room, ID: id}]; !ok {
					changed = append(changed, events.Key{Room: k.Room, ID: id})
				}
			}
		}
	}
	if len(changed) > 0 {
		b := &pgx.Batch{}
		queueStrokes(b, changed, false, st.Strokes)
		if err := conn.SendBatch(ctx, b).Close(); err != nil {
			return nil, fmt.Errorf("look up the strokes of erase actions: %w", err)
		}
	}
	return st, nil
}

// The lookups by (room_id, id) pairs probe the primary key once per pair: the lateral subquery with its
// limit cannot be flattened into a join, so the planner cannot turn it into a hash join over a sequential
// scan, which it chose on a young table (as in every benchmark run) and which then read the whole table
// on every batch.
const (
	loadStrokesSQL = `select k.room_id, k.stroke_id, s.author_id, s.added_seq, s.erased
		from unnest($1::uuid[], $2::uuid[]) k(room_id, stroke_id)
		cross join lateral (select author_id, added_seq, erased from strokes s
		  where s.room_id = k.room_id and s.stroke_id = k.stroke_id limit 1) s`
	loadEraseActionsSQL = `select k.room_id, k.action_id, a.author_id, a.seq, a.stroke_ids, a.restored_ids, a.undone
		from unnest($1::uuid[], $2::uuid[]) k(room_id, action_id)
		cross join lateral (select author_id, seq, stroke_ids, restored_ids, undone from erase_actions a
		  where a.room_id = k.room_id and a.action_id = k.action_id limit 1) a`
	loadAddedStrokesSQL = `select k.room_id, k.stroke_id, s.author_id, s.added_seq, s.erased, s.payload
		from unnest($1::uuid[], $2::uuid[]) k(room_id, stroke_id)
		cross join lateral (select s.author_id, s.added_seq, s.erased, e.payload from strokes s
		  join stroke_events e on e.room_id = s.room_id and e.seq = s.added_seq
		  where s.room_id = k.room_id and s.stroke_id = k.stroke_id limit 1) s`
	loadStrokePayloadsSQL = `select k.room_id, k.stroke_id, e.payload
		from unnest($1::uuid[], $2::uuid[]) k(room_id, stroke_id)
		cross join lateral (select e.payload from strokes s join stroke_events e on e.room_id = s.room_id and e.seq = s.added_seq
		  where s.room_id = k.room_id and s.stroke_id = k.stroke_id limit 1) e`
)

// queueStrokes queues the read of the named strokes that exist into st; with content, each with the
// stroke of the event that added it.
func queueStrokes(b *pgx.Batch, keys []events.Key, content bool, st map[events.Key]events.StrokeState) {
	if len(keys) == 0 {
		return
	}
	rs, ids := keyColumns(keys)
	sql := loadStrokesSQL
	if content {
		sql = loadAddedStrokesSQL
	}
	b.Queue(sql, rs, ids).Query(func(rows pgx.Rows) error {
		var k events.Key
		var s events.StrokeState
		var seq int64
		var payload []byte
		dest := []any{(*[16]byte)(&k.Room), (*[16]byte)(&k.ID), (*[16]byte)(&s.Author), &seq, &s.Erased}
		if content {
			dest = append(dest, &payload)
		}
		_, err := pgx.ForEachRow(rows, dest, func() error {
			s.AddedSeq = uint64(seq)
			if content {
				var added roomv1.StrokeAdded
				if err := proto.Unmarshal(payload, &added); err != nil {
					return fmt.Errorf("stored stroke %s: %w", k.ID, err)
				}
				s.Stroke = added.GetStroke()
			}
			st[k] = s
			return nil
		})
		return err
	})
}

// binaryUUIDs passes ids as [16]byte, which pgx sends in binary; google/uuid's UUID goes through its
// driver.Valuer, as text.
func binaryUUIDs(ids []uuid.UUID) [][16]byte {
	out := make([][16]byte, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// keyColumns passes keys as two binary uuid[] parameters, rooms and ids.
func keyColumns(keys []events.Key) (rooms, ids [][16]byte) {
	rooms, ids = make([][16]byte, len(keys)), make([][16]byte, len(keys))
	for i, k := range keys {
		rooms[i], ids[i] = k.Room, k.ID
	}
	return rooms, ids
}
