package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/infidraw/infidraw/realtime-go/internal/events"
)

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
	rows, err := tx.Query(ctx, eventsAfterSQL, room, int64(after), page.Limit, events.EventFraming, page.Bytes-events.PageFraming)
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

// eventsAfterSQL is the catch-up query: a range scan of the (room_id, seq) primary key (tests check its
// plan) that stops after $3 events and keeps the first one and those whose running size (payload plus $4
// each) stays within $5. octet_length reads a compressed or TOASTed payload's size from its header, so
// the payloads of the events left out are neither decompressed nor fetched from the TOAST table.
const eventsAfterSQL = `select seq, kind, author_id, committed_at, payload from (
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
