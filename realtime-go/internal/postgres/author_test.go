package postgres

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/infidraw/infidraw/realtime-go/internal/events"
	"github.com/infidraw/infidraw/shared-go/localtest"
)

// What an author did since a point is read from the point on (a range of the stroke_events primary key)
// and by primary key, never by a scan of a table, even with enough rows that a scan would be the wrong
// plan.
func TestAuthorHistoryQueriesUseIndexes(t *testing.T) {
	ctx := context.Background()
	db, err := openPool(t).Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Rollback(ctx) }() // the rows only exist for the plan
	for _, q := range []string{
		`create temp table rooms on commit drop as select gen_random_uuid() as id from generate_series(1, 200)`,
		`insert into stroke_events (room_id, seq, kind, action_id, author_id, payload)
			select r.id, s, 1 + s % 2, gen_random_uuid(), gen_random_uuid(), '\x00' from rooms r, generate_series(1, 50) s`,
		`insert into strokes (room_id, stroke_id, author_id, added_seq, erased)
			select room_id, action_id, author_id, seq, false from stroke_events where room_id in (select id from rooms)`,
		`insert into erase_actions (room_id, action_id, author_id, seq, stroke_ids)
			select room_id, action_id, author_id, seq, '{}' from stroke_events where room_id in (select id from rooms) and kind = 2`,
		`analyze stroke_events`, `analyze strokes`, `analyze erase_actions`,
	} {
		if _, err := db.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	room, author := uuid.New(), uuid.New()
	ids := make([][16]byte, 300)
	for i := range ids {
		ids[i] = uuid.New()
	}
	args := []any{[16]byte(room), int64(10), [16]byte(author), int16(events.KindStrokeAdded)}
	for _, tc := range []struct {
		name    string
		sql     string
		args    []any
		indexes []string
	}{
		{"strokes added", authorAddedSQL, args, []string{"stroke_events_pkey"}},
		{"erase actions", authorActionsSQL, args, []string{"stroke_events_pkey", "erase_actions_pkey"}},
		{"the strokes' state", strokesErasedSQL, []any{[16]byte(room), ids}, []string{"strokes_pkey"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var plan []byte
			if err := db.QueryRow(ctx, "explain (format json) "+tc.sql, tc.args...).Scan(&plan); err != nil {
				t.Fatal(err)
			}
			var nodes []struct {
				Plan map[string]any `json:"Plan"`
			}
			if err := json.Unmarshal(plan, &nodes); err != nil {
				t.Fatal(err)
			}
			for _, ix := range tc.indexes {
				if !localtest.PlanUsesIndex(nodes[0].Plan, ix) {
					t.Fatalf("plan does not use %s: %s", ix, plan)
				}
			}
			if strings.Contains(string(plan), `"Seq Scan"`) {
				t.Fatalf("plan scans a table: %s", plan)
			}
		})
	}
}
