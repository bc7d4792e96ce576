// Package ws is the WebSocket transport of realtime-go: it admits a connection with a room token,
// decodes binary protobuf ClientFrames into hub and writer calls, and writes the hub's frames.
package ws

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	roomv1 "github.com/infidraw/infidraw/gen/go/infidraw/room/v1"
	"github.com/infidraw/infidraw/realtime-go/internal/access"
	"github.com/infidraw/infidraw/realtime-go/internal/auth"
	"github.com/infidraw/infidraw/realtime-go/internal/events"
	"github.com/infidraw/infidraw/realtime-go/internal/hub"
)

// Limits of one connection.
type Limits struct {
	// MaxFrameBytes bounds one incoming frame.
	MaxFrameBytes int64
	// MessagesPerSecond and Burst bound the incoming messages (not frames) of a connection.
	MessagesPerSecond float64
	Burst             float64
	// QueueFrames bounds the outbound queue; a client that lets it fill is disconnected.
	QueueFrames int
	// JoinTimeout bounds the wait for Join after the upgrade.
	JoinTimeout time.Duration
	// WriteTimeout bounds one write to the socket.
	WriteTimeout time.Duration
	// MaxLivePoints bounds the points of one StrokeBegin or StrokeMore.
	MaxLivePoints int
}

// Submitter queues commands for storage (the events.Writer).
type Submitter interface {
	Submit(r *events.Request) error
}

// Handler serves /ws.
type Handler struct {
	Hub      *hub.Hub
	Writer   Submitter
	Verifier *auth.Verifier
	Access   *access.Guard // checks the token's access at Join and ends the connection when the access ends
	Origins  []string
	Limits   Limits
	Log      *slog.Logger

	once     sync.Once
	upgrader websocket.Upgrader
	active   sync.WaitGroup
	msgsIn   *prometheus.CounterVec
	rejects  *prometheus.CounterVec
}

// RegisterMetrics registers the transport's counters.
func (h *Handler) RegisterMetrics(reg prometheus.Registerer) {
	h.msgsIn = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "realtime_messages_in_total", Help: "Client messages received, by kind."}, []string{"kind"})
	h.rejects = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "realtime_rejections_total", Help: "Client messages or connections rejected, by error code."}, []string{"code"})
	reg.MustRegister(h.msgsIn, h.rejects)
}

func (h *Handler) init() {
	h.upgrader = websocket.Upgrader{
		ReadBufferSize:  1024,
		WriteBufferSize: 1024,
		WriteBufferPool: &sync.Pool{},
		CheckOrigin: func(r *http.Request) bool {
			o := r.Header.Get("Origin")
			return o == "" || slices.Contains(h.Origins, o) // programs send no Origin; browsers must match
		},
	}
}

// ServeHTTP upgrades and admits one connection, then hands it to a reader goroutine of its own and
// returns, so that the deep stack of the HTTP server's goroutine is not kept for the connection's life.
// A writer goroutine runs only while there are frames to write.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.once.Do(h.init)
	conn, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		h.rejects.WithLabelValues("upgrade").Inc()
		return // the upgrader already answered (403 for a foreign Origin)
	}
	h.active.Add(1)
	c, args, acc, err := h.admit(r.Context(), conn)
	if err != nil {
		h.closeWith(conn, err)
		h.active.Done()
		return
	}
	// From here on the client's writer owns the connection: a refusal is a kick like any other. The access
	// is watched before it is checked, so that a change committed after the check read the versions still
	// reaches the poller.
	unwatch := h.Access.Watch(acc, func(reason string) { c.Kick(realtimev1.ErrorCode_ERROR_CODE_ACCESS_REVOKED, reason) })
	if we := h.join(r.Context(), c, acc, args); we != nil {
		unwatch()
		h.rejects.WithLabelValues(we.code.String()).Inc()
		c.Kick(we.code, we.msg)
		h.active.Done()
		return
	}
	go func() {
		defer h.active.Done()
		defer unwatch()
		h.readLoop(conn, c)
		h.Hub.Leave(c)
	}()
}

// writer runs the connection's writer on demand: wake starts a goroutine that drains the queue and
// exits when it is empty; after a kick it sends the final error and closes the connection.
type writer struct {
	h       *Handler
	conn    *websocket.Conn
	c       *hub.Client
	running atomic.Bool
}

func (w *writer) wake() {
	if w.running.CompareAndSwap(false, true) {
		go w.drain()
	}
}

func (w *writer) drain() {
	for {
		if w.c.Closed() {
			w.h.finish(w.conn, w.c.Final())
			return // running stays set: nothing is written after the final error
		}
		select {
		case frame := <-w.c.Out():
			_ = w.conn.SetWriteDeadline(time.Now().Add(w.h.Limits.WriteTimeout))
			if err := w.conn.WriteMessage(websocket.BinaryMessage, frame); err != nil {
				w.c.Kick(realtimev1.ErrorCode_ERROR_CODE_SLOW_CONSUMER, "write failed")
				_ = w.conn.Close()
				return
			}
		default:
			w.running.Store(false)
			// A frame or a kick may have come between the empty check and the store.
			if (len(w.c.Out()) == 0 && !w.c.Closed()) || !w.running.CompareAndSwap(false, true) {
				return
			}
		}
	}
}

// Wait blocks until every connection has ended (after the hub kicked them) or ctx ends.
func (h *Handler) Wait(ctx context.Context) {
	done := make(chan struct{})
	go func() { h.active.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// readFrame reads one message, refusing (rather than buffering) one larger than MaxFrameBytes.
func (h *Handler) readFrame(conn *websocket.Conn) (int, []byte, error) {
	typ, rd, err := conn.NextReader()
	if err != nil {
		return 0, nil, err
	}
	data, err := io.ReadAll(io.LimitReader(rd, h.Limits.MaxFrameBytes+1))
	if err != nil {
		return 0, nil, err
	}
	if int64(len(data)) > h.Limits.MaxFrameBytes {
		return 0, nil, errFrameTooLarge
	}
	return typ, data, nil
}

var errFrameTooLarge = errors.New("frame too large")

type wireError struct {
	code realtimev1.ErrorCode
	msg  string
}

func (e *wireError) Error() string { return e.msg }

// joinArgs are what a Join asks for besides its room: the events after lastSeq, and its view (nil for
// everything).
type joinArgs struct {
	lastSeq uint64
	view    *hub.View
}

// admit reads Join and verifies its token; it returns the client, what it asks for and the access the
// token claims.
func (h *Handler) admit(ctx context.Context, conn *websocket.Conn) (*hub.Client, joinArgs, access.Access, error) {
	_ = conn.SetReadDeadline(time.Now().Add(h.Limits.JoinTimeout))
	typ, data, err := h.readFrame(conn)
	if err != nil {
		return nil, joinArgs{}, access.Access{}, &wireError{realtimev1.ErrorCode_ERROR_CODE_BAD_FRAME, "expected Join: " + err.Error()}
	}
	_ = conn.SetReadDeadline(time.Time{})
	var f realtimev1.ClientFrame
	if typ != websocket.BinaryMessage || proto.Unmarshal(data, &f) != nil || len(f.GetMessages()) != 1 || f.GetMessages()[0].GetJoin() == nil {
		return nil, joinArgs{}, access.Access{}, &wireError{realtimev1.ErrorCode_ERROR_CODE_BAD_FRAME, "the first frame must be a binary ClientFrame holding exactly one Join"}
	}
	join := f.GetMessages()[0].GetJoin()
	args := joinArgs{lastSeq: join.GetLastSeq()}
	if join.GetView() != nil {
		v, err := viewOf(join.GetView())
		if err != nil {
			return nil, joinArgs{}, access.Access{}, &wireError{realtimev1.ErrorCode_ERROR_CODE_INVALID_ARGUMENT, err.Error()}
		}
		args.view = &v
	}
	grant, err := h.Verifier.Verify(ctx, join.GetToken())
	if err != nil {
		return nil, joinArgs{}, access.Access{}, &wireError{realtimev1.ErrorCode_ERROR_CODE_UNAUTHENTICATED, err.Error()}
	}
	if join.GetRoomId() != grant.Room.String() {
		return nil, joinArgs{}, access.Access{}, &wireError{realtimev1.ErrorCode_ERROR_CODE_PERMISSION_DENIED, "the token is for another room"}
	}
	w := &writer{h: h, conn: conn}
	c := hub.NewClient(hub.Identity{UserID: grant.UserID, Name: grant.Name, Role: grant.Role, Room: grant.Room}, h.Limits.QueueFrames, w.wake)
	w.c = c
	return c, args, grant.Access, nil
}

// viewOf maps a wire View to the hub's.
func viewOf(v *realtimev1.View) (hub.View, error) {
	return hub.NewView(v.GetMinX(), v.GetMinY(), v.GetMaxX(), v.GetMaxY(), v.GetLevel())
}

// join checks that the token's access still holds (refusing when that cannot be read: fail closed) and
// adds the client to its room.
func (h *Handler) join(ctx context.Context, c *hub.Client, acc access.Access, args joinArgs) *wireError {
	if err := h.Access.Admit(ctx, acc); err != nil {
		if errors.Is(err, access.ErrRevoked) {
			return &wireError{realtimev1.ErrorCode_ERROR_CODE_ACCESS_REVOKED, err.Error()}
		}
		return &wireError{realtimev1.ErrorCode_ERROR_CODE_INTERNAL, "cannot check the token's access: " + err.Error()}
	}
	if err := h.Hub.Join(context.WithoutCancel(ctx), c, args.lastSeq, args.view); err != nil {
		return &wireError{realtimev1.ErrorCode_ERROR_CODE_INTERNAL, "cannot join: " + err.Error()}
	}
	return nil
}

// closeWith sends a fatal error and closes with code 4000 + ErrorCode.
func (h *Handler) closeWith(conn *websocket.Conn, err error) {
	var we *wireError
	if !errors.As(err, &we) {
		we = &wireError{realtimev1.ErrorCode_ERROR_CODE_INTERNAL, err.Error()}
	}
	h.rejects.WithLabelValues(we.code.String()).Inc()
	h.finish(conn, &realtimev1.Error{Code: we.code, Message: we.msg, Fatal: true})
}

func (h *Handler) finish(conn *websocket.Conn, e *realtimev1.Error) {
	deadline := time.Now().Add(h.Limits.WriteTimeout)
	_ = conn.SetWriteDeadline(deadline)
	frame, _ := proto.Marshal(&realtimev1.ServerFrame{Messages: []*realtimev1.ServerMessage{{Body: &realtimev1.ServerMessage_Error{Error: e}}}})
	_ = conn.WriteMessage(websocket.BinaryMessage, frame)
	reason := e.GetMessage()
	if len(reason) > 120 { // a close reason must fit a control frame
		reason = reason[:120]
	}
	_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4000+int(e.GetCode()), reason), deadline)
	_ = conn.Close()
}

func (h *Handler) readLoop(conn *websocket.Conn, c *hub.Client) {
	bucket := newBucket(h.Limits.MessagesPerSecond, h.Limits.Burst)
	for {
		typ, data, err := h.readFrame(conn)
		if err != nil {
			var ce *websocket.CloseError
			if errors.Is(err, errFrameTooLarge) {
				c.Kick(realtimev1.ErrorCode_ERROR_CODE_BAD_FRAME, fmt.Sprintf("frame larger than %d bytes", h.Limits.MaxFrameBytes))
			} else if !errors.As(err, &ce) {
				c.Kick(realtimev1.ErrorCode_ERROR_CODE_UNSPECIFIED, "connection lost")
			} else {
				c.Kick(realtimev1.ErrorCode_ERROR_CODE_UNSPECIFIED, "closed by the client")
			}
			return
		}
		f, err := decodeFrame(typ, data)
		if err != nil {
			c.Kick(realtimev1.ErrorCode_ERROR_CODE_BAD_FRAME, err.Error())
			return
		}
		for _, m := range f.GetMessages() {
			if !bucket.take(time.Now()) {
				h.reply(c, m.GetRequestId(), realtimev1.ErrorCode_ERROR_CODE_RATE_LIMITED, "too many messages: slow down and retry", 250)
				continue
			}
			if fatal := h.handle(c, m); fatal != nil {
				h.rejects.WithLabelValues(fatal.code.String()).Inc()
				c.Kick(fatal.code, fatal.msg)
				return
			}
		}
		if c.Closed() {
			return
		}
	}
}

// handle dispatches one message; it returns an error only when the connection must close.
func (h *Handler) handle(c *hub.Client, m *realtimev1.ClientMessage) *wireError {
	id := m.GetRequestId()
	canDraw := c.Role == roomv1.Role_ROLE_EDITOR || c.Role == roomv1.Role_ROLE_OWNER
	switch b := m.GetBody().(type) {
	case *realtimev1.ClientMessage_Join:
		return &wireError{realtimev1.ErrorCode_ERROR_CODE_BAD_FRAME, "already joined"}
	case *realtimev1.ClientMessage_CursorMove:
		h.count("cursor")
		h.refuse(c, id, h.Hub.Cursor(c, b.CursorMove.GetX(), b.CursorMove.GetY()))
		return nil
	case *realtimev1.ClientMessage_SetView:
		h.count("view")
		v, err := viewOf(b.SetView.GetView())
		if err != nil {
			h.refuse(c, id, err)
			return nil
		}
		h.Hub.Reply(c, &realtimev1.ServerMessage{Body: &realtimev1.ServerMessage_Ack{Ack: &realtimev1.Ack{RequestId: id, Seq: h.Hub.SetView(c, v)}}})
		return nil
	case *realtimev1.ClientMessage_FetchEvents:
		h.count("fetch")
		limit := int(b.FetchEvents.GetLimit())
		if limit <= 0 {
			limit = 1000
		}
		if err := h.Hub.Fetch(context.Background(), c, b.FetchEvents.GetAfterSeq(), limit); err != nil {
			h.reply(c, id, realtimev1.ErrorCode_ERROR_CODE_INTERNAL, "fetch failed: "+err.Error(), 500)
		}
		return nil
	case nil:
		return &wireError{realtimev1.ErrorCode_ERROR_CODE_BAD_FRAME, "empty message"}
	}
	if !canDraw {
		h.reply(c, id, realtimev1.ErrorCode_ERROR_CODE_PERMISSION_DENIED, "viewers cannot draw, erase or undo", 0)
		return nil
	}
	d, err := checkDrawing(m, h.Limits.MaxLivePoints)
	h.count(d.kind)
	if err != nil {
		h.reply(c, id, realtimev1.ErrorCode_ERROR_CODE_INVALID_ARGUMENT, err.Error(), 0)
		return nil
	}
	// Live messages are checked here for their size and by the hub against the stroke they continue,
	// and relayed rebuilt from their known fields.
	switch b := m.GetBody().(type) {
	case *realtimev1.ClientMessage_StrokeBegin:
		h.refuse(c, id, h.Hub.BeginStroke(c, d.stroke))
	case *realtimev1.ClientMessage_StrokeMore:
		h.refuse(c, id, h.Hub.ContinueStroke(c, b.StrokeMore.GetStrokeId(), b.StrokeMore.GetPoints(), b.StrokeMore.GetPressures()))
	case *realtimev1.ClientMessage_StrokeEnd:
		h.refuse(c, id, h.Hub.EndStroke(c, b.StrokeEnd.GetStrokeId(), b.StrokeEnd.GetCancelled()))
	case *realtimev1.ClientMessage_CommitStroke:
		h.submit(c, id, events.Command{Op: events.OpAddStroke, Stroke: d.stroke, ActionID: uuid.UUID(d.stroke.Msg.GetId())})
	case *realtimev1.ClientMessage_EraseStrokes:
		h.submit(c, id, events.Command{Op: events.OpErase, ActionID: uuid.UUID(b.EraseStrokes.GetActionId()), StrokeIDs: d.ids})
	case *realtimev1.ClientMessage_Undo:
		h.submit(c, id, events.Command{Op: events.OpUndo, ActionID: uuid.UUID(b.Undo.GetActionId())})
	case *realtimev1.ClientMessage_Redo:
		h.submit(c, id, events.Command{Op: events.OpRedo, ActionID: uuid.UUID(b.Redo.GetActionId())})
	}
	return nil
}

func (h *Handler) submit(c *hub.Client, id uint32, cmd events.Command) {
	cmd.Room = c.Room
	cmd.Author = uuid.MustParse(c.UserID) // verified as a UUID by auth
	err := h.Writer.Submit(&events.Request{Cmd: cmd, Done: func(res events.Result) {
		if res.Err != nil {
			code, retry := WireCode(res.Err)
			h.reply(c, id, code, res.Err.Error(), retry)
			return
		}
		h.Hub.Reply(c, &realtimev1.ServerMessage{Body: &realtimev1.ServerMessage_Ack{Ack: &realtimev1.Ack{RequestId: id, Seq: res.Seq, Duplicate: res.Duplicate}}})
	}})
	if err != nil {
		code, retry := WireCode(err)
		h.reply(c, id, code, err.Error(), retry)
	}
}

// WireCode maps a domain error to its wire code and retry hint in milliseconds.
func WireCode(err error) (realtimev1.ErrorCode, uint32) {
	switch events.CodeOf(err) {
	case events.CodeInvalid:
		return realtimev1.ErrorCode_ERROR_CODE_INVALID_ARGUMENT, 0
	case events.CodePermissionDenied:
		return realtimev1.ErrorCode_ERROR_CODE_PERMISSION_DENIED, 0
	case events.CodeNotFound:
		return realtimev1.ErrorCode_ERROR_CODE_NOT_FOUND, 0
	case events.CodeOverloaded:
		return realtimev1.ErrorCode_ERROR_CODE_OVERLOADED, 200
	case events.CodeConflict:
		return realtimev1.ErrorCode_ERROR_CODE_CONFLICT, 0
	default:
		return realtimev1.ErrorCode_ERROR_CODE_INTERNAL, 500
	}
}

// refuse replies with err, if any.
func (h *Handler) refuse(c *hub.Client, id uint32, err error) {
	if err != nil {
		code, retry := WireCode(err)
		h.reply(c, id, code, err.Error(), retry)
	}
}

func (h *Handler) reply(c *hub.Client, id uint32, code realtimev1.ErrorCode, msg string, retryMs uint32) {
	h.rejects.WithLabelValues(code.String()).Inc()
	h.Hub.Reply(c, &realtimev1.ServerMessage{Body: &realtimev1.ServerMessage_Error{Error: &realtimev1.Error{
		RequestId: id, Code: code, Message: msg, RetryAfterMs: retryMs}}})
}

func (h *Handler) count(kind string) { h.msgsIn.WithLabelValues(kind).Inc() }

// bucket is a token bucket: rate tokens per second up to burst.
type bucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func newBucket(rate, burst float64) *bucket {
	return &bucket{rate: rate, burst: burst, tokens: burst, last: time.Now()}
}

func (b *bucket) take(now time.Time) bool {
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
