package events

import (
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	roomv1 "github.com/infidraw/infidraw/gen/go/infidraw/room/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// The rules of a room's write side. They decide a batch from its commands and what the store reported,
// and from nothing else:
//   - A stroke id or erase action id belongs to the first author who uses it, and ids are unique across
//     the strokes and erase actions of a room.
//   - The same stroke again from its author is a duplicate (the original's sequence number); any other
//     use of a taken id is a conflict.
//   - An erase again from its author naming at least the strokes it erased is a duplicate; any other use
//     of its id is a conflict.
//   - An erase may hide anyone's strokes (the transports let only editors send it). It hides the strokes
//     of its request that exist and are visible, and is refused (not found) when there is none.
//   - Undo and redo act on one's own actions only. Undoing a stroke erases it and redoing restores it;
//     undoing an erase restores its strokes that are still erased and redoing erases those visible
//     again. An undo or redo that finds its action in the requested state changes nothing and is a
//     duplicate carrying the room's head.
//   - Every event takes its room's next sequence number, in command order.

// decide applies the rules to cmds in order, given what the store found (st, which it leaves
// unchanged), and returns each command's result and the writes that store them, with events committed
// at now.
func decide(cmds []Command, st *State, now time.Time) ([]Result, *Writes) {
	b := batch{
		heads:   make(map[uuid.UUID]uint64, len(st.Heads)),
		strokes: make(map[Key]strokeEntry, len(st.Strokes)+len(cmds)),
		erases:  make(map[Key]eraseEntry, len(st.Erases)),
		events:  make([]NewEvent, 0, len(cmds)), // a command creates at most one event
	}
	for r, h := range st.Heads {
		b.heads[r] = h
	}
	for k, s := range st.Strokes {
		b.strokes[k] = strokeEntry{StrokeState: s}
	}
	for k, e := range st.Erases {
		b.erases[k] = eraseEntry{EraseState: e}
	}
	results := make([]Result, len(cmds))
	for i := range cmds {
		results[i] = b.apply(&cmds[i])
	}
	return results, b.writes(st, now)
}

// batch is the state of the strokes and erase actions a batch knows, as its commands change it.
type batch struct {
	heads   map[uuid.UUID]uint64
	strokes map[Key]strokeEntry
	erases  map[Key]eraseEntry
	events  []NewEvent
}

type strokeEntry struct {
	StrokeState
	isNew, changed bool
}

type eraseEntry struct {
	EraseState
	isNew, changed bool
}

func (b *batch) apply(c *Command) Result {
	k := Key{c.Room, c.ActionID}
	switch c.Op {
	case OpAddStroke:
		return b.addStroke(c, k)
	case OpErase:
		return b.erase(c, k)
	case OpUndo, OpRedo:
		return b.undoOrRedo(c, k, c.Op == OpUndo)
	}
	return Result{Err: Errorf(CodeInvalid, "unknown operation %d", c.Op)}
}

func (b *batch) addStroke(c *Command, k Key) Result {
	if s, ok := b.strokes[k]; ok {
		// A retry is the same stroke from the same author; anything else would take over the id.
		if s.Author != c.Author || !proto.Equal(s.Stroke, c.Stroke.Msg) {
			return Result{Err: conflict("stroke", k.ID)}
		}
		return Result{Seq: s.AddedSeq, Duplicate: true}
	}
	if _, ok := b.erases[k]; ok {
		return Result{Err: conflict("stroke", k.ID)}
	}
	seq := b.event(c, KindStrokeAdded, marshal(&roomv1.StrokeAdded{Stroke: c.Stroke.Msg}), nil, c.Stroke.Tiles)
	b.strokes[k] = strokeEntry{StrokeState: StrokeState{Author: c.Author, AddedSeq: seq, Stroke: c.Stroke.Msg}, isNew: true}
	return Result{Seq: seq}
}

func (b *batch) erase(c *Command, k Key) Result {
	if e, ok := b.erases[k]; ok {
		// The stored erase holds the strokes that were visible when it ran, a subset of those its
		// request named: a retry names them all again.
		if e.Author != c.Author || !subset(e.Strokes, c.StrokeIDs) {
			return Result{Err: conflict("erase", k.ID)}
		}
		return Result{Seq: e.Seq, Duplicate: true}
	}
	if _, ok := b.strokes[k]; ok {
		return Result{Err: conflict("erase", k.ID)}
	}
	ids := b.withErased(c.Room, c.StrokeIDs, false)
	if len(ids) == 0 {
		return Result{Err: Errorf(CodeNotFound, "none of the %d strokes is visible in this room", len(c.StrokeIDs))}
	}
	seq := b.event(c, KindStrokesErased, visibilityPayload(true, k.ID, ids), ids, nil)
	b.setErased(c.Room, ids, true)
	b.erases[k] = eraseEntry{EraseState: EraseState{Author: c.Author, Seq: seq, Strokes: ids}, isNew: true}
	return Result{Seq: seq}
}

func (b *batch) undoOrRedo(c *Command, k Key, undo bool) Result {
	if s, ok := b.strokes[k]; ok {
		if s.Author != c.Author {
			return Result{Err: Errorf(CodePermissionDenied, "only its author can undo or redo a stroke")}
		}
		if s.Erased == undo {
			return b.unchanged(c.Room)
		}
		ids := []uuid.UUID{k.ID}
		seq := b.event(c, kindOf(undo), visibilityPayload(undo, k.ID, ids), ids, nil)
		b.setErased(c.Room, ids, undo)
		return Result{Seq: seq}
	}
	if e, ok := b.erases[k]; ok {
		if e.Author != c.Author {
			return Result{Err: Errorf(CodePermissionDenied, "only its author can undo or redo an erase")}
		}
		if e.Undone == undo {
			return b.unchanged(c.Room)
		}
		// The action's state changes even when none of its strokes does, so that the next redo (or
		// undo) acts again.
		e.Undone, e.changed = undo, true
		b.erases[k] = e
		ids := b.withErased(c.Room, e.Strokes, undo)
		if len(ids) == 0 {
			return b.unchanged(c.Room)
		}
		seq := b.event(c, kindOf(!undo), visibilityPayload(!undo, k.ID, ids), ids, nil)
		b.setErased(c.Room, ids, !undo)
		return Result{Seq: seq}
	}
	return Result{Err: Errorf(CodeNotFound, "no stroke or erase %s in this room", k.ID)}
}

// event appends an event of c's room under the room's next sequence number and returns that number.
func (b *batch) event(c *Command, kind Kind, payload []byte, touched []uuid.UUID, tiles []strokes.Tile) uint64 {
	b.heads[c.Room]++
	seq := b.heads[c.Room]
	b.events = append(b.events, NewEvent{Room: c.Room, Seq: seq, Kind: kind, Action: c.ActionID, Author: c.Author,
		Payload: payload, Strokes: touched, Tiles: tiles})
	return seq
}

// unchanged is the result of an undo or redo that finds nothing to change.
func (b *batch) unchanged(room uuid.UUID) Result {
	return Result{Seq: b.heads[room], Duplicate: true}
}

// withErased returns the strokes among ids that exist and whose Erased is erased, each once.
func (b *batch) withErased(room uuid.UUID, ids []uuid.UUID, erased bool) []uuid.UUID {
	var out []uuid.UUID
	for _, id := range ids {
		if s, ok := b.strokes[Key{room, id}]; ok && s.Erased == erased && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func (b *batch) setErased(room uuid.UUID, ids []uuid.UUID, erased bool) {
	for _, id := range ids {
		k := Key{room, id}
		s := b.strokes[k]
		s.Erased, s.changed = erased, true
		b.strokes[k] = s
	}
}

// writes collects what the batch changed: the events, the heads that moved, the new strokes and erase
// actions, and the changed state of stored ones.
func (b *batch) writes(st *State, now time.Time) *Writes {
	w := &Writes{At: now, Events: b.events, Heads: make(map[uuid.UUID]uint64, len(b.heads))}
	for r, h := range b.heads {
		if h != st.Heads[r] {
			w.Heads[r] = h
		}
	}
	w.Strokes = make([]NewStroke, 0, len(b.strokes))
	for k, s := range b.strokes {
		switch {
		case s.isNew:
			w.Strokes = append(w.Strokes, NewStroke{Key: k, StrokeState: s.StrokeState})
		case s.changed:
			w.Erased = append(w.Erased, Flag{Key: k, Value: s.Erased})
		}
	}
	for k, e := range b.erases {
		switch {
		case e.isNew:
			w.Erases = append(w.Erases, NewErase{Key: k, EraseState: e.EraseState})
		case e.changed:
			w.Undone = append(w.Undone, Flag{Key: k, Value: e.Undone})
		}
	}
	return w
}

func conflict(what string, id uuid.UUID) *Error {
	return Errorf(CodeConflict, "the %s id %s is already used by another stroke or action: send it again under a new id", what, id)
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

func kindOf(erase bool) Kind {
	if erase {
		return KindStrokesErased
	}
	return KindStrokesRestored
}

// visibilityPayload encodes the StrokesErased (erase) or StrokesRestored event of an action.
func visibilityPayload(erase bool, action uuid.UUID, ids []uuid.UUID) []byte {
	raw := make([][]byte, len(ids))
	for i := range ids {
		raw[i] = ids[i][:]
	}
	if erase {
		return marshal(&roomv1.StrokesErased{ActionId: action[:], StrokeIds: raw})
	}
	return marshal(&roomv1.StrokesRestored{ActionId: action[:], StrokeIds: raw})
}

// marshal encodes messages built here from validated parts, which cannot fail to encode.
func marshal(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("encode %T: %v", m, err))
	}
	return b
}
