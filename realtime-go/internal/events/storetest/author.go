package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/infidraw/infidraw/realtime-go/internal/events"
)

// What an author did since a point, as the lists of the revert that undoes it: what undoing the author's
// erases and reverts since, newest first, then erasing the author's strokes since would change. Undone
// actions, actions before the point and what others did are left out. The revert of those lists leaves
// nothing of the author's since the point to revert.
func testAuthorChanges(t *testing.T, store events.Store) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n := names{}
	room := n.room("")
	apply := func(cs ...cmd) {
		t.Helper()
		cmds := make([]events.Command, len(cs))
		for i, c := range cs {
			cmds[i] = c.command(t, n)
		}
		results, _, err := events.Apply(ctx, store, cmds)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range results {
			if r.Err != nil {
				t.Fatalf("%s: %v", cs[i], r.Err)
			}
		}
	}
	apply(add("ann", "s1"), add("ann", "s2"), add("ann", "s3"), add("vic", "v0"), erase("vic", "e0", "s3"))
	const point = 5
	apply(add("vic", "v1"), add("vic", "v2"), add("vic", "v3"), add("vic", "v4"))
	apply(erase("vic", "e1", "s1", "v0"), revert("vic", "r1", []string{"s2"}, []string{"s3"}))
	apply(undo("vic", "v3"), erase("ann", "ea", "v2"), revert("ann", "ra", nil, []string{"s1"}))
	apply(erase("vic", "e2", "v4"), undo("vic", "e2"), add("vic", "v5"), erase("vic", "e3", "v5"))

	named := func(ids []uuid.UUID) []string {
		out := []string{}
		for _, id := range ids {
			out = append(out, n.nameOf(id))
		}
		slices.Sort(out)
		return out
	}
	for _, tc := range []struct {
		name           string
		author         string
		since          uint64
		erase, restore []string
	}{
		// Undoing vic's actions since the point, newest first: e3 restores v5, r1 erases s3 and restores
		// s2, e1 restores v0 (s1 is visible: ann restored it); e2 is undone. Then vic's strokes go: v1 and
		// v4 were visible, v2 (erased by ann), v3 (by vic's undo) and v5 were not.
		{"vic since the point", "vic", point, []string{"s3", "v1", "v4"}, []string{"s2", "v0"}},
		// e0 counts too: it erased s3, which r1 restored, and v0 is vic's own, so both stay as they are.
		{"vic since the start", "vic", 0, []string{"v1", "v4"}, []string{"s2"}},
		{"ann since the point", "ann", point, []string{"s1"}, []string{"v2"}},
		// ann's strokes go too: s1 and s3 were visible, s2 is erased (vic's r1).
		{"ann since the start", "ann", 0, []string{"s1", "s3"}, []string{"v2"}},
		{"someone who did nothing", "cy", 0, []string{}, []string{}},
		{"vic since the head", "vic", 19, []string{}, []string{}},
		{"vic since beyond the head", "vic", 1000, []string{}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := events.AuthorChanges(ctx, store, room, n.id(tc.author), tc.since)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(named(got.Erase), tc.erase) || !slices.Equal(named(got.Restore), tc.restore) || got.Head != 19 {
				t.Fatalf("erase %v restore %v head %d, want %v %v 19", named(got.Erase), named(got.Restore), got.Head, tc.erase, tc.restore)
			}
		})
	}
	t.Run("more events since the point than the bound", func(t *testing.T) {
		if _, err := store.AuthorHistory(ctx, room, n.id("vic"), 0, 18); !errors.Is(err, events.ErrTooMuchHistory) {
			t.Fatalf("19 events after 0 with a bound of 18: %v, want ErrTooMuchHistory", err)
		}
		if _, err := store.AuthorHistory(ctx, room, n.id("vic"), 1, 18); err != nil {
			t.Fatalf("18 events after 1 with a bound of 18: %v", err)
		}
	})
	t.Run("its revert undoes what vic did", func(t *testing.T) {
		got, err := events.AuthorChanges(ctx, store, room, n.id("vic"), point)
		if err != nil {
			t.Fatal(err)
		}
		results, _, err := events.Apply(ctx, store, []events.Command{{Op: events.OpRevert, Room: room, Author: n.id("ann"), ActionID: n.id("undo vic"),
			StrokeIDs: got.Erase, Restore: got.Restore}})
		if err != nil || results[0].Err != nil {
			t.Fatalf("revert: %v %v", err, results[0].Err)
		}
		after, err := events.AuthorChanges(ctx, store, room, n.id("vic"), point)
		if err != nil || len(after.Erase)+len(after.Restore) != 0 {
			t.Fatalf("after the revert: %+v %v, want nothing left to revert", after, err)
		}
	})
}
