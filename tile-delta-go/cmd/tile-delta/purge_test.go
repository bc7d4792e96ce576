package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	tilev1 "github.com/infidraw/infidraw/gen/go/infidraw/tile/v1"
	"github.com/infidraw/infidraw/tile-delta-go/internal/objstore"
)

// PurgeRoom, as the gateway calls it after realtime-go's purge of a deleted room, deletes the room's
// snapshot rows and objects, leaves other rooms' snapshots alone, is idempotent, and rejects a bad id.
func TestPurgeRoomDeletesItsSnapshots(t *testing.T) {
	s := startStack(t, "TILE_DELTA_SNAPSHOT_STROKES=2")
	pool := testPool(t)
	store, err := objstore.NewFS(s.objects)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	read := func(room uuid.UUID) *tilev1.GetTilesResponse {
		t.Helper()
		got, err := s.tiles.GetTiles(ctx, &tilev1.GetTilesRequest{RoomId: room.String(), Level: 0,
			Selection: &tilev1.GetTilesRequest_Viewport{Viewport: &tilev1.Viewport{MinX: 0, MinY: 0, MaxX: 51200, MaxY: 25600}}})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	rows := func(room uuid.UUID) int {
		t.Helper()
		var n int
		if err := pool.QueryRow(ctx, `select count(*) from tile_snapshots where room_id = $1`, room).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// snapshotted draws two strokes on each of tiles (0, 0) and (1, 0) and waits for both snapshots.
	snapshotted := func(room uuid.UUID) []string {
		t.Helper()
		if _, err := s.realtime.IngestStrokes(ctx, &realtimev1.IngestStrokesRequest{RoomId: room.String(), AuthorId: uuid.NewString(),
			Strokes: []*strokev1.Stroke{line(10, 40, 246, 40, 8), line(10, 200, 246, 200, 8), line(266, 40, 502, 40, 8), line(266, 200, 502, 200, 8)}}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			var keys []string
			for _, d := range read(room).GetTiles() {
				if d.GetSnapshot() != nil {
					keys = append(keys, d.GetSnapshot().GetKey())
				}
			}
			if len(keys) == 2 {
				waitFollowed(t, pool, room) // the snapshots of the other levels too
				for _, k := range keys {
					if _, err := store.Get(ctx, k); err != nil {
						t.Fatalf("snapshot %s: %v", k, err)
					}
				}
				return keys
			}
			if time.Now().After(deadline) {
				t.Fatalf("room %s: %d snapshots, want 2", room, len(keys))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	deleted, kept := uuid.New(), uuid.New()
	deletedKeys, keptKeys := snapshotted(deleted), snapshotted(kept)
	stored := rows(deleted)
	if stored < 2 {
		t.Fatalf("deleted room has %d snapshot rows before the purge, want at least 2", stored)
	}

	// The gateway's order: realtime-go purges the events, then tile-delta-go the snapshots.
	if _, err := s.realtime.CloseRoom(ctx, &realtimev1.CloseRoomRequest{RoomId: deleted.String(), Purge: true}); err != nil {
		t.Fatal(err)
	}
	got, err := s.tiles.PurgeRoom(ctx, &tilev1.PurgeRoomRequest{RoomId: deleted.String()})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetSnapshotsDeleted() != uint64(stored) {
		t.Fatalf("snapshots_deleted %d, want %d", got.GetSnapshotsDeleted(), stored)
	}
	if n := rows(deleted); n != 0 {
		t.Fatalf("%d snapshot rows left after the purge", n)
	}
	for _, k := range deletedKeys {
		if _, err := store.Get(ctx, k); !errors.Is(err, objstore.ErrNotFound) {
			t.Fatalf("object %s after the purge: %v, want not found", k, err)
		}
	}
	for _, d := range read(deleted).GetTiles() {
		if d.GetSnapshot() != nil {
			t.Fatalf("tile (%d, %d) still has snapshot %s", d.GetCoord().GetX(), d.GetCoord().GetY(), d.GetSnapshot().GetKey())
		}
	}

	// The other room keeps its rows, objects and tiles.
	if n := rows(kept); n != stored { // the same strokes as the deleted room
		t.Fatalf("the other room has %d snapshot rows, want %d", n, stored)
	}
	for _, k := range keptKeys {
		if _, err := store.Get(ctx, k); err != nil {
			t.Fatalf("the other room's object %s: %v", k, err)
		}
	}
	snaps := 0
	for _, d := range read(kept).GetTiles() {
		if d.GetSnapshot() != nil {
			snaps++
		}
	}
	if snaps != 2 {
		t.Fatalf("the other room reads %d tiles with a snapshot, want 2", snaps)
	}

	// Again (the sweeper's retry), and for a room that never had snapshots: nothing to do, no error.
	for _, room := range []uuid.UUID{deleted, uuid.New()} {
		got, err := s.tiles.PurgeRoom(ctx, &tilev1.PurgeRoomRequest{RoomId: room.String()})
		if err != nil || got.GetSnapshotsDeleted() != 0 {
			t.Fatalf("purge again: %v, %v", got, err)
		}
	}
	for _, id := range []string{"", "not-a-uuid"} {
		if _, err := s.tiles.PurgeRoom(ctx, &tilev1.PurgeRoomRequest{RoomId: id}); grpcCode(err) != "InvalidArgument" {
			t.Fatalf("room_id %q: %v, want InvalidArgument", id, err)
		}
	}
}
