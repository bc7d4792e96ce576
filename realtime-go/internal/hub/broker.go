package hub

import (
	"context"

	"github.com/google/uuid"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	"github.com/infidraw/infidraw/realtime-go/internal/events"
)

// Broker carries BusMessages between replicas and keeps the presence of every room. Delivery is at
// most once and unordered across publishers; the hub restores order and fills gaps from the Store.
type Broker interface {
	// Subscribe starts delivering the messages of one of the room's channels (regions.go) to the hub's
	// Receive; it returns once the subscription is active, so nothing published afterwards is missed.
	// When it fails or ctx ends first, the broker keeps the subscription: whenever one becomes active
	// other than as the answer to Subscribe (after such a failure, or again after a lost connection),
	// messages may have been missed, and the broker calls the hub's Resync. A room's channels share
	// one connection: one publisher's messages to them arrive in the order they were published.
	Subscribe(ctx context.Context, room uuid.UUID, ch Channel) error
	// Unsubscribe stops delivering the channel's messages.
	Unsubscribe(ctx context.Context, room uuid.UUID, ch Channel) error
	// Publish sends encoded BusMessages, each to every replica subscribed to its channel, this one
	// included, in order.
	Publish(ctx context.Context, msgs []Publication) error
	// AddPeer and RemovePeer maintain the room's presence across replicas.
	AddPeer(ctx context.Context, room uuid.UUID, peer *realtimev1.Peer) error
	RemovePeer(ctx context.Context, room uuid.UUID, session uint32) error
	// Peers lists the room's peers on replicas that are alive.
	Peers(ctx context.Context, room uuid.UUID) ([]*realtimev1.Peer, error)
	// CountViewer adds delta to this replica's count of the room's crowd viewers; Viewers sums the
	// counts of the replicas that are alive.
	CountViewer(ctx context.Context, room uuid.UUID, delta int) error
	Viewers(ctx context.Context, room uuid.UUID) (int, error)
}

// Publication is an encoded BusMessage for one of a room's channels.
type Publication struct {
	Room    uuid.UUID
	Channel Channel
	Data    []byte
}

// EventReader is what the hub reads from the event store: catch-up pages and gap fills.
type EventReader interface {
	EventsAfter(ctx context.Context, room uuid.UUID, after uint64, page events.Page) ([]events.Event, uint64, error)
	Head(ctx context.Context, room uuid.UUID) (uint64, error)
}
