package phase1

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/infidraw/infidraw/shared-go/strokes"
)

// Message kinds of server.js.
const (
	cCommit  = 1
	cLive    = 2
	sWelcome = 0
	sAck     = 1
	sEvent   = 2
	sLive    = 3
)

// Client is one connection to the relay, joined to a room.
type Client struct {
	conn    *websocket.Conn
	writeMu sync.Mutex
	obs     Observer

	mu      sync.Mutex
	lastSeq uint64
	bad     int
	pending map[[16]byte]chan uint64
	changed chan struct{}
	done    chan struct{}
}

// Observer sees what a client receives, from its read loop.
type Observer interface {
	// Event is called for every committed event, before the client counts it for WaitSeq; payload is the
	// event's encoded stroke content (what Payload returns for the stroke that was sent).
	Event(now time.Time, id [16]byte, payload []byte)
	// Received is called with the size of every WebSocket message.
	Received(bytes int)
}

// Dial joins room on the relay at addr (host:port) and waits for its welcome; obs may be nil.
func Dial(ctx context.Context, addr, room string, obs Observer) (*Client, error) {
	conn, _, err := websocket.DefaultDialer.DialContext(ctx, "ws://"+addr+"/ws?room="+room, nil)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetReadDeadline(dl)
	}
	_, first, err := conn.ReadMessage()
	_ = conn.SetReadDeadline(time.Time{})
	if err != nil || len(first) < 2 || first[0] != 0x92 || first[1] != sWelcome {
		_ = conn.Close()
		return nil, fmt.Errorf("no welcome from the phase-1 relay: %v %x", err, first)
	}
	c := &Client{conn: conn, obs: obs, pending: map[[16]byte]chan uint64{}, changed: make(chan struct{}), done: make(chan struct{})}
	go c.readLoop()
	return c, nil
}

func (c *Client) readLoop() {
	defer func() {
		c.mu.Lock()
		for id, ch := range c.pending {
			close(ch)
			delete(c.pending, id)
		}
		c.mu.Unlock()
		close(c.done)
	}()
	var buf bytes.Buffer
	for {
		_, r, err := c.conn.NextReader()
		if err != nil {
			return
		}
		buf.Reset()
		if _, err := buf.ReadFrom(r); err != nil {
			return
		}
		if c.obs != nil {
			c.obs.Received(buf.Len())
		}
		if err := c.frame(time.Now(), buf.Bytes()); err != nil {
			c.mu.Lock()
			c.bad++
			c.mu.Unlock()
			return
		}
	}
}

// frame walks one frame's messages: events are checked against the room's sequence, acks release their
// commit.
func (c *Client) frame(now time.Time, b []byte) error {
	for len(b) > 0 {
		count, n, err := arrayAt(b)
		if err != nil || count < 2 || len(b) <= n {
			return errFrame
		}
		kind := b[n]
		msgLen, err := skip(b)
		if err != nil {
			return err
		}
		msg := b[n+1 : msgLen]
		b = b[msgLen:]
		switch kind {
		case sEvent: // seq, id, ...
			seq, m, err := uintAt(msg)
			if err != nil {
				return err
			}
			id, k, err := binAt(msg[m:])
			if err != nil || len(id) != 16 {
				return errFrame
			}
			if c.obs != nil {
				c.obs.Event(now, [16]byte(id), msg[m+k:])
			}
			c.mu.Lock()
			if seq != c.lastSeq+1 {
				c.bad++
			}
			if seq > c.lastSeq {
				c.lastSeq = seq
				close(c.changed)
				c.changed = make(chan struct{})
			}
			c.mu.Unlock()
		case sAck: // id, seq
			id, m, err := binAt(msg)
			if err != nil || len(id) != 16 {
				return errFrame
			}
			seq, _, err := uintAt(msg[m:])
			if err != nil {
				return err
			}
			c.mu.Lock()
			if ch := c.pending[[16]byte(id)]; ch != nil {
				ch <- seq
				delete(c.pending, [16]byte(id))
			}
			c.mu.Unlock()
		case sLive, sWelcome:
		default:
			return errFrame
		}
	}
	return nil
}

// points is the relay's point encoding: int32 little-endian x, y pairs in world units x100.
func points(pts []strokes.Point) []byte {
	out := make([]byte, 8*len(pts))
	for i, p := range pts {
		binary.LittleEndian.PutUint32(out[8*i:], uint32(int32(p.X)))
		binary.LittleEndian.PutUint32(out[8*i+4:], uint32(int32(p.Y)))
	}
	return out
}

func (c *Client) send(v []any) error {
	b, err := msgpack.Marshal(v)
	if err != nil {
		return err
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	return c.conn.WriteMessage(websocket.BinaryMessage, b)
}

// content is a pen stroke's fields after its id as the client commits them and the relay's event carries
// them: tool, colour, width (the baseline relay's content) and points.
func content(pts []strokes.Point) []any { return []any{"pen", "#1e1e1e", 3, points(pts)} }

// Payload is the encoded content of the stroke with these points as the relay's events carry it after the
// stroke's id: each field msgpack-encoded, in order.
func Payload(pts []strokes.Point) ([]byte, error) {
	var out []byte
	for _, v := range content(pts) {
		b, err := msgpack.Marshal(v)
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, nil
}

// Live sends points of a stroke in progress.
func (c *Client) Live(id [16]byte, pts []strokes.Point) error {
	return c.send([]any{cLive, id[:], points(pts)})
}

// Commit sends a finished pen stroke (the baseline relay's content: tool, colour, width 3) and waits up to
// 30 s for its ack, which the relay sends once the stroke is stored; it returns the stroke's seq.
func (c *Client) Commit(id [16]byte, pts []strokes.Point) (uint64, error) {
	ch := make(chan uint64, 1)
	c.mu.Lock()
	c.pending[id] = ch
	c.mu.Unlock()
	if err := c.send(append([]any{cCommit, id[:]}, content(pts)...)); err != nil {
		return 0, err
	}
	t := time.NewTimer(30 * time.Second)
	defer t.Stop()
	select {
	case seq, ok := <-ch:
		if !ok {
			return 0, fmt.Errorf("phase-1 relay closed the connection")
		}
		return seq, nil
	case <-t.C:
		return 0, fmt.Errorf("no ack for stroke %x within 30 s", id)
	}
}

// WaitSeq waits until every event up to head has arrived.
func (c *Client) WaitSeq(ctx context.Context, head uint64) error {
	for {
		c.mu.Lock()
		last, changed := c.lastSeq, c.changed
		c.mu.Unlock()
		if last >= head {
			return nil
		}
		select {
		case <-changed:
		case <-c.done:
			return fmt.Errorf("connection closed at seq %d of %d", last, head)
		case <-ctx.Done():
			return fmt.Errorf("seq %d of %d: %w", last, head, ctx.Err())
		}
	}
}

// Violations counts events out of sequence (repeated, missing or reordered) and malformed frames.
func (c *Client) Violations() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bad
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }
