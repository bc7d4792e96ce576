package postgres

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/infidraw/infidraw/realtime-go/internal/events"
)

// What an author did after a point: range scans of the (room_id, seq) primary key of stroke_events from
// the point, then primary-key probes (tests check the plans). The lateral subqueries with their limit keep
// the planner from hash joins over the room's strokes and erase actions.
const (
	authorAddedSQL = `select e.action_id from stroke_events e
		where e.room_id = $1 and e.seq > $2 and e.kind = $4 and e.author_id = $3
		order by e.seq`
	authorActionsSQL = `select a.stroke_ids, a.restored_ids
		from (select distinct e.action_id from stroke_events e
			where e.room_id = $1 and e.seq > $2 and e.kind <> $4 and e.author_id = $3) e
		cross join lateral (select a.seq, a.stroke_ids, a.restored_ids from erase_actions a
			where a.room_id = $1 and a.action_id = e.action_id and a.author_id = $3 and a.seq > $2 and not a.undone limit 1) a
		order by a.seq`
	strokesErasedSQL = `select k.id, s.erased
		from unnest($2::uuid[]) k(id)
		cross join lateral (select erased from strokes s where s.room_id = $1 and s.stroke_id = k.id limit 1) s`
)

// AuthorHistory implements events.Store, in one repeatable-read transaction: the author's strokes added
// after the point, the author's erase actions committed after it and not undone (found through the
// author's erase and restore events after it), and the state of every stroke they name.
func (s *Store) AuthorHistory(ctx context.Context, room, author uuid.UUID, since uint64, maxEvents int) (events.AuthorHistory, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return events.AuthorHistory{}, err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	h := events.AuthorHistory{Erased: map[uuid.UUID]bool{}}
	var head int64
	if err := tx.QueryRow(ctx, `select coalesce((select head_seq from room_heads where room_id = $1), 0)`, room).Scan(&head); err != nil {
		return events.AuthorHistory{}, fmt.Errorf("read head: %w", err)
	}
	h.Head = uint64(head)
	if since >= h.Head {
		return h, nil
	}
	if n := h.Head - since; n > uint64(maxEvents) {
		return events.AuthorHistory{}, fmt.Errorf("%w (%d events after seq %d; at most %d)", events.ErrTooMuchHistory, n, since, maxEvents)
	}
	args := []any{[16]byte(room), int64(since), [16]byte(author), int16(events.KindStrokeAdded)}
	rows, err := tx.Query(ctx, authorAddedSQL, args...)
	if err != nil {
		return events.AuthorHistory{}, fmt.Errorf("read the author's strokes: %w", err)
	}
	var id uuid.UUID
	if _, err := pgx.ForEachRow(rows, []any{(*[16]byte)(&id)}, func() error {
		h.Added = append(h.Added, id)
		return nil
	}); err != nil {
		return events.AuthorHistory{}, fmt.Errorf("read the author's strokes: %w", err)
	}
	rows, err = tx.Query(ctx, authorActionsSQL, args...)
	if err != nil {
		return events.AuthorHistory{}, fmt.Errorf("read the author's erases: %w", err)
	}
	var a events.EraseState
	if _, err := pgx.ForEachRow(rows, []any{&a.Strokes, &a.Restored}, func() error {
		h.Actions = append(h.Actions, a)
		return nil
	}); err != nil {
		return events.AuthorHistory{}, fmt.Errorf("read the author's erases: %w", err)
	}
	named := h.Named()
	if len(named) == 0 {
		return h, nil
	}
	rows, err = tx.Query(ctx, strokesErasedSQL, [16]byte(room), binaryUUIDs(named))
	if err != nil {
		return events.AuthorHistory{}, fmt.Errorf("read the strokes' state: %w", err)
	}
	var erased bool
	if _, err := pgx.ForEachRow(rows, []any{(*[16]byte)(&id), &erased}, func() error {
		h.Erased[id] = erased
		return nil
	}); err != nil {
		return events.AuthorHistory{}, fmt.Errorf("read the strokes' state: %w", err)
	}
	return h, nil
}
