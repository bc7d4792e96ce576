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
	// EventsAfter returns up to limit events with seq > after in order, and the room's head.
	EventsAfter(ctx context.Context, room uuid.UUID, after uint64, limit int) ([]Event, uint64, error)
	// Head returns the highest committed sequence number of a room (0 for a room without events).
	Head(ctx context.Context, room uuid.UUID) (uint64, error)
	// Purge deletes a room's events and state and returns how many events were deleted.
	Purge(ctx context.Context, room uuid.UUID) (int64, error)
}
