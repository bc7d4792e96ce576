package events

import (
	"fmt"
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
//   - An erase or revert again from its author naming at least the strokes it erased (and restored) is
//     a duplicate of its last event; any other use of its id is a conflict.
//   - An erase may hide anyone's strokes (the transports let only editors send it). It hides the strokes
//     of its request that exist and are visible, and is refused (not found) when there is none.
//   - A revert is an erase that also restores: it hides the strokes of its erase list that exist and are
//     visible and shows those of its restore list that exist and are erased, as a StrokesErased then a
//     StrokesRestored event (each only when it has strokes), and is refused (not found) when it would
//     change nothing, or (invalid) when a stroke is in both lists.
//   - Undo and redo act on one's own actions only. Undoing a stroke erases it and redoing restores it;
//     undoing an erase or revert restores the strokes it erased that are still erased and erases those
//     it restored that are still visible, and redoing does the opposite, again as at most a
//     StrokesErased then a StrokesRestored event. An undo or redo that finds its action in the
//     requested state changes nothing and is a duplicate carrying the room's head.
//   - Every event takes its room's next sequence number, in command order.

// decide applies the rules to cmds in order, given what the store found (st, which it leaves
// unchanged), and returns each command's result and the writes that store them, with events committed
// at now.
func decide(cmds []Command, st *State, now time.Time) ([]Result, *Writes) {
	b := batch{
		heads:   make(map[uuid.UUID]uint64, len(st.Heads)),
		strokes: make(map[Key]strokeEntry, len(st.Strokes)+len(cmds)),
		erases:  make(map[Key]eraseEntry, len(st.Erases)),
		events:  make([]NewEvent, 0, len(cmds)), // most commands create one event
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
	case OpErase, OpRevert:
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

// erase decides an erase or a revert (an erase restores nothing).
func (b *batch) erase(c *Command, k Key) Result {
	what := "erase"
	if c.Op == OpRevert {
		what = "revert"
	}
	if e, ok := b.erases[k]; ok {
		// The stored action holds the strokes it changed, subsets of those its request named: a retry
		// names them all again.
		if e.Author != c.Author || !subset(e.Strokes, c.StrokeIDs) || !subset(e.Restored, c.Restore) {
			return Result{Err: conflict(what, k.ID)}
		}
		return Result{Seq: e.Seq, Duplicate: true}
	}
	if _, ok := b.strokes[k]; ok {
		return Result{Err: conflict(what, k.ID)}
	}
	if id, ok := shared(c.Restore, c.StrokeIDs); ok {
		return Result{Err: Errorf(CodeInvalid, "stroke %s is both to erase and to restore", id)}
	}
	erased, restored, seq := b.flip(c, c.StrokeIDs, c.Restore)
	switch {
	case seq != 0:
	case c.Op == OpErase:
		return Result{Err: Errorf(CodeNotFound, "none of the %d strokes is visible in this room", len(c.StrokeIDs))}
	default:
		return Result{Err: Errorf(CodeNotFound, "none of the %d strokes to erase is visible and none of the %d to restore is erased in this room",
			len(c.StrokeIDs), len(c.Restore))}
	}
	b.erases[k] = eraseEntry{EraseState: EraseState{Author: c.Author, Seq: seq, Strokes: erased, Restored: restored}, isNew: true}
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
			return Result{Err: Errorf(CodePermissionDenied, "only its author can undo or redo an erase or revert")}
		}
		if e.Undone == undo {
			return b.unchanged(c.Room)
		}
		// The action's state changes even when none of its strokes does, so that the next redo (or
		// undo) acts again.
		e.Undone, e.changed = undo, true
		b.erases[k] = e
		hide, show := e.Strokes, e.Restored
		if undo {
			hide, show = show, hide
		}
		if _, _, seq := b.flip(c, hide, show); seq != 0 {
			return Result{Seq: seq}
		}
		return b.unchanged(c.Room)
	}
	return Result{Err: Errorf(CodeNotFound, "no stroke, erase or revert %s in this room", k.ID)}
}

// event appends an event of c's room under the room's next sequence number and returns that number.
func (b *batch) event(c *Command, kind Kind, payload []byte, touched []uuid.UUID, tiles []strokes.Tile) uint64 {
	b.heads[c.Room]++
	seq := b.heads[c.Room]
	e := NewEvent{Room: c.Room, Seq: seq, Kind: kind, Action: c.ActionID, Author: c.Author, Payload: payload, Strokes: touched, Tiles: tiles}
	if kind == KindStrokeAdded {
		e.Area = Area{Box: strokes.Bounds(c.Stroke.Msg.GetWidth(), c.Stroke.Points), Known: true}
	}
	b.events = append(b.events, e)
	return seq
}

// flip erases the strokes of hide that exist and are visible and restores those of show that exist and
// are erased, as c's action: a StrokesErased then a StrokesRestored event, each only when it has
// strokes. Both are chosen before either changes, hide and show being disjoint. It returns the strokes
// erased and restored and the sequence number of the last event, 0 when it changed nothing.
func (b *batch) flip(c *Command, hide, show []uuid.UUID) (erased, restored []uuid.UUID, seq uint64) {
	erased, restored = b.withErased(c.Room, hide, false), b.withErased(c.Room, show, true)
	if len(erased) > 0 {
		seq = b.event(c, KindStrokesErased, visibilityPayload(true, c.ActionID, erased), erased, nil)
		b.setErased(c.Room, erased, true)
	}
	if len(restored) > 0 {
		seq = b.event(c, KindStrokesRestored, visibilityPayload(false, c.ActionID, restored), restored, nil)
		b.setErased(c.Room, restored, false)
	}
	return erased, restored, seq
}

// unchanged is the result of an undo or redo that finds nothing to change.
func (b *batch) unchanged(room uuid.UUID) Result {
	return Result{Seq: b.heads[room], Duplicate: true}
}

// withErased returns the strokes among ids that exist and whose Erased is erased, each once, in the
// order of ids.
func (b *batch) withErased(room uuid.UUID, ids []uuid.UUID, erased bool) []uuid.UUID {
	var out []uuid.UUID
	// A set rather than a search of out: a revert names tens of thousands of strokes.
	seen := make(map[uuid.UUID]bool, len(ids))
	for _, id := range ids {
		if s, ok := b.strokes[Key{room, id}]; ok && s.Erased == erased && !seen[id] {
			seen[id] = true
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
	_, missing := firstIn(sub, set, false)
	return !missing
}

// shared returns an id that is in both a and b.
func shared(a, b []uuid.UUID) (uuid.UUID, bool) {
	return firstIn(a, b, true)
}

// firstIn returns the first id of ids whose presence in set is in.
func firstIn(ids, set []uuid.UUID, in bool) (uuid.UUID, bool) {
	if len(ids) == 0 {
		return uuid.Nil, false
	}
	has := make(map[uuid.UUID]bool, len(set))
	for _, id := range set {
		has[id] = true
	}
	for _, id := range ids {
		if has[id] == in {
			return id, true
		}
	}
	return uuid.Nil, false
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
