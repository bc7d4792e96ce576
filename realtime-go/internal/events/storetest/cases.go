package storetest

import (
	"fmt"

	"github.com/infidraw/infidraw/realtime-go/internal/events"
)

// A rule case: batches of commands, each with the result it must get, then every event its rooms must
// hold, by names that the run turns into ids of its own.
type ruleCase struct {
	name    string
	batches [][]step
	events  []ev
}

type step struct {
	cmd  cmd
	want want
}

func do(c cmd, w want) step { return step{c, w} }

func batch(steps ...step) []step { return steps }

// cmd is a command by names: its room ("" is room A), author, action id, the strokes it erases and
// those it restores.
type cmd struct {
	op      events.Op
	room    string
	author  string
	id      string
	strokes []string
	restore []string
	// other marks a stroke whose content differs from the stroke its id names elsewhere in the case.
	other bool
}

func add(author, id string) cmd { return cmd{op: events.OpAddStroke, author: author, id: id} }
func addOther(author, id string) cmd {
	return cmd{op: events.OpAddStroke, author: author, id: id, other: true}
}
func undo(author, id string) cmd { return cmd{op: events.OpUndo, author: author, id: id} }
func redo(author, id string) cmd { return cmd{op: events.OpRedo, author: author, id: id} }

func erase(author, id string, ids ...string) cmd {
	return cmd{op: events.OpErase, author: author, id: id, strokes: ids}
}

// revert erases the strokes of hide and restores those of show as one action.
func revert(author, id string, hide, show []string) cmd {
	return cmd{op: events.OpRevert, author: author, id: id, strokes: hide, restore: show}
}

// in moves a command to room.
func (c cmd) in(room string) cmd {
	c.room = room
	return c
}

// want is the result a command must get: a new event, a duplicate, or a refusal with a code.
type want struct {
	seq  uint64
	dup  bool
	code events.Code
}

func ok(seq uint64) want            { return want{seq: seq} }
func dup(seq uint64) want           { return want{seq: seq, dup: true} }
func refused(code events.Code) want { return want{code: code} }

func resultOf(r events.Result) want {
	if r.Err != nil {
		return want{code: events.CodeOf(r.Err)}
	}
	return want{seq: r.Seq, dup: r.Duplicate}
}

func (w want) String() string {
	switch {
	case w.code != 0:
		return fmt.Sprintf("refused with code %d", w.code)
	case w.dup:
		return fmt.Sprintf("duplicate of seq %d", w.seq)
	}
	return fmt.Sprintf("seq %d", w.seq)
}

// ev is an event by names; a room's events are listed in their order.
type ev struct {
	kind    events.Kind
	room    string
	author  string
	action  string
	strokes []string
	other   bool
}

func added(author, id string) ev {
	return ev{kind: events.KindStrokeAdded, author: author, action: id, strokes: []string{id}}
}

func erased(author, action string, ids ...string) ev {
	return ev{kind: events.KindStrokesErased, author: author, action: action, strokes: ids}
}

func restored(author, action string, ids ...string) ev {
	return ev{kind: events.KindStrokesRestored, author: author, action: action, strokes: ids}
}

// in moves an event to room.
func (e ev) in(room string) ev {
	e.room = room
	return e
}

var (
	conflict     = refused(events.CodeConflict)
	notFound     = refused(events.CodeNotFound)
	notPermitted = refused(events.CodePermissionDenied)
)

// The rules (package events, rules.go), case by case. Authors are ann, bob and cy; s… are strokes,
// e… erase actions, r… reverts.
var ruleCases = []ruleCase{
	{
		name: "a stroke takes its room's next sequence number",
		batches: [][]step{
			batch(do(add("ann", "s1"), ok(1))),
			batch(do(add("bob", "s2"), ok(2)), do(add("ann", "s3"), ok(3))),
		},
		events: []ev{added("ann", "s1"), added("bob", "s2"), added("ann", "s3")},
	},
	{
		name: "the same stroke again from its author is a duplicate of the first",
		batches: [][]step{
			batch(do(add("ann", "s1"), ok(1)), do(add("ann", "s1"), dup(1))),
			batch(do(add("ann", "s1"), dup(1)), do(add("ann", "s2"), ok(2))),
		},
		events: []ev{added("ann", "s1"), added("ann", "s2")},
	},
	{
		name: "a stroke id of another author is a conflict whatever the content",
		batches: [][]step{
			batch(do(add("ann", "s1"), ok(1))),
			batch(do(add("bob", "s1"), conflict), do(addOther("bob", "s1"), conflict)),
			batch(do(add("ann", "s1"), dup(1))),
		},
		events: []ev{added("ann", "s1")},
	},
	{
		name: "other content under one's own stroke id is a conflict",
		batches: [][]step{
			batch(do(add("ann", "s1"), ok(1))),
			batch(do(addOther("ann", "s1"), conflict), do(add("ann", "s2"), ok(2)), do(addOther("ann", "s2"), conflict)),
		},
		events: []ev{added("ann", "s1"), added("ann", "s2")},
	},
	{
		name: "stroke ids and erase ids never mix",
		batches: [][]step{
			batch(do(add("ann", "s1"), ok(1)), do(erase("ann", "e1", "s1"), ok(2))),
			batch(do(add("ann", "e1"), conflict), do(erase("ann", "s1", "s1"), conflict), do(erase("bob", "s1", "s1"), conflict)),
			batch(do(undo("ann", "e1"), ok(3))),
		},
		events: []ev{added("ann", "s1"), erased("ann", "e1", "s1"), restored("ann", "e1", "s1")},
	},
	{
		name: "anyone may erase anyone's strokes",
		batches: [][]step{
			batch(do(add("ann", "s1"), ok(1)), do(add("bob", "s2"), ok(2))),
			batch(do(erase("cy", "e1", "s1", "s2"), ok(3))),
		},
		events: []ev{added("ann", "s1"), added("bob", "s2"), erased("cy", "e1", "s1", "s2")},
	},
	{
		name: "an erase again from its author naming what it erased is a duplicate",
		batches: [][]step{
			batch(do(add("ann", "s1"), ok(1)), do(add("ann", "s2"), ok(2)), do(erase("bob", "e1", "s1", "s2"), ok(3))),
			batch(do(erase("bob", "e1", "s2", "s1"), dup(3)), do(erase("bob", "e1", "s1", "s2", "s3"), dup(3))),
		},
		events: []ev{added("ann", "s1"), added("ann", "s2"), erased("bob", "e1", "s1", "s2")},
	},
	{
		name: "an erase id used for other strokes or by another author is a conflict",
		batches: [][]step{
			batch(do(add("ann", "s1"), ok(1)), do(add("ann", "s2"), ok(2)), do(erase("bob", "e1", "s1", "s2"), ok(3))),
			batch(do(erase("bob", "e1", "s1"), conflict), do(erase("ann", "e1", "s1", "s2"), conflict)),
		},
		events: []ev{added("ann", "s1"), added("ann", "s2"), erased("bob", "e1", "s1", "s2")},
	},
	{
		name: "an erase hides only the strokes that exist and are visible",
		batches: [][]step{
			batch(do(add("ann", "s1"), ok(1)), do(add("ann", "s2"), ok(2))),
			// A refused erase stores nothing, its id included.
			batch(do(erase("bob", "e1", "missing"), notFound)),
			batch(do(erase("bob", "e1", "s1", "missing", "s1"), ok(3))),
			batch(do(erase("bob", "e2", "s1"), notFound), do(erase("bob", "e1", "s1", "missing"), dup(3))),
			batch(do(erase("bob", "e2", "s1", "s2"), ok(4))),
		},
		events: []ev{added("ann", "s1"), added("ann", "s2"), erased("bob", "e1", "s1"), erased("bob", "e2", "s2")},
	},
	{
		name: "only its author undoes or redoes a stroke, and once",
		batches: [][]step{
			batch(do(add("ann", "s1"), ok(1))),
			batch(do(undo("bob", "s1"), notPermitted), do(redo("bob", "s1"), notPermitted)),
			batch(do(undo("ann", "s1"), ok(2))),
			batch(do(undo("ann", "s1"), dup(2))),
			batch(do(redo("ann", "s1"), ok(3))),
			batch(do(redo("ann", "s1"), dup(3))),
		},
		events: []ev{added("ann", "s1"), erased("ann", "s1", "s1"), restored("ann", "s1", "s1")},
	},
	{
		name: "only its author undoes or redoes an erase, and once",
		batches: [][]step{
			batch(do(add("ann", "s1"), ok(1)), do(add("ann", "s2"), ok(2)), do(erase("bob", "e1", "s1", "s2"), ok(3))),
			batch(do(undo("ann", "e1"), notPermitted)),
			batch(do(undo("bob", "e1"), ok(4))),
			batch(do(undo("bob", "e1"), dup(4)), do(redo("ann", "e1"), notPermitted)),
			batch(do(redo("bob", "e1"), ok(5))),
			batch(do(redo("bob", "e1"), dup(5))),
		},
		events: []ev{added("ann", "s1"), added("ann", "s2"), erased("bob", "e1", "s1", "s2"),
			restored("bob", "e1", "s1", "s2"), erased("bob", "e1", "s1", "s2")},
	},
	{
		name: "undo and redo of an erase act on its strokes that are still in its state",
		batches: [][]step{
			batch(do(add("ann", "s1"), ok(1)), do(add("ann", "s2"), ok(2)), do(erase("bob", "e1", "s1", "s2"), ok(3))),
			batch(do(undo("bob", "e1"), ok(4))),
			batch(do(erase("cy", "e2", "s1"), ok(5))),
			batch(do(redo("bob", "e1"), ok(6))),
			batch(do(undo("cy", "e2"), ok(7))),
			batch(do(undo("bob", "e1"), ok(8))),
		},
		events: []ev{added("ann", "s1"), added("ann", "s2"), erased("bob", "e1", "s1", "s2"), restored("bob", "e1", "s1", "s2"),
			erased("cy", "e2", "s1"), erased("bob", "e1", "s2"), restored("cy", "e2", "s1"), restored("bob", "e1", "s2")},
	},
	{
		name: "an undo with nothing to restore still turns its erase",
		batches: [][]step{
			batch(do(add("ann", "s1"), ok(1)), do(erase("bob", "e1", "s1"), ok(2))),
			// The author's redo of her stroke restores it over bob's erase.
			batch(do(redo("ann", "s1"), ok(3))),
			batch(do(undo("bob", "e1"), dup(3))),
			batch(do(redo("bob", "e1"), ok(4))),
		},
		events: []ev{added("ann", "s1"), erased("bob", "e1", "s1"), restored("ann", "s1", "s1"), erased("bob", "e1", "s1")},
	},
	{
		name: "undo or redo of an unknown action is not found",
		batches: [][]step{
			batch(do(undo("ann", "x"), notFound), do(redo("ann", "x"), notFound)),
		},
	},
	{
		name: "one batch may add, erase, undo and redo the same strokes",
		batches: [][]step{
			batch(
				do(add("ann", "s1"), ok(1)), do(add("ann", "s2"), ok(2)), do(erase("bob", "e1", "s1", "s2"), ok(3)),
				do(undo("bob", "e1"), ok(4)), do(redo("bob", "e1"), ok(5)), do(undo("ann", "s2"), dup(5)),
				do(add("ann", "s1"), dup(1)), do(undo("bob", "e1"), ok(6)), do(redo("ann", "s2"), dup(6)),
			),
			// What the batch left is what the next one finds.
			batch(do(undo("bob", "e1"), dup(6)), do(erase("cy", "e2", "s1", "s2"), ok(7))),
		},
		events: []ev{added("ann", "s1"), added("ann", "s2"), erased("bob", "e1", "s1", "s2"), restored("bob", "e1", "s1", "s2"),
			erased("bob", "e1", "s1", "s2"), restored("bob", "e1", "s1", "s2"), erased("cy", "e2", "s1", "s2")},
	},
	{
		name: "every room keeps its own gapless sequence in a mixed batch",
		batches: [][]step{
			batch(
				do(add("ann", "s1"), ok(1)), do(add("bob", "t1").in("B"), ok(1)), do(erase("ann", "e1", "s1"), ok(2)),
				do(add("ann", "s1"), dup(1)), do(undo("bob", "t1").in("B"), ok(2)), do(add("bob", "s1"), conflict),
				do(add("bob", "t2").in("B"), ok(3)), do(undo("ann", "x"), notFound), do(add("bob", "s1").in("B"), ok(4)),
				do(add("ann", "s2"), ok(3)),
			),
			batch(do(add("bob", "t3").in("B"), ok(5)), do(add("ann", "s3"), ok(4))),
		},
		events: []ev{
			added("ann", "s1"), erased("ann", "e1", "s1"), added("ann", "s2"), added("ann", "s3"),
			added("bob", "t1").in("B"), erased("bob", "t1", "t1").in("B"), added("bob", "t2").in("B"),
			added("bob", "s1").in("B"), added("bob", "t3").in("B"),
		},
	},
	{
		name: "a revert erases and restores as one action, in two events in a row",
		batches: [][]step{
			batch(do(add("ann", "s1"), ok(1)), do(add("ann", "s2"), ok(2)), do(add("bob", "s3"), ok(3)), do(erase("bob", "e1", "s3"), ok(4))),
			batch(do(revert("cy", "r1", []string{"s1", "s2"}, []string{"s3"}), ok(6)), do(add("ann", "s4"), ok(7))),
		},
		events: []ev{added("ann", "s1"), added("ann", "s2"), added("bob", "s3"), erased("bob", "e1", "s3"),
			erased("cy", "r1", "s1", "s2"), restored("cy", "r1", "s3"), added("ann", "s4")},
	},
	{
		name: "a revert changes only the strokes it can, and is refused when it would change none",
		batches: [][]step{
			batch(do(add("ann", "s1"), ok(1)), do(add("ann", "s2"), ok(2)), do(erase("bob", "e1", "s2"), ok(3))),
			// A refused revert stores nothing, its id included.
			batch(do(revert("cy", "r1", []string{"s2", "missing"}, []string{"s1", "gone"}), notFound)),
			batch(do(revert("cy", "r1", []string{"s1", "s1", "missing"}, []string{"gone"}), ok(4))),
			batch(do(revert("cy", "r2", []string{"s1"}, []string{"s2", "s2"}), ok(5))),
		},
		events: []ev{added("ann", "s1"), added("ann", "s2"), erased("bob", "e1", "s2"), erased("cy", "r1", "s1"), restored("cy", "r2", "s2")},
	},
	{
		name: "a revert again from its author naming what it changed is a duplicate of its last event",
		batches: [][]step{
			batch(do(add("ann", "s1"), ok(1)), do(add("ann", "s2"), ok(2)), do(erase("bob", "e1", "s2"), ok(3))),
			batch(do(revert("cy", "r1", []string{"s1"}, []string{"s2"}), ok(5))),
			batch(do(revert("cy", "r1", []string{"s1"}, []string{"s2"}), dup(5)), do(revert("cy", "r1", []string{"s1", "x"}, []string{"y", "s2"}), dup(5))),
		},
		events: []ev{added("ann", "s1"), added("ann", "s2"), erased("bob", "e1", "s2"), erased("cy", "r1", "s1"), restored("cy", "r1", "s2")},
	},
	{
		name: "a revert id used for other strokes, by another author, or as a stroke or erase id is a conflict",
		batches: [][]step{
			batch(do(add("ann", "s1"), ok(1)), do(add("ann", "s2"), ok(2)), do(add("ann", "s3"), ok(3)), do(erase("bob", "e1", "s2"), ok(4))),
			batch(do(revert("cy", "r1", []string{"s1"}, []string{"s2"}), ok(6))),
			batch(
				do(revert("cy", "r1", []string{"s1"}, nil), conflict), do(revert("cy", "r1", nil, []string{"s2"}), conflict),
				do(revert("bob", "r1", []string{"s1"}, []string{"s2"}), conflict), do(erase("cy", "r1", "s1"), conflict),
				do(add("cy", "r1"), conflict), do(revert("ann", "s3", []string{"s3"}, nil), conflict),
				do(revert("bob", "e1", []string{"s3"}, nil), conflict),
			),
		},
		events: []ev{added("ann", "s1"), added("ann", "s2"), added("ann", "s3"), erased("bob", "e1", "s2"),
			erased("cy", "r1", "s1"), restored("cy", "r1", "s2")},
	},
	{
		name: "a stroke in both lists of a revert is invalid",
		batches: [][]step{
			batch(do(add("ann", "s1"), ok(1)), do(add("ann", "s2"), ok(2)), do(erase("bob", "e1", "s2"), ok(3))),
			batch(do(revert("cy", "r1", []string{"s1", "s2"}, []string{"s2"}), refused(events.CodeInvalid))),
			batch(do(revert("cy", "r1", []string{"s1"}, []string{"s2"}), ok(5))),
		},
		events: []ev{added("ann", "s1"), added("ann", "s2"), erased("bob", "e1", "s2"), erased("cy", "r1", "s1"), restored("cy", "r1", "s2")},
	},
	{
		name: "only its author undoes or redoes a revert, as one action of at most two events",
		batches: [][]step{
			batch(do(add("ann", "s1"), ok(1)), do(add("ann", "s2"), ok(2)), do(erase("bob", "e1", "s2"), ok(3))),
			batch(do(revert("cy", "r1", []string{"s1"}, []string{"s2"}), ok(5))),
			batch(do(undo("ann", "r1"), notPermitted), do(undo("cy", "r1"), ok(7))),
			batch(do(undo("cy", "r1"), dup(7))),
			batch(do(redo("bob", "r1"), notPermitted), do(redo("cy", "r1"), ok(9))),
			batch(do(redo("cy", "r1"), dup(9))),
		},
		events: []ev{added("ann", "s1"), added("ann", "s2"), erased("bob", "e1", "s2"), erased("cy", "r1", "s1"), restored("cy", "r1", "s2"),
			erased("cy", "r1", "s2"), restored("cy", "r1", "s1"), erased("cy", "r1", "s1"), restored("cy", "r1", "s2")},
	},
	{
		name: "undo and redo of a revert act on its strokes that are still in its state",
		batches: [][]step{
			batch(do(add("ann", "s1"), ok(1)), do(add("ann", "s2"), ok(2)), do(add("ann", "s3"), ok(3)), do(add("ann", "s4"), ok(4)),
				do(erase("bob", "e1", "s3", "s4"), ok(5))),
			batch(do(revert("cy", "r1", []string{"s1", "s2"}, []string{"s3", "s4"}), ok(7))),
			// Others change some of its strokes meanwhile: the author's redo of her stroke, bob's erase.
			batch(do(redo("ann", "s1"), ok(8)), do(erase("bob", "e2", "s3"), ok(9))),
			batch(do(undo("cy", "r1"), ok(11))),
			batch(do(undo("bob", "e2"), ok(12))),
			batch(do(redo("cy", "r1"), ok(14))),
		},
		events: []ev{added("ann", "s1"), added("ann", "s2"), added("ann", "s3"), added("ann", "s4"), erased("bob", "e1", "s3", "s4"),
			erased("cy", "r1", "s1", "s2"), restored("cy", "r1", "s3", "s4"), restored("ann", "s1", "s1"), erased("bob", "e2", "s3"),
			erased("cy", "r1", "s4"), restored("cy", "r1", "s2"), restored("bob", "e2", "s3"),
			erased("cy", "r1", "s1", "s2"), restored("cy", "r1", "s4")},
	},
	{
		name: "one batch may add, revert, undo and redo the same strokes",
		batches: [][]step{
			batch(
				do(add("ann", "s1"), ok(1)), do(add("ann", "s2"), ok(2)), do(erase("bob", "e1", "s2"), ok(3)),
				do(revert("cy", "r1", []string{"s1"}, []string{"s2"}), ok(5)), do(undo("cy", "r1"), ok(7)),
				do(revert("cy", "r1", []string{"s1"}, []string{"s2"}), dup(5)),
			),
			// What the batch left is what the next one finds.
			batch(do(undo("cy", "r1"), dup(7)), do(redo("cy", "r1"), ok(9))),
		},
		events: []ev{added("ann", "s1"), added("ann", "s2"), erased("bob", "e1", "s2"), erased("cy", "r1", "s1"), restored("cy", "r1", "s2"),
			erased("cy", "r1", "s2"), restored("cy", "r1", "s1"), erased("cy", "r1", "s1"), restored("cy", "r1", "s2")},
	},
	{
		name: "an unknown operation is invalid",
		batches: [][]step{
			batch(do(cmd{op: events.OpRevert + 1, author: "ann", id: "s1"}, refused(events.CodeInvalid)), do(add("ann", "s1"), ok(1))),
		},
		events: []ev{added("ann", "s1")},
	},
}
