// Package postgres stores room events in PostgreSQL: one transaction per batch of commands, sequence
// numbers assigned under the lock of each room's head row, bulk writes with COPY.
package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"

	roomv1 "github.com/infidraw/infidraw/gen/go/infidraw/room/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/realtime-go/internal/events"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// Store implements events.Store.
type Store struct {
	pool *pgxpool.Pool
	log  *slog.Logger
}

// NewStore wraps a pool; log receives what a batch stored differently from what it was asked.
func NewStore(pool *pgxpool.Pool, log *slog.Logger) *Store { return &Store{pool: pool, log: log} }

// Ping checks the database for readiness.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

type key struct{ room, id uuid.UUID }

type strokeState struct {
	author   uuid.UUID
	addedSeq uint64
	erased   bool
	changed  bool
	isNew    bool
	tiles    []strokes.Tile // known for strokes added in this batch, loaded for the others on demand
	// stroke is the stored stroke, known when a command of the batch adds a stroke under its id: a repeat
	// is a duplicate only when it is the same stroke.
	stroke *strokev1.Stroke
}

type eraseState struct {
	author  uuid.UUID
	seq     uint64
	strokes []uuid.UUID
	undone  bool
	changed bool
	isNew   bool
}

// pending is one event created by the batch, not yet written.
type pending struct {
	room    uuid.UUID
	seq     uint64
	kind    events.Kind
	action  uuid.UUID
	author  uuid.UUID
	payload []byte
	touched []uuid.UUID // strokes whose tiles the event touches
}

// Commit implements events.Store. A batch of new strokes costs five round trips: the reads (begin, lock
// the room heads, load the strokes the commands name) pipelined in one, one COPY per table that gets
// rows, and the updates pipelined with the commit. Erases, undo and redo add up to two reads.
func (s *Store) Commit(ctx context.Context, cmds []events.Command) ([]events.Result, map[uuid.UUID][]events.Event, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("acquire: %w", err)
	}
	defer conn.Release()
	committed := false
	defer func() {
		if !committed {
			// A connection that cannot roll back is closed, and the pool drops it on release.
			_, _ = conn.Exec(ctx, "rollback")
		}
	}()

	heads, strokeSt, eraseSt, err := lockAndLoad(ctx, conn, cmds)
	if err != nil {
		return nil, nil, err
	}

	now := time.Now()
	results := make([]events.Result, len(cmds))
	var created []pending
	for i, c := range cmds {
		ev, res := apply(c, heads, strokeSt, eraseSt)
		results[i] = res
		if ev != nil {
			created = append(created, *ev)
		}
	}
	if len(created) > 0 {
		if err := s.loadTiles(ctx, conn, created, strokeSt); err != nil {
			return nil, nil, err
		}
		if err := copyCreated(ctx, conn.Conn().PgConn(), now, created, strokeSt, eraseSt); err != nil {
			return nil, nil, err
		}
	}
	if err := updateAndCommit(ctx, conn, heads, strokeSt, eraseSt); err != nil {
		return nil, nil, err
	}
	committed = true
	out := make(map[uuid.UUID][]events.Event)
	ms := now.UnixMilli()
	for _, p := range created {
		out[p.room] = append(out[p.room], events.EncodeRoomEvent(p.seq, ms, p.author.String(), p.kind, p.payload))
	}
	return results, out, nil
}

// lockAndLoad begins the transaction, locks the head row of every room of the batch (in room order, so
// that concurrent batches of other replicas cannot deadlock) and reads the heads and the strokes and
// erase actions that the commands name, in one pipelined round trip; the strokes of loaded erase actions
// that no command names take a second one. Every command's own id is looked up as a stroke and as an
// erase action: ids are unique across both in a room, so that undo never finds someone else's action
// under one's own id.
func lockAndLoad(ctx context.Context, conn *pgxpool.Conn, cmds []events.Command) (map[uuid.UUID]uint64, map[key]*strokeState, map[key]*eraseState, error) {
	var rooms, nr, nid, sr, sid, ar, aid []uuid.UUID
	for _, c := range cmds {
		rooms = append(rooms, c.Room)
		ar, aid = append(ar, c.Room), append(aid, c.ActionID)
		switch c.Op {
		case events.OpAddStroke:
			nr, nid = append(nr, c.Room), append(nid, c.ActionID)
		case events.OpUndo, events.OpRedo:
			sr, sid = append(sr, c.Room), append(sid, c.ActionID)
		case events.OpErase:
			sr, sid = append(sr, c.Room), append(sid, c.ActionID)
			for _, id := range c.StrokeIDs {
				sr, sid = append(sr, c.Room), append(sid, id)
			}
		}
	}
	slices.SortFunc(rooms, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	rooms = slices.Compact(rooms)

	heads := make(map[uuid.UUID]uint64, len(rooms))
	strokeSt := map[key]*strokeState{}
	eraseSt := map[key]*eraseState{}
	roomIDs := binaryUUIDs(rooms)
	b := &pgx.Batch{}
	b.Queue("begin")
	b.Queue(`insert into room_heads (room_id) select unnest($1::uuid[]) order by 1 on conflict do nothing`, roomIDs)
	b.Queue(`select room_id, head_seq from room_heads where room_id = any($1) order by room_id for update`, roomIDs).
		Query(func(rows pgx.Rows) error {
			var r uuid.UUID
			var h int64
			_, err := pgx.ForEachRow(rows, []any{(*[16]byte)(&r), &h}, func() error {
				heads[r] = uint64(h)
				return nil
			})
			return err
		})
	queueLoadStrokes(b, sr, sid, strokeSt)
	// After the other stroke lookups: a stroke named by both keeps its content from here.
	queueLoadAddedStrokes(b, nr, nid, strokeSt)
	if len(ar) > 0 {
		b.Queue(loadEraseActionsSQL, binaryUUIDs(ar), binaryUUIDs(aid)).Query(func(rows pgx.Rows) error {
			var k key
			var author uuid.UUID
			var seq int64
			var ids []uuid.UUID
			var undone bool
			_, err := pgx.ForEachRow(rows, []any{(*[16]byte)(&k.room), (*[16]byte)(&k.id), (*[16]byte)(&author), &seq, &ids, &undone}, func() error {
				eraseSt[k] = &eraseState{author: author, seq: uint64(seq), strokes: ids, undone: undone}
				return nil
			})
			return err
		})
	}
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return nil, nil, nil, fmt.Errorf("lock room heads and load state: %w", err)
	}

	// Undo and redo of an erase act on its strokes: load those not loaded yet.
	sr, sid = sr[:0], sid[:0]
	for k, a := range eraseSt {
		for _, id := range a.strokes {
			if _, ok := strokeSt[key{k.room, id}]; !ok {
				sr, sid = append(sr, k.room), append(sid, id)
			}
		}
	}
	if len(sr) > 0 {
		b := &pgx.Batch{}
		queueLoadStrokes(b, sr, sid, strokeSt)
		if err := conn.SendBatch(ctx, b).Close(); err != nil {
			return nil, nil, nil, fmt.Errorf("load erased strokes: %w", err)
		}
	}
	return heads, strokeSt, eraseSt, nil
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
	loadEraseActionsSQL = `select k.room_id, k.action_id, a.author_id, a.seq, a.stroke_ids, a.undone
		from unnest($1::uuid[], $2::uuid[]) k(room_id, action_id)
		cross join lateral (select author_id, seq, stroke_ids, undone from erase_actions a
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

// queueLoadStrokes queues the read of the named strokes that exist into st.
func queueLoadStrokes(b *pgx.Batch, rooms, ids []uuid.UUID, st map[key]*strokeState) {
	if len(rooms) == 0 {
		return
	}
	b.Queue(loadStrokesSQL, binaryUUIDs(rooms), binaryUUIDs(ids)).Query(func(rows pgx.Rows) error {
		var k key
		var author uuid.UUID
		var seq int64
		var erased bool
		_, err := pgx.ForEachRow(rows, []any{(*[16]byte)(&k.room), (*[16]byte)(&k.id), (*[16]byte)(&author), &seq, &erased}, func() error {
			st[k] = &strokeState{author: author, addedSeq: uint64(seq), erased: erased}
			return nil
		})
		return err
	})
}

// queueLoadAddedStrokes queues the read of the strokes that commands add and that exist already, with
// their content.
func queueLoadAddedStrokes(b *pgx.Batch, rooms, ids []uuid.UUID, st map[key]*strokeState) {
	if len(rooms) == 0 {
		return
	}
	b.Queue(loadAddedStrokesSQL, binaryUUIDs(rooms), binaryUUIDs(ids)).Query(func(rows pgx.Rows) error {
		var k key
		var author uuid.UUID
		var seq int64
		var erased bool
		var payload []byte
		_, err := pgx.ForEachRow(rows, []any{(*[16]byte)(&k.room), (*[16]byte)(&k.id), (*[16]byte)(&author), &seq, &erased, &payload}, func() error {
			var added roomv1.StrokeAdded
			if err := proto.Unmarshal(payload, &added); err != nil {
				return fmt.Errorf("stored stroke %s: %w", k.id, err)
			}
			st[k] = &strokeState{author: author, addedSeq: uint64(seq), erased: erased, stroke: added.GetStroke()}
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

// apply decides what one command does given the state so far in the batch, and updates that state.
func apply(c events.Command, heads map[uuid.UUID]uint64, strokeSt map[key]*strokeState, eraseSt map[key]*eraseState) (*pending, events.Result) {
	next := func(kind events.Kind, payload []byte, touched []uuid.UUID) *pending {
		heads[c.Room]++
		return &pending{room: c.Room, seq: heads[c.Room], kind: kind, action: c.ActionID, author: c.Author, payload: payload, touched: touched}
	}
	k := key{c.Room, c.ActionID}
	switch c.Op {
	case events.OpAddStroke:
		if st, ok := strokeSt[k]; ok {
			// A retry is the same stroke from the same author; anything else would take over the id.
			if st.author != c.Author || !proto.Equal(st.stroke, c.Stroke.Msg) {
				return nil, events.Result{Err: conflict("stroke", c.ActionID)}
			}
			return nil, events.Result{Seq: st.addedSeq, Duplicate: true}
		}
		if _, ok := eraseSt[k]; ok {
			return nil, events.Result{Err: conflict("stroke", c.ActionID)}
		}
		ev := next(events.KindStrokeAdded, marshal(&roomv1.StrokeAdded{Stroke: c.Stroke.Msg}), []uuid.UUID{c.ActionID})
		strokeSt[k] = &strokeState{author: c.Author, addedSeq: ev.seq, isNew: true, tiles: c.Stroke.Tiles, stroke: c.Stroke.Msg}
		return ev, events.Result{Seq: ev.seq}

	case events.OpErase:
		if st, ok := eraseSt[k]; ok {
			// The stored erase holds the strokes that were visible when it ran, a subset of those its
			// request named: a retry names them all again.
			if st.author != c.Author || !subset(st.strokes, c.StrokeIDs) {
				return nil, events.Result{Err: conflict("erase", c.ActionID)}
			}
			return nil, events.Result{Seq: st.seq, Duplicate: true}
		}
		if _, ok := strokeSt[k]; ok {
			return nil, events.Result{Err: conflict("erase", c.ActionID)}
		}
		ids := visible(c.Room, c.StrokeIDs, strokeSt, true)
		if len(ids) == 0 {
			return nil, events.Result{Err: events.Errorf(events.CodeNotFound, "none of the %d strokes is visible in this room", len(c.StrokeIDs))}
		}
		ev := next(events.KindStrokesErased, marshal(&roomv1.StrokesErased{ActionId: c.ActionID[:], StrokeIds: raw(ids)}), ids)
		setErased(c.Room, ids, strokeSt, true)
		eraseSt[k] = &eraseState{author: c.Author, seq: ev.seq, strokes: ids, isNew: true}
		return ev, events.Result{Seq: ev.seq}

	case events.OpUndo, events.OpRedo:
		undo := c.Op == events.OpUndo
		if st, ok := strokeSt[k]; ok {
			if st.author != c.Author {
				return nil, events.Result{Err: events.Errorf(events.CodePermissionDenied, "only its author can undo or redo a stroke")}
			}
			if st.erased == undo { // already in the requested state
				return nil, events.Result{Seq: heads[c.Room], Duplicate: true}
			}
			ids := []uuid.UUID{c.ActionID}
			ev := next(kindOf(undo), visibilityPayload(undo, c.ActionID, ids), ids)
			setErased(c.Room, ids, strokeSt, undo)
			return ev, events.Result{Seq: ev.seq}
		}
		if st, ok := eraseSt[k]; ok {
			if st.author != c.Author {
				return nil, events.Result{Err: events.Errorf(events.CodePermissionDenied, "only its author can undo or redo an erase")}
			}
			if st.undone == undo {
				return nil, events.Result{Seq: heads[c.Room], Duplicate: true}
			}
			// Undoing an erase restores its strokes that are still erased; redoing erases those visible.
			ids := visible(c.Room, st.strokes, strokeSt, !undo)
			st.undone, st.changed = undo, true
			if len(ids) == 0 {
				return nil, events.Result{Seq: heads[c.Room], Duplicate: true}
			}
			ev := next(kindOf(!undo), visibilityPayload(!undo, c.ActionID, ids), ids)
			setErased(c.Room, ids, strokeSt, !undo)
			return ev, events.Result{Seq: ev.seq}
		}
		return nil, events.Result{Err: events.Errorf(events.CodeNotFound, "no stroke or erase %s in this room", c.ActionID)}
	}
	return nil, events.Result{Err: events.Errorf(events.CodeInvalid, "unknown operation %d", c.Op)}
}

func conflict(what string, id uuid.UUID) *events.Error {
	return events.Errorf(events.CodeConflict, "the %s id %s is already used by another stroke or action: send it again under a new id", what, id)
}

// subset reports whether every id of sub is in set.
func subset(sub, set []uuid.UUID) bool {
	in := make(map[uuid.UUID]bool, len(set))
	for _, id := range set {
		in[id] = true
	}
	for _, id := range sub {
		if !in[id] {
			return false
		}
	}
	return true
}

func kindOf(erase bool) events.Kind {
	if erase {
		return events.KindStrokesErased
	}
	return events.KindStrokesRestored
}

// visibilityPayload encodes the StrokesErased (erase) or StrokesRestored event of an action.
func visibilityPayload(erase bool, action uuid.UUID, ids []uuid.UUID) []byte {
	if erase {
		return marshal(&roomv1.StrokesErased{ActionId: action[:], StrokeIds: raw(ids)})
	}
	return marshal(&roomv1.StrokesRestored{ActionId: action[:], StrokeIds: raw(ids)})
}

// marshal encodes messages built here from validated parts, which cannot fail to encode.
func marshal(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("encode %T: %v", m, err))
	}
	return b
}

// visible returns the ids among ids that exist and are visible (want true) or erased (want false).
func visible(room uuid.UUID, ids []uuid.UUID, st map[key]*strokeState, want bool) []uuid.UUID {
	var out []uuid.UUID
	for _, id := range ids {
		if s, ok := st[key{room, id}]; ok && s.erased != want && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func setErased(room uuid.UUID, ids []uuid.UUID, st map[key]*strokeState, erased bool) {
	for _, id := range ids {
		s := st[key{room, id}]
		s.erased, s.changed = erased, true
	}
}

func raw(ids []uuid.UUID) [][]byte {
	out := make([][]byte, len(ids))
	for i := range ids {
		out[i] = ids[i][:]
	}
	return out
}

// loadTiles reads the strokes that erase and restore events touch and that were not added in this
// batch, to know their tiles. A stored stroke that the limits now refuse (stored before they existed)
// is not walked, which could take seconds in this transaction: its event is indexed without its tiles
// and the readers of tiles skip it anyway.
func (s *Store) loadTiles(ctx context.Context, conn *pgxpool.Conn, created []pending, st map[key]*strokeState) error {
	var rs, ids []uuid.UUID
	for _, p := range created {
		if p.kind == events.KindStrokeAdded {
			continue
		}
		for _, id := range p.touched {
			if state := st[key{p.room, id}]; state.tiles == nil {
				rs, ids = append(rs, p.room), append(ids, id)
			}
		}
	}
	if len(rs) == 0 {
		return nil
	}
	rows, err := conn.Query(ctx, loadStrokePayloadsSQL, binaryUUIDs(rs), binaryUUIDs(ids))
	if err != nil {
		return fmt.Errorf("load stroke points: %w", err)
	}
	var k key
	var payload []byte
	_, err = pgx.ForEachRow(rows, []any{(*[16]byte)(&k.room), (*[16]byte)(&k.id), &payload}, func() error {
		var added roomv1.StrokeAdded
		if err := proto.Unmarshal(payload, &added); err != nil {
			return fmt.Errorf("stored stroke %s: %w", k.id, err)
		}
		v, err := strokes.Validate(added.GetStroke())
		if err != nil {
			s.log.Warn("stored stroke exceeds the stroke limits; its erase or restore is indexed without its tiles",
				"room", k.room, "stroke", k.id, "err", err)
			st[k].tiles = []strokes.Tile{}
			return nil
		}
		st[k].tiles = v.Tiles
		return nil
	})
	return err
}

var (
	strokeEventColumns = []string{"room_id", "seq", "kind", "action_id", "author_id", "committed_at", "payload"}
	tileEventColumns   = []string{"room_id", "level", "tx", "ty", "seq", "stroke_id", "kind"}
	strokeColumns      = []string{"room_id", "stroke_id", "author_id", "added_seq", "erased"}
	eraseActionColumns = []string{"room_id", "action_id", "author_id", "seq", "stroke_ids", "undone"}
)

// Bytes of one tile_events and one strokes row in a binary COPY: a field count, and a length before
// every field.
const (
	tileEventRowBytes = 2 + 7*4 + 16 + 2 + 4 + 4 + 8 + 16 + 2
	strokeRowBytes    = 2 + 5*4 + 16 + 16 + 16 + 8 + 1
)

// copyCreated writes the events of the batch, their tile index rows, and the new strokes and erase
// actions: one COPY per table that gets rows.
func copyCreated(ctx context.Context, conn *pgconn.PgConn, now time.Time, created []pending, strokeSt map[key]*strokeState, eraseSt map[key]*eraseState) error {
	eventBytes, tileRows := 0, 0
	for _, p := range created {
		eventBytes += 2 + 7*4 + 3*16 + 8 + 2 + 8 + len(p.payload)
		for _, id := range p.touched {
			tileRows += len(strokeSt[key{p.room, id}].tiles)
		}
	}
	evCopy := newCopyIn("stroke_events", strokeEventColumns, eventBytes)
	tileCopy := newCopyIn("tile_events", tileEventColumns, tileRows*tileEventRowBytes)
	for _, p := range created {
		evCopy.row().uuid(p.room).int64(int64(p.seq)).int16(int16(p.kind)).uuid(p.action).uuid(p.author).timestamptz(now).bytea(p.payload)
		for _, id := range p.touched {
			for _, t := range strokeSt[key{p.room, id}].tiles {
				tileCopy.row().uuid(p.room).int16(int16(t.Level)).int32(t.X).int32(t.Y).int64(int64(p.seq)).uuid(id).int16(int16(p.kind))
			}
		}
	}
	strokeCopy := newCopyIn("strokes", strokeColumns, len(created)*strokeRowBytes)
	for k, s := range strokeSt {
		if s.isNew {
			strokeCopy.row().uuid(k.room).uuid(k.id).uuid(s.author).int64(int64(s.addedSeq)).bool(s.erased)
		}
	}
	eraseCopy := newCopyIn("erase_actions", eraseActionColumns, 0)
	for k, a := range eraseSt {
		if a.isNew {
			eraseCopy.row().uuid(k.room).uuid(k.id).uuid(a.author).int64(int64(a.seq)).uuidArray(a.strokes).bool(a.undone)
		}
	}
	for _, c := range []*copyIn{evCopy, tileCopy, strokeCopy, eraseCopy} {
		if err := c.send(ctx, conn); err != nil {
			return err
		}
	}
	return nil
}

// updateAndCommit stores the changed visibility of existing strokes and erase actions and the new room
// heads, and commits, in one pipelined round trip. The commit's own answer decides: PostgreSQL answers
// ROLLBACK to a COMMIT of a transaction that failed.
func updateAndCommit(ctx context.Context, conn *pgxpool.Conn, heads map[uuid.UUID]uint64, strokeSt map[key]*strokeState, eraseSt map[key]*eraseState) error {
	b := &pgx.Batch{}
	var chR, chID []uuid.UUID
	var chErased []bool
	for k, s := range strokeSt {
		if s.changed && !s.isNew {
			chR, chID, chErased = append(chR, k.room), append(chID, k.id), append(chErased, s.erased)
		}
	}
	if len(chR) > 0 {
		b.Queue(`update strokes s set erased = v.erased
			from unnest($1::uuid[], $2::uuid[], $3::bool[]) v(room_id, stroke_id, erased)
			where s.room_id = v.room_id and s.stroke_id = v.stroke_id`, binaryUUIDs(chR), binaryUUIDs(chID), chErased)
	}
	var aR, aID []uuid.UUID
	var aUndone []bool
	for k, a := range eraseSt {
		if a.changed && !a.isNew {
			aR, aID, aUndone = append(aR, k.room), append(aID, k.id), append(aUndone, a.undone)
		}
	}
	if len(aR) > 0 {
		b.Queue(`update erase_actions a set undone = v.undone
			from unnest($1::uuid[], $2::uuid[], $3::bool[]) v(room_id, action_id, undone)
			where a.room_id = v.room_id and a.action_id = v.action_id`, binaryUUIDs(aR), binaryUUIDs(aID), aUndone)
	}
	var hR []uuid.UUID
	var hSeq []int64
	for r, h := range heads {
		hR, hSeq = append(hR, r), append(hSeq, int64(h))
	}
	b.Queue(`update room_heads h set head_seq = v.head_seq, updated_at = now()
		from unnest($1::uuid[], $2::bigint[]) v(room_id, head_seq)
		where h.room_id = v.room_id and h.head_seq <> v.head_seq`, binaryUUIDs(hR), hSeq)
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

// EventsAfter implements events.Store. The query is a range scan of the (room_id, seq) primary key.
func (s *Store) EventsAfter(ctx context.Context, room uuid.UUID, after uint64, page events.Page) ([]events.Event, uint64, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, 0, err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	var head int64
	if err := tx.QueryRow(ctx, `select coalesce((select head_seq from room_heads where room_id = $1), 0)`, room).Scan(&head); err != nil {
		return nil, 0, fmt.Errorf("read head: %w", err)
	}
	rows, err := tx.Query(ctx, EventsAfterSQL, room, int64(after), page.Limit, events.EventFraming, page.Bytes-events.PageFraming)
	if err != nil {
		return nil, 0, fmt.Errorf("read events: %w", err)
	}
	defer rows.Close()
	var out []events.Event
	for rows.Next() {
		var seq int64
		var kind int16
		var author uuid.UUID
		var at time.Time
		var payload []byte
		if err := rows.Scan(&seq, &kind, &author, &at, &payload); err != nil {
			return nil, 0, err
		}
		out = append(out, events.EncodeRoomEvent(uint64(seq), at.UnixMilli(), author.String(), events.Kind(kind), payload))
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	return out, uint64(head), nil
}

// EventsAfterSQL is the catch-up query: a range scan of the (room_id, seq) primary key (tests check its
// plan) that stops after $3 events and keeps the first one and those whose running size (payload plus $4
// each) stays within $5. octet_length reads a compressed or TOASTed payload's size from its header, so
// the payloads of the events left out are neither decompressed nor fetched from the TOAST table.
const EventsAfterSQL = `select seq, kind, author_id, committed_at, payload from (
		select seq, kind, author_id, committed_at, payload,
			row_number() over w as n, sum(octet_length(payload) + $4) over w as bytes
		from stroke_events where room_id = $1 and seq > $2
		window w as (order by seq)
		order by seq limit $3) page
	where n = 1 or bytes <= $5
	order by seq`

// Head implements events.Store.
func (s *Store) Head(ctx context.Context, room uuid.UUID) (uint64, error) {
	var head int64
	err := s.pool.QueryRow(ctx, `select head_seq from room_heads where room_id = $1`, room).Scan(&head)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return uint64(head), err
}

// Purge implements events.Store. The head row stays, so sequence numbers never restart in a room id.
func (s *Store) Purge(ctx context.Context, room uuid.UUID) (int64, error) {
	var n int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `select 1 from room_heads where room_id = $1 for update`, room); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `delete from stroke_events where room_id = $1`, room)
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		for _, q := range []string{`delete from tile_events where room_id = $1`, `delete from strokes where room_id = $1`,
			`delete from erase_actions where room_id = $1`} {
			if _, err := tx.Exec(ctx, q, room); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}
