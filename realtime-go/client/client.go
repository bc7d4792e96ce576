// Package client is a Go client of realtime-go's /ws protocol, used by the tests and the benchmarks. It
// checks the ordering contract as it reads: every committed event must arrive exactly once, in order,
// with no gap; Violations reports any breach.
package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	roomv1 "github.com/infidraw/infidraw/gen/go/infidraw/room/v1"
)

// Options of a connection.
type Options struct {
	// Origin is sent as the Origin header when set (browsers always send one).
	Origin string
	// Dialer overrides the WebSocket dialer.
	Dialer *websocket.Dialer
	// OnLive, if set, receives other sessions' live strokes and cursors from the read loop.
	OnLive func(*realtimev1.Live)
	// OnHeads, if set, puts the read loop in scanning mode, for load generators: it walks each frame's wire
	// format instead of decoding the frame into messages, which allocates every stroke and was most of a
	// load generator's CPU. The ordering contract is checked as always; each batch of committed events
	// goes to OnHeads as their seqs and stroke ids (valid only during the call) before WaitSeq counts
	// it. Events stays empty and OnLive is not called.
	OnHeads func([]EventHead)
	// OnLiveStroke, in scanning mode, receives the stroke id of every live StrokeBegin and StrokeMore
	// (valid only during the call), for a probe of live latency.
	OnLiveStroke func(strokeID []byte)
	// OnFrame, if set, sees every frame after Welcome as received, before it is handled (valid only
	// during the call): tests check what the server sends on the wire.
	OnFrame func([]byte)
	// View, if set, is sent with Join: the server then sends only what touches it (see SetView).
	View *realtimev1.View
}

// Reply answers one request: an Ack or an Error.
type Reply struct {
	Ack   *realtimev1.Ack
	Error *realtimev1.Error
}

// Client is one joined connection.
type Client struct {
	conn    *websocket.Conn
	opts    Options
	Welcome *realtimev1.Welcome
	nextID  atomic.Uint32
	writeMu sync.Mutex
	frame   bytes.Buffer // the read loop's, reused for every frame
	heads   []EventHead  // the read loop's, reused for every batch in scanning mode

	mu         sync.Mutex
	events     []*roomv1.RoomEvent
	lastSeq    uint64
	viewed     bool // a view was declared: the events of the rest of the board are left out (seq gaps)
	violations []string
	pending    map[uint32]chan Reply
	changed    chan struct{} // closed and replaced whenever lastSeq moves
	final      *realtimev1.Error
	readErr    error // why the read loop stopped
	done       chan struct{}
}

// ErrClosed is returned for requests on a closed connection.
var ErrClosed = errors.New("connection closed")

// Dial connects, joins the room with lastSeq and waits for Welcome. A refused join returns the
// server's fatal Error as a *ServerError.
func Dial(ctx context.Context, url, roomID, token string, lastSeq uint64, opts Options) (*Client, error) {
	d := opts.Dialer
	if d == nil {
		d = websocket.DefaultDialer
	}
	h := http.Header{}
	if opts.Origin != "" {
		h.Set("Origin", opts.Origin)
	}
	conn, resp, err := d.DialContext(ctx, url, h)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial %s: %w (HTTP %d)", url, err, resp.StatusCode)
		}
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	c := &Client{conn: conn, opts: opts, lastSeq: lastSeq, viewed: opts.View != nil, pending: map[uint32]chan Reply{}, changed: make(chan struct{}), done: make(chan struct{})}
	join := &realtimev1.Join{RoomId: roomID, Token: token, LastSeq: lastSeq, View: opts.View}
	if err := c.Send(&realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_Join{Join: join}}); err != nil {
		_ = conn.Close()
		return nil, err
	}
	first, err := c.read()
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	for _, m := range first.GetMessages() {
		if e := m.GetError(); e != nil {
			_ = conn.Close()
			return nil, &ServerError{Err: e}
		}
		if w := m.GetWelcome(); w != nil {
			c.Welcome = w
		}
	}
	if c.Welcome == nil {
		_ = conn.Close()
		return nil, fmt.Errorf("first frame held no Welcome")
	}
	go c.readLoop()
	return c, nil
}

// ServerError is a fatal error the server sent before closing.
type ServerError struct{ Err *realtimev1.Error }

func (e *ServerError) Error() string {
	return fmt.Sprintf("%s: %s", e.Err.GetCode(), e.Err.GetMessage())
}

// readFrame reads the next WebSocket message into c.frame, which it reuses: the frame is valid until
// the next call.
func (c *Client) readFrame() ([]byte, error) {
	typ, r, err := c.conn.NextReader()
	if err != nil {
		return nil, err
	}
	if typ != websocket.BinaryMessage {
		return nil, fmt.Errorf("server sent a non-binary frame")
	}
	c.frame.Reset()
	if _, err := c.frame.ReadFrom(r); err != nil {
		return nil, err
	}
	if c.opts.OnFrame != nil && c.Welcome != nil {
		c.opts.OnFrame(c.frame.Bytes())
	}
	return c.frame.Bytes(), nil
}

func (c *Client) read() (*realtimev1.ServerFrame, error) {
	data, err := c.readFrame()
	if err != nil {
		return nil, err
	}
	var f realtimev1.ServerFrame
	// Unmarshal copies bytes and strings out of data, so the frame buffer may be reused.
	if err := proto.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("decode ServerFrame: %w", err)
	}
	return &f, nil
}

func (c *Client) readLoop() {
	var err error
	defer func() {
		c.mu.Lock()
		c.readErr = err
		for id, ch := range c.pending {
			close(ch)
			delete(c.pending, id)
		}
		c.mu.Unlock()
		close(c.done)
	}()
	for err == nil {
		if c.opts.OnHeads != nil {
			err = c.scanNext()
		} else {
			err = c.decodeNext()
		}
	}
}

// decodeNext reads and handles one frame decoded into messages.
func (c *Client) decodeNext() error {
	f, err := c.read()
	if err != nil {
		return err
	}
	for _, m := range f.GetMessages() {
		switch b := m.GetBody().(type) {
		case *realtimev1.ServerMessage_Events:
			c.mu.Lock()
			for _, ev := range b.Events.GetEvents() {
				if c.checkSeq(ev.GetSeq()) {
					c.events = append(c.events, ev)
				}
			}
			c.through(b.Events.GetThroughSeq())
			c.seqChanged()
			c.mu.Unlock()
		case *realtimev1.ServerMessage_TilesChanged:
			c.mu.Lock()
			c.through(b.TilesChanged.GetThroughSeq())
			c.seqChanged()
			c.mu.Unlock()
		case *realtimev1.ServerMessage_Ack:
			c.answer(b.Ack.GetRequestId(), Reply{Ack: b.Ack})
		case *realtimev1.ServerMessage_Error:
			c.answerError(b.Error)
		case *realtimev1.ServerMessage_Live:
			if c.opts.OnLive != nil {
				c.opts.OnLive(b.Live)
			}
		}
	}
	return nil
}

// scanNext reads and handles one frame in scanning mode (Options.OnHeads).
func (c *Client) scanNext() error {
	data, err := c.readFrame()
	if err != nil {
		return err
	}
	c.heads, err = scanFrame(data, c.heads, c.acceptHeads, c.reply, c.opts.OnLiveStroke)
	return err
}

// acceptHeads takes a batch of committed events, and the seq through which the batch (or a TilesChanged
// notice, with no heads) covers a viewed client's view.
func (c *Client) acceptHeads(heads []EventHead, throughSeq uint64) {
	// OnHeads first: once WaitSeq has returned, OnHeads has seen every event up to its seq.
	if len(heads) > 0 {
		c.opts.OnHeads(heads)
	}
	c.mu.Lock()
	for _, h := range heads {
		c.checkSeq(h.Seq)
	}
	c.through(throughSeq)
	c.seqChanged()
	c.mu.Unlock()
}

// reply decodes an Ack or Error that scanFrame found (they are few next to the events) and answers it.
func (c *Client) reply(field protowire.Number, body []byte) error {
	if field == messageAck {
		var ack realtimev1.Ack
		if err := proto.Unmarshal(body, &ack); err != nil {
			return fmt.Errorf("decode Ack: %w", err)
		}
		c.answer(ack.GetRequestId(), Reply{Ack: &ack})
		return nil
	}
	var e realtimev1.Error
	if err := proto.Unmarshal(body, &e); err != nil {
		return fmt.Errorf("decode Error: %w", err)
	}
	c.answerError(&e)
	return nil
}

// checkSeq checks the next committed event's seq against the ordering contract and reports whether the
// event is kept (a duplicate is not; an event after a gap is). c.mu is held.
func (c *Client) checkSeq(seq uint64) bool {
	switch {
	case seq == c.lastSeq+1, seq > c.lastSeq && c.viewed: // a viewed client skips the events elsewhere
	case seq <= c.lastSeq:
		c.violations = append(c.violations, fmt.Sprintf("duplicate seq %d (last %d)", seq, c.lastSeq))
		return false
	default:
		c.violations = append(c.violations, fmt.Sprintf("gap: seq %d after %d", seq, c.lastSeq))
	}
	c.lastSeq = seq
	return true
}

// through moves lastSeq to a viewed client's through_seq: every event up to it that touches the view was
// sent (0: not said). c.mu is held.
func (c *Client) through(seq uint64) {
	if seq > c.lastSeq {
		if !c.viewed {
			c.violations = append(c.violations, fmt.Sprintf("through_seq %d after %d on a connection without a view", seq, c.lastSeq))
		}
		c.lastSeq = seq
	}
}

// seqChanged wakes WaitSeq. c.mu is held.
func (c *Client) seqChanged() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// answerError answers a request's Error and keeps a fatal one as Final.
func (c *Client) answerError(e *realtimev1.Error) {
	if e.GetFatal() {
		c.mu.Lock()
		c.final = e
		c.mu.Unlock()
	}
	c.answer(e.GetRequestId(), Reply{Error: e})
}

func (c *Client) answer(id uint32, r Reply) {
	c.mu.Lock()
	ch, ok := c.pending[id]
	delete(c.pending, id)
	c.mu.Unlock()
	if ok {
		ch <- r
	}
}

// Send writes messages as one frame without waiting for replies.
func (c *Client) Send(msgs ...*realtimev1.ClientMessage) error {
	b, err := proto.Marshal(&realtimev1.ClientFrame{Messages: msgs})
	if err != nil {
		return err
	}
	return c.SendRaw(websocket.BinaryMessage, b)
}

// SendRaw writes any WebSocket message (for malformed-input tests).
func (c *Client) SendRaw(typ int, b []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	return c.conn.WriteMessage(typ, b)
}

// Request sends one message with a fresh request id and waits for its Ack or Error.
func (c *Client) Request(ctx context.Context, m *realtimev1.ClientMessage) (Reply, error) {
	m.RequestId = c.nextID.Add(1)
	ch := make(chan Reply, 1)
	c.mu.Lock()
	c.pending[m.RequestId] = ch
	c.mu.Unlock()
	if err := c.Send(m); err != nil {
		return Reply{}, err
	}
	select {
	case r, ok := <-ch:
		if !ok {
			return Reply{}, ErrClosed
		}
		return r, nil
	case <-c.done:
		// The read loop ended: it closed the requests pending then, but not one registered after it (a
		// write to a connection the peer has closed can still succeed), which would otherwise wait for ctx.
		select {
		case r, ok := <-ch:
			if ok {
				return r, nil
			}
		default:
		}
		return Reply{}, ErrClosed
	case <-ctx.Done():
		return Reply{}, ctx.Err()
	}
}

// SetView replaces the connection's view (a pan or zoom) and waits for the server's answer. From the
// Ack on, the connection is viewed: the events of the rest of the board leave gaps in its seqs, which
// the ordering check then allows.
func (c *Client) SetView(ctx context.Context, v *realtimev1.View) (Reply, error) {
	c.mu.Lock()
	c.viewed = true // before the request: events filtered by the new view may precede its Ack
	c.mu.Unlock()
	return c.Request(ctx, &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_SetView{SetView: &realtimev1.SetView{View: v}}})
}

// WaitSeq blocks until every event up to seq has arrived (for a viewed client: every event up to seq
// that touches its view, as far as the server said so with through_seq or a later event).
func (c *Client) WaitSeq(ctx context.Context, seq uint64) error {
	for {
		c.mu.Lock()
		last, ch := c.lastSeq, c.changed
		c.mu.Unlock()
		if last >= seq {
			return nil
		}
		select {
		case <-ch:
		case <-c.done:
			c.mu.Lock()
			last, err := c.lastSeq, c.readErr
			c.mu.Unlock()
			if last >= seq { // the last events came with the end of the connection
				return nil
			}
			return fmt.Errorf("%w at seq %d waiting for %d: %w", ErrClosed, last, seq, err)
		case <-ctx.Done():
			return fmt.Errorf("at seq %d waiting for %d: %w", last, seq, ctx.Err())
		}
	}
}

// Events returns the committed events received so far, in order (none in scanning mode).
func (c *Client) Events() []*roomv1.RoomEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*roomv1.RoomEvent(nil), c.events...)
}

// LastSeq is the highest sequence number received.
func (c *Client) LastSeq() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastSeq
}

// Violations lists breaches of the ordering contract seen so far.
func (c *Client) Violations() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.violations...)
}

// Done is closed when the connection ends; Final then holds the server's fatal error, if any.
func (c *Client) Done() <-chan struct{} { return c.done }

// Final is the fatal error the server closed with.
func (c *Client) Final() *realtimev1.Error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.final
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }
