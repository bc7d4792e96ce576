package events

import (
	"context"
	"time"

	"github.com/google/uuid"

	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// Store persists the decisions of the rules as events. The rules (rules.go) decide; a store reads what
// they name and writes what they decide, in one transaction per batch. Implementations must hold the
// lock of every room of a batch from the read to the commit, across every process that writes the room,
// so that the sequence numbers the rules assign after a room's head stay gapless and strictly
// increasing.
type Store interface {
	// Commit runs one transaction: it locks the head of every room of lookup, reads what lookup names,
	// calls decide exactly once with what it found, writes what decide returns and commits. A store that
	// finds the tiles of the strokes an erase or restore event touches (to index it) sets the event's
	// Area from them. An error means nothing was stored.
	Commit(ctx context.Context, lookup *Lookup, decide func(*State) *Writes) error
	// EventsAfter returns the events with seq > after in order, as many as page allows, and the room's
	// head.
	EventsAfter(ctx context.Context, room uuid.UUID, after uint64, page Page) ([]Event, uint64, error)
	// Head returns the highest committed sequence number of a room (0 for a room without events).
	Head(ctx context.Context, room uuid.UUID) (uint64, error)
	// AuthorHistory reads what an author did in a room after event since, in one consistent snapshot. It
	// returns ErrTooMuchHistory, reading nothing, when more than maxEvents events follow the point.
	AuthorHistory(ctx context.Context, room, author uuid.UUID, since uint64, maxEvents int) (AuthorHistory, error)
	// Purge deletes a room's events and state, keeping its head so that sequence numbers never restart
	// in a room id, and returns how many events were deleted.
	Purge(ctx context.Context, room uuid.UUID) (int64, error)
}

// Key names a stroke or an erase action of a room. Ids are unique across the strokes and erase actions
// of a room.
type Key struct {
	Room uuid.UUID
	ID   uuid.UUID
}

// Lookup names what a batch of commands needs to know before the rules can decide it.
type Lookup struct {
	// Rooms are the rooms of the batch, each once: the store locks their heads and reports them.
	Rooms []uuid.UUID
	// Strokes are the strokes to report, without their content.
	Strokes []Key
	// Added are the strokes that commands add: reported with their content when they exist, so that a
	// retry can be told from another stroke under the same id. A key may also be in Strokes.
	Added []Key
	// Erases are the erase actions to report. The store also reports the strokes each erase action it
	// finds erased or restored, without their content: undo and redo of the action act on them.
	Erases []Key
}

// State is what a store found for a Lookup, read under the locks of the rooms' heads. A key the store
// did not find is absent.
type State struct {
	// Heads holds the head of every room of the lookup (0 for a room without events).
	Heads   map[uuid.UUID]uint64
	Strokes map[Key]StrokeState
	Erases  map[Key]EraseState
}

// StrokeState is a stored stroke.
type StrokeState struct {
	Author   uuid.UUID
	AddedSeq uint64
	Erased   bool
	// Stroke is the stored stroke (known fields only): set for the keys of Lookup.Added and for the
	// strokes a batch adds.
	Stroke *strokev1.Stroke
}

// EraseState is a stored erase action: an erase, or a revert, which restores strokes too.
type EraseState struct {
	Author uuid.UUID
	// Seq is the sequence number of the action's last event.
	Seq uint64
	// Strokes are the strokes the action erased: those of its request that were visible when it ran.
	Strokes []uuid.UUID
	// Restored are the strokes a revert restored: those of its request that were erased when it ran
	// (none for an erase).
	Restored []uuid.UUID
	Undone   bool
}

// Writes are what the rules decided for a batch: the store writes all of them or nothing.
type Writes struct {
	// At is the commit time of the events.
	At time.Time
	// Events are the events created, in command order: per room in sequence order, gapless from the
	// head the store reported.
	Events []NewEvent
	// Heads are the new heads of the rooms that got events.
	Heads map[uuid.UUID]uint64
	// Strokes are the strokes the batch adds, in their state after it.
	Strokes []NewStroke
	// Erases are the erase actions the batch creates, in their state after it.
	Erases []NewErase
	// Erased are the stored strokes whose Erased the batch changed, with its new value.
	Erased []Flag
	// Undone are the stored erase actions whose Undone the batch changed, with its new value.
	Undone []Flag
}

// NewEvent is an event a batch creates.
type NewEvent struct {
	Room   uuid.UUID
	Seq    uint64
	Kind   Kind
	Action uuid.UUID
	Author uuid.UUID
	// Payload is the encoded message of the kind (StrokeAdded, StrokesErased or StrokesRestored).
	Payload []byte
	// Strokes are the strokes an erase or restore touches; nil for KindStrokeAdded, whose stroke is
	// Action.
	Strokes []uuid.UUID
	// Tiles are the tiles at every level of the stroke a KindStrokeAdded adds, for a store that indexes
	// events by tile. The tiles of the strokes an erase or restore touches are the store's to find: a
	// stroke added earlier in the batch has them in its event.
	Tiles []strokes.Tile
	// Area is where the event changes the board: set by the rules for a KindStrokeAdded, by the store
	// (Commit) for an erase or restore, unknown otherwise.
	Area Area
}

// NewStroke is a stroke to insert.
type NewStroke struct {
	Key
	StrokeState
}

// NewErase is an erase action to insert.
type NewErase struct {
	Key
	EraseState
}

// Flag is the new value of a stored stroke's Erased or a stored erase action's Undone.
type Flag struct {
	Key
	Value bool
}

// Page bounds one read of events, by count and by encoded size, so that a page of big strokes fits the
// message limits of gRPC clients and the frames of browsers as well as a page of small ones.
type Page struct {
	// Limit bounds the number of events.
	Limit int
	// Bytes bounds the encoded page: each event's payload plus EventFraming, plus PageFraming. The first
	// event is returned whatever its size, so that a read always makes progress.
	Bytes int
}

// Upper bounds of the bytes a page adds around the stored payloads, so that a store can check Page.Bytes
// from the payload lengths alone.
const (
	// EventFraming bounds one event's bytes besides its payload: the RoomEvent fields around it (seq,
	// committed_at, the author's 36-character UUID, the kind's tag and length) and the length-delimited
	// entry that holds the event in an EventBatch or a GetEventsResponse.
	EventFraming = 72
	// PageFraming bounds a page's bytes besides its events: the ServerFrame and ServerMessage headers and
	// EventBatch.more of a WebSocket frame, or head_seq and has_more of a GetEventsResponse.
	PageFraming = 16
)
