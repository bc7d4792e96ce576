package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/infidraw/infidraw/shared-go/localtest"
)

// planRows begins a transaction in which the tile index, tile_snapshots, strokes and stroke_events hold
// enough rows (100 rooms of 20 x 20 level-0 tiles, a fifth of the strokes erased) that a table scan would
// be the wrong plan, and returns it with one of those rooms. The rows only exist for the plans: the
// transaction is rolled back when the test ends.
func planRows(t *testing.T) (pgx.Tx, uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	db, err := testPool(t).Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Rollback(ctx) })
	for _, q := range []string{
		`create temp table rooms on commit drop as select gen_random_uuid() as id from generate_series(1, 100)`,
		`insert into tile_events (room_id, level, tx, ty, seq, stroke_id, kind)
			select r.id, 0, x, y, (x * 20 + y) + 1, gen_random_uuid(), case when (x + y) % 7 = 0 then 2 else 1 end
			from rooms r, generate_series(0, 19) x, generate_series(0, 19) y`,
		`insert into tile_snapshots (room_id, level, tx, ty, covers_seq, object_key, size_bytes)
			select r.id, 0, x, y, s, 'k', 1 from rooms r, generate_series(0, 9) x, generate_series(0, 9) y, generate_series(1, 5) s`,
		`insert into strokes (room_id, stroke_id, author_id, added_seq, erased)
			select room_id, stroke_id, gen_random_uuid(), seq, seq % 5 = 0 from tile_events where room_id in (select id from rooms)`,
		`insert into stroke_events (room_id, seq, kind, action_id, author_id, payload)
			select room_id, seq, 1, gen_random_uuid(), gen_random_uuid(), '\x00' from tile_events where room_id in (select id from rooms)`,
		`analyze tile_events`, `analyze tile_snapshots`, `analyze strokes`, `analyze stroke_events`,
	} {
		if _, err := db.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var room uuid.UUID
	if err := db.QueryRow(ctx, `select id from rooms limit 1`).Scan(&room); err != nil {
		t.Fatal(err)
	}
	return db, room
}

// checkPlan fails t unless the plan of sql with args uses every one of indexes and scans no table.
func checkPlan(t *testing.T, db pgx.Tx, sql string, args []any, indexes ...string) {
	t.Helper()
	var plan []byte
	if err := db.QueryRow(context.Background(), "explain (format json) "+sql, args...).Scan(&plan); err != nil {
		t.Fatal(err)
	}
	var nodes []struct {
		Plan map[string]any `json:"Plan"`
	}
	if err := json.Unmarshal(plan, &nodes); err != nil {
		t.Fatal(err)
	}
	for _, ix := range indexes {
		if !localtest.PlanUsesIndex(nodes[0].Plan, ix) {
			t.Fatalf("plan does not use %s: %s", ix, plan)
		}
	}
	if strings.Contains(string(plan), `"Seq Scan"`) {
		t.Fatalf("plan scans a table: %s", plan)
	}
}
