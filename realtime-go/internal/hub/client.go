package hub

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	roomv1 "github.com/infidraw/infidraw/gen/go/infidraw/room/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// Identity is who a client is, as the room token says.
type Identity struct {
	UserID string
	Name   string
	Role   roomv1.Role
	Room   uuid.UUID
}

// Client is one connection in a room, independent of its transport. The transport writes the frames
// from Out until Done is closed, then writes Final if set and closes the connection. The hub calls wake
// after queueing a frame or kicking the client, so that a transport can run its writer only while
// there is something to write (an idle connection then costs no writer goroutine).
type Client struct {
	Identity
	Session uint32

	wake     func()
	out      chan []byte
	done     chan struct{}
	closed   atomic.Bool // done is closed: read on every flush, cheaper than a select
	doneOnce sync.Once
	final    *realtimev1.Error

	// Guarded by the room's mutex.
	cursor  uint64 // highest seq sent to this client
	live    bool   // catch-up finished: receives committed events from the stream
	replies []byte // acks and errors due with the next tick
	room    *Room
	// crowd: a viewer of a crowded room, counted rather than listed in presence, whose cursor is not
	// relayed.
	crowd bool
	// Interest management (interest.go): viewed when the client declared a view and the hub filters.
	viewed   bool
	view     View
	interest strokes.Box
	visited  uint64 // the room's viewIndex mark of the last visit
	due      dueItems
	sent     uint64    // the room's flush that last queued a frame for it
	sentAt   time.Time // and when
	held     [][]byte  // ephemeral entries held for its next frame (adapt.go), shared
	// brokenLive are the live strokes it missed part of (adapt.go), until they end.
	brokenLive map[uuid.UUID]bool
}

// dueItems are the indexes of the flush's events and ephemeral entries that meet a viewed client's
// interest; stamp is the flush they belong to.
type dueItems struct {
	stamp   uint64
	events  []int
	entries []int
}

// NewClient makes a client whose outbound queue holds up to queueLen frames; wake is called whenever
// the transport has something new to do.
func NewClient(id Identity, queueLen int, wake func()) *Client {
	return &Client{Identity: id, wake: wake, out: make(chan []byte, queueLen), done: make(chan struct{})}
}

// offer queues a frame without blocking; false when the queue is full.
func (c *Client) offer(frame []byte) bool {
	select {
	case c.out <- frame:
		c.wake()
		return true
	default:
		return false
	}
}

// Out yields the frames to write, in order.
func (c *Client) Out() <-chan []byte { return c.out }

// Done is closed when the client must be disconnected.
func (c *Client) Done() <-chan struct{} { return c.done }

// Final is the error to send before closing, if any; read it after Done is closed.
func (c *Client) Final() *realtimev1.Error { return c.final }

// Kick disconnects the client with a final error; it reports whether this call did it.
func (c *Client) Kick(code realtimev1.ErrorCode, msg string) bool {
	kicked := false
	c.doneOnce.Do(func() {
		c.final = &realtimev1.Error{Code: code, Message: msg, Fatal: true}
		c.closed.Store(true)
		close(c.done)
		kicked = true
	})
	if kicked {
		c.wake()
	}
	return kicked
}

// Closed reports whether the client was kicked.
func (c *Client) Closed() bool { return c.closed.Load() }

// Peer describes the client to others.
func (c *Client) Peer() *realtimev1.Peer {
	return &realtimev1.Peer{SessionId: c.Session, UserId: c.UserID, DisplayName: c.Name, Role: c.Role}
}
