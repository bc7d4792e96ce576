package events

import (
	"context"

	"github.com/google/uuid"
)

// Store persists commands as events. Implementations must make sequence numbers gapless and strictly
// increasing per room across every process that writes the room, by assigning them inside the
// transaction that stores the events.
type Store interface {
	// Commit applies the commands in order, in one transaction, and returns one Result per command (a
	// rejected command has Err set and does not abort the others) and the events created, per room in
	// sequence order. An error means nothing was stored.
	Commit(ctx context.Context, cmds []Command) ([]Result, map[uuid.UUID][]Event, error)
	// EventsAfter returns the events with seq > after in order, as many as page allows, and the room's
	// head.
	EventsAfter(ctx context.Context, room uuid.UUID, after uint64, page Page) ([]Event, uint64, error)
	// Head returns the highest committed sequence number of a room (0 for a room without events).
	Head(ctx context.Context, room uuid.UUID) (uint64, error)
	// Purge deletes a room's events and state and returns how many events were deleted.
	Purge(ctx context.Context, room uuid.UUID) (int64, error)
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
