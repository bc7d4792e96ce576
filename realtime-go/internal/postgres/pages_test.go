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

// The catch-up query is a range scan of the (room_id, seq) primary key, not a scan of the table.
func TestEventsAfterUsesRoomSeqIndex(t *testing.T) {
	ctx := context.Background()
	db, err := openPool(t).Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Rollback(ctx) }() // the rows only exist for the plan
	// Enough rows in enough rooms that a table scan would be the wrong plan.
	if _, err := db.Exec(ctx, `insert into stroke_events (room_id, seq, kind, action_id, author_id, payload)
		select r.id, s, $1, gen_random_uuid(), gen_random_uuid(), '\x00'
		from (select gen_random_uuid() as id from generate_series(1, 200)) r, generate_series(1, 50) s`, events.KindStrokeAdded); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `analyze stroke_events`); err != nil {
		t.Fatal(err)
	}
	var plan []byte
	if err := db.QueryRow(ctx, "explain (format json) "+eventsAfterSQL, uuid.New(), 0, 1000, events.EventFraming, 1<<20).Scan(&plan); err != nil {
		t.Fatal(err)
	}
	var nodes []struct {
		Plan map[string]any `json:"Plan"`
	}
	if err := json.Unmarshal(plan, &nodes); err != nil {
		t.Fatal(err)
	}
	if !localtest.PlanUsesIndex(nodes[0].Plan, "stroke_events_pkey") {
		t.Fatalf("plan does not use stroke_events_pkey: %s", plan)
	}
	if strings.Contains(string(plan), `"Seq Scan"`) {
		t.Fatalf("plan scans the table: %s", plan)
	}
}
