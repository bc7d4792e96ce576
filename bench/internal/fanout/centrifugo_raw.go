package fanout

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/centrifugal/protocol"
	"github.com/google/uuid"
	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/infidraw/infidraw/bench/internal/replay"
	"github.com/infidraw/infidraw/bench/internal/stack"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// rawCentrifugoSession speaks Centrifugo's client protocol (protobuf, github.com/centrifugal/protocol, the
// package centrifuge-go itself encodes with) over one gorilla WebSocket: connect, subscribe, publish,
// answer pings. It sends exactly the commands centrifuge-go sends and checks exactly what
// centrifugoSession checks, without centrifuge-go's per-message machinery (a goroutine and a timer per
// request, a callback queue per client), which makes the load generator the limit long before Centrifugo
// at this workload: every live chunk reaches every client of the room as its own publication.
type rawCentrifugoSession struct {
	conn    *websocket.Conn
	writeMu sync.Mutex
	ids     atomic.Uint32
	channel string
	pong    atomic.Bool
	id      uint32
	sent    uint32
	liveErr atomic.Pointer[error]

	commitLog
	pending map[uint32]chan *protocol.Reply // under commitLog.mu
}

func dialCentrifugoRaw(ctx context.Context, rep *stack.Process, cf *Centrifugo, room string, id uint32, record recorder) (*rawCentrifugoSession, error) {
	d := websocket.Dialer{Subprotocols: []string{"centrifuge-protobuf"}, HandshakeTimeout: 10 * time.Second}
	conn, _, err := d.DialContext(ctx, "ws://"+rep.HTTP+"/connection/websocket", http.Header{})
	if err != nil {
		return nil, err
	}
	s := &rawCentrifugoSession{conn: conn, channel: "room:" + room, id: id, commitLog: newCommitLog(record),
		pending: map[uint32]chan *protocol.Reply{}}
	go s.readLoop()
	r, err := s.request(ctx, &protocol.Command{Connect: &protocol.ConnectRequest{Token: cf.Token(uuid.NewString()), Name: "bench"}})
	if err == nil {
		s.pong.Store(r.Connect.GetPong())
		_, err = s.request(ctx, &protocol.Command{Subscribe: &protocol.SubscribeRequest{Channel: s.channel}})
	}
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("centrifugo: %w", err)
	}
	return s, nil
}

func (s *rawCentrifugoSession) write(cmd *protocol.Command) error {
	body, err := cmd.MarshalVT()
	if err != nil {
		return err
	}
	frame := binary.AppendUvarint(make([]byte, 0, len(body)+binary.MaxVarintLen32), uint64(len(body)))
	frame = append(frame, body...)
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.conn.WriteMessage(websocket.BinaryMessage, frame)
}

// request sends cmd with a fresh id and waits for its reply.
func (s *rawCentrifugoSession) request(ctx context.Context, cmd *protocol.Command) (*protocol.Reply, error) {
	cmd.Id = s.ids.Add(1)
	ch := make(chan *protocol.Reply, 1)
	s.mu.Lock()
	if s.gone != nil {
		s.mu.Unlock()
		return nil, s.gone
	}
	s.pending[cmd.Id] = ch
	s.mu.Unlock()
	if err := s.write(cmd); err != nil {
		return nil, err
	}
	select {
	case r, ok := <-ch:
		if !ok {
			return nil, errors.New("connection closed")
		}
		if r.Error != nil {
			return nil, fmt.Errorf("error %d: %s", r.Error.Code, r.Error.Message)
		}
		return r, nil
	case <-ctx.Done():
		s.mu.Lock()
		delete(s.pending, cmd.Id)
		s.mu.Unlock()
		return nil, ctx.Err()
	}
}

func (s *rawCentrifugoSession) fail(err error) {
	s.mu.Lock()
	if s.failLocked(err) {
		for id, ch := range s.pending {
			close(ch)
			delete(s.pending, id)
		}
	}
	s.mu.Unlock()
}

func (s *rawCentrifugoSession) readLoop() {
	var buf bytes.Buffer
	for {
		_, msg, err := readMessage(s.conn, &buf)
		if err != nil {
			s.fail(fmt.Errorf("disconnected: %w", err))
			return
		}
		now := time.Now()
		s.record.received(len(msg))
		for len(msg) > 0 {
			l, n := binary.Uvarint(msg)
			if n <= 0 || uint64(len(msg)-n) < l {
				s.fail(errors.New("bad frame"))
				return
			}
			reply := msg[n : n+int(l)]
			msg = msg[n+int(l):]
			if data, ok := pushedPublication(reply); ok {
				s.publication(now, data)
				continue
			}
			var r protocol.Reply
			if err := r.UnmarshalVT(reply); err != nil {
				s.fail(fmt.Errorf("bad reply: %w", err))
				return
			}
			s.handle(now, &r)
		}
	}
}

func (s *rawCentrifugoSession) handle(now time.Time, r *protocol.Reply) {
	switch {
	case r.Id > 0:
		s.mu.Lock()
		ch := s.pending[r.Id]
		delete(s.pending, r.Id)
		s.mu.Unlock()
		if ch != nil {
			ch <- r
		} else if r.Error != nil { // a live publish (nobody waits for its reply)
			err := fmt.Errorf("live publish: error %d: %s", r.Error.Code, r.Error.Message)
			s.liveErr.CompareAndSwap(nil, &err)
		}
	case r.Push == nil: // the server's ping
		if s.pong.Load() {
			_ = s.write(&protocol.Command{})
		}
	case r.Push.Disconnect != nil:
		s.fail(fmt.Errorf("disconnected: %d %s", r.Push.Disconnect.Code, r.Push.Disconnect.Reason))
	case r.Push.Unsubscribe != nil:
		s.fail(fmt.Errorf("unsubscribed: %d %s", r.Push.Unsubscribe.Code, r.Push.Unsubscribe.Reason))
	case r.Push.Pub != nil:
		s.publication(now, r.Push.Pub.Data)
	}
}

// Field numbers of the Centrifugo protocol that pushedPublication reads (client.proto of
// github.com/centrifugal/protocol).
const (
	cfReplyID         = 1  // Reply.id
	cfReplyPush       = 4  // Reply.push
	cfPushPub         = 4  // Push.pub
	cfPushUnsubscribe = 7  // Push.unsubscribe
	cfPushDisconnect  = 11 // Push.disconnect
	cfPublicationData = 4  // Publication.data
)

// pushedPublication returns the data of an encoded Reply that handle would treat as a publication (no
// id; a push with a pub and without unsubscribe or disconnect), read from the wire without decoding the
// reply, as infidraw's client scans its frames: decoding every publication, live chunks included, at
// every client was half of these clients' CPU. data points into reply. ok is false for any other reply
// and for a malformed one, which the caller decodes (and so reports).
func pushedPublication(reply []byte) (data []byte, ok bool) {
	var pub, other bool
	valid := eachField(reply, func(num protowire.Number, typ protowire.Type, push []byte) {
		switch num {
		case cfReplyPush:
			// other is only ever set, never recomputed: the walks nested here set it too.
			if typ != protowire.BytesType || !eachField(push, func(num protowire.Number, typ protowire.Type, p []byte) {
				switch num {
				case cfPushPub:
					pub = true
					// Repeated occurrences of a message merge: the last data stands.
					if typ != protowire.BytesType || !eachField(p, func(num protowire.Number, typ protowire.Type, v []byte) {
						if num == cfPublicationData {
							data = v
							if typ != protowire.BytesType {
								other = true
							}
						}
					}) {
						other = true
					}
				case cfPushUnsubscribe, cfPushDisconnect:
					other = true
				}
			}) {
				other = true
			}
		case cfReplyID:
			other = true
		}
	})
	return data, valid && pub && !other
}

// eachField calls fn with each field of an encoded message: its number, wire type and, when it is
// length-delimited, its bytes. It reports false for a malformed message.
func eachField(msg []byte, fn func(protowire.Number, protowire.Type, []byte)) bool {
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return false
		}
		msg = msg[n:]
		var value []byte
		if typ == protowire.BytesType {
			value, n = protowire.ConsumeBytes(msg)
		} else {
			n = protowire.ConsumeFieldValue(num, typ, msg)
		}
		if n < 0 {
			return false
		}
		msg = msg[n:]
		fn(num, typ, value)
	}
	return true
}

func (s *rawCentrifugoSession) live(stroke *strokev1.Stroke, _ []strokes.Point, i, j int) error {
	if err := s.liveErr.Load(); err != nil {
		return *err
	}
	data, err := cfPayload('L', s.id, 0, stroke, replay.LiveMessage(stroke, i, j))
	if err != nil {
		return err
	}
	// Pipelined: the reply is checked for an error when it comes, nobody waits for it.
	return s.write(&protocol.Command{Id: s.ids.Add(1), Publish: &protocol.PublishRequest{Channel: s.channel, Data: data}})
}

func (s *rawCentrifugoSession) commit(ctx context.Context, stroke *strokev1.Stroke, _ []strokes.Point) (bool, error) {
	data, err := cfPayload('C', s.id, s.sent+1, stroke, commitMessage(stroke))
	if err != nil {
		return false, err
	}
	// The publish reply may come after the measuring window closes.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if _, err := s.request(rctx, &protocol.Command{Publish: &protocol.PublishRequest{Channel: s.channel, Data: data}}); err != nil {
		return false, fmt.Errorf("centrifugo publish: %w", err)
	}
	s.sent++
	return true, nil
}

func (s *rawCentrifugoSession) close() error { return s.conn.Close() }
