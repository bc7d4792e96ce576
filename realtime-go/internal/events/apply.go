package events

import (
	"bytes"
	"context"
	"slices"
	"time"

	"github.com/google/uuid"
)

// Apply decides cmds by the rules (rules.go) and stores the decision through store, in one transaction.
// It returns one Result per command (a refused command has Err set and does not affect the others) and
// the events created, per room in sequence order. An error means nothing was stored.
func Apply(ctx context.Context, store Store, cmds []Command) ([]Result, map[uuid.UUID][]Event, error) {
	var results []Result
	var w *Writes
	err := store.Commit(ctx, lookupFor(cmds), func(st *State) *Writes {
		// Taken under the rooms' locks, so that a room's later events never carry an earlier time from
		// this process.
		results, w = decide(cmds, st, time.Now())
		return w
	})
	if err != nil {
		return nil, nil, err
	}
	out := make(map[uuid.UUID][]Event)
	ms := w.At.UnixMilli()
	for i := range w.Events {
		e := &w.Events[i]
		ev := EncodeRoomEvent(e.Seq, ms, e.Author.String(), e.Kind, e.Payload)
		ev.Area = e.Area
		out[e.Room] = append(out[e.Room], ev)
	}
	return results, out, nil
}

// lookupFor names what the rules read to decide cmds. Every command's own id is looked up as an erase
// action as well as a stroke: ids are unique across both in a room, so that undo never finds someone
// else's action under one's own id.
func lookupFor(cmds []Command) *Lookup {
	l := &Lookup{Rooms: make([]uuid.UUID, 0, len(cmds)), Erases: make([]Key, 0, len(cmds)), Added: make([]Key, 0, len(cmds))}
	for i := range cmds {
		c := &cmds[i]
		k := Key{c.Room, c.ActionID}
		l.Rooms = append(l.Rooms, c.Room)
		l.Erases = append(l.Erases, k)
		switch c.Op {
		case OpAddStroke:
			l.Added = append(l.Added, k)
		case OpUndo, OpRedo:
			l.Strokes = append(l.Strokes, k)
		case OpErase, OpRevert:
			l.Strokes = append(l.Strokes, k)
			for _, id := range c.StrokeIDs {
				l.Strokes = append(l.Strokes, Key{c.Room, id})
			}
			for _, id := range c.Restore {
				l.Strokes = append(l.Strokes, Key{c.Room, id})
			}
		}
	}
	slices.SortFunc(l.Rooms, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	l.Rooms = slices.Compact(l.Rooms)
	return l
}
