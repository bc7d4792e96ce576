package events

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/google/uuid"
)

// Bounds of reverts.
const (
	// MaxRevertIDs bounds the stroke ids of one revert: each of its events then stays under 2 MB, and its
	// commit, which holds its room's write shard, within seconds.
	MaxRevertIDs = 100_000
	// MaxAuthorEvents bounds the events after the point that one AuthorChanges reads.
	MaxAuthorEvents = 1_000_000
)

// ErrTooMuchHistory is returned by AuthorChanges when more than MaxAuthorEvents events follow the point
// or what the author did since needs more than MaxRevertIDs ids to revert.
var ErrTooMuchHistory = errors.New("too much happened since the point: choose a later point")

// AuthorHistory is what an author did in a room after a point, read in one consistent snapshot
// (Store.AuthorHistory).
type AuthorHistory struct {
	// Head is the room's head when read.
	Head uint64
	// Added are the strokes the author added after the point, in sequence order.
	Added []uuid.UUID
	// Actions are the author's erases and reverts committed after the point and not undone, in sequence
	// order.
	Actions []EraseState
	// Erased says, of every stroke of Added and Actions, whether it is erased now.
	Erased map[uuid.UUID]bool
}

// Named returns every stroke of Added and Actions, the strokes whose state Erased holds.
func (h AuthorHistory) Named() []uuid.UUID {
	named := slices.Clone(h.Added)
	for _, a := range h.Actions {
		named = append(append(named, a.Strokes...), a.Restored...)
	}
	return named
}

// Changes are the lists of the revert that undoes what an author did since a point.
type Changes struct {
	// Erase are visible strokes, Restore erased ones, each once.
	Erase, Restore []uuid.UUID
	// Head is the room's head when read.
	Head uint64
}

// AuthorChanges returns the lists of the revert that undoes what author did in room after event since:
// the strokes whose state differs between now and what undoing each of the author's actions since would
// leave, newest first, as the author's own undo does: an erase or revert restores the strokes it erased
// that are erased and erases those it restored that are visible, and a stroke the author added is erased.
// So the visible strokes the author added are erased, the strokes the author's erases and reverts erased
// come back and those they restored go again, while what others did since stays (a stroke the author
// erased and someone restored is left visible), and a stroke the author both added and erased since stays
// erased. Only erases and reverts committed after the point and not undone count.
func AuthorChanges(ctx context.Context, store Store, room, author uuid.UUID, since uint64) (Changes, error) {
	h, err := store.AuthorHistory(ctx, room, author, since, MaxAuthorEvents)
	if err != nil {
		return Changes{}, err
	}
	undone := maps.Clone(h.Erased)
	// set changes the state of the strokes of ids that exist and are in the state from.
	set := func(ids []uuid.UUID, from bool) {
		for _, id := range ids {
			if e, ok := undone[id]; ok && e == from {
				undone[id] = !from
			}
		}
	}
	for _, a := range slices.Backward(h.Actions) {
		set(a.Strokes, true)
		set(a.Restored, false)
	}
	set(h.Added, false)
	out := Changes{Head: h.Head}
	seen := make(map[uuid.UUID]bool, len(undone))
	for _, id := range h.Named() {
		if seen[id] || undone[id] == h.Erased[id] {
			continue
		}
		seen[id] = true
		if undone[id] {
			out.Erase = append(out.Erase, id)
		} else {
			out.Restore = append(out.Restore, id)
		}
	}
	if n := len(out.Erase) + len(out.Restore); n > MaxRevertIDs {
		return Changes{}, fmt.Errorf("%w (reverting it takes %d stroke ids; at most %d)", ErrTooMuchHistory, n, MaxRevertIDs)
	}
	return out, nil
}
