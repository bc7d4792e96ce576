package events

import (
	"github.com/google/uuid"
	"github.com/infidraw/infidraw/shared-go/eventkind"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// Op is what a command does.
type Op int

// Operations.
const (
	// OpAddStroke stores a new stroke (idempotent by stroke id).
	OpAddStroke Op = iota + 1
	// OpErase hides strokes (idempotent by action id).
	OpErase
	// OpUndo reverts one of the author's own actions (a stroke or an erase).
	OpUndo
	// OpRedo re-applies one of the author's undone actions.
	OpRedo
	// OpRevert erases some strokes and restores others as one action (idempotent by action id): how a
	// region is restored to an earlier point and a person's work is reverted, with nothing of the log
	// rewritten.
	OpRevert
)

// Command is one change requested by an author in a room.
type Command struct {
	Op     Op
	Room   uuid.UUID
	Author uuid.UUID
	// Stroke is set for OpAddStroke.
	Stroke strokes.Stroke
	// ActionID names the action: the stroke id for OpAddStroke, the erase or revert for OpErase and
	// OpRevert, the action undone or redone for OpUndo and OpRedo.
	ActionID uuid.UUID
	// StrokeIDs are the strokes an OpErase or OpRevert erases.
	StrokeIDs []uuid.UUID
	// Restore are the strokes an OpRevert restores.
	Restore []uuid.UUID
}

// Result is the outcome of one command.
type Result struct {
	// Seq is the sequence number of the last event the command created; for a duplicate, of the
	// original's last event (strokes, erases, reverts) or the room's head (undo and redo that found
	// nothing to change).
	Seq       uint64
	Duplicate bool
	Err       error
}

// Kind is the kind of a stored event (shared-go/eventkind, which tile-delta-go reads too).
type Kind = eventkind.Kind

// Event kinds.
const (
	KindStrokeAdded     = eventkind.StrokeAdded
	KindStrokesErased   = eventkind.StrokesErased
	KindStrokesRestored = eventkind.StrokesRestored
)

// Event is one committed event of a room as RoomEvent protobuf bytes.
type Event struct {
	Seq           uint64
	CommittedAtMs int64
	Encoded       []byte
	// Area is known for the events this replica's writer committed and those the bus carried.
	Area Area
}
