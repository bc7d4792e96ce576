package hub

import (
	"time"

	"github.com/google/uuid"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	"github.com/infidraw/infidraw/realtime-go/internal/events"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// Live traffic is relayed as fresh messages built from validated known fields only, never as received:
// a client cannot make the server forward bytes it did not check. A live stroke belongs to the session
// that began it: only that session may continue or end it, and its id cannot be begun again by another
// session while it is live, on this replica or (learned from the bus) on another.
const (
	// liveIdle is how long a live stroke may go without a StrokeMore before it is forgotten (a lost
	// StrokeEnd, a replica that died).
	liveIdle = 30 * time.Second
	// livePerSession bounds the live strokes of one session (a pen and a few fingers); beginning one
	// more forgets the session's oldest.
	livePerSession = 4
)

// liveStroke is one live stroke of a room. For a local session it holds the end of the stroke's delta
// chain, so that each StrokeMore is checked as the points it adds; strokes of other replicas' sessions
// were checked there and only their owner is kept.
type liveStroke struct {
	session uint32
	local   bool
	seen    time.Time
	quantum int64
	x, y    int64
	// pressure is the last absolute pressure, -1 for a stroke without pressures.
	pressure int64
	points   int
	// reach and box: how far the ink reaches from a point, and the box of the stroke so far with it.
	reach int64
	box   strokes.Box
}

// liveStrokes are the live strokes of a room by id. Guarded by the room's mutex.
type liveStrokes struct {
	byID       map[uuid.UUID]*liveStroke
	perSession map[uint32]int
	sweepAt    int // len(byID) at which expired entries are swept next
}

func newLiveStrokes() liveStrokes {
	return liveStrokes{byID: map[uuid.UUID]*liveStroke{}, perSession: map[uint32]int{}, sweepAt: 64}
}

// get returns the live stroke id, forgetting it when it expired.
func (ls *liveStrokes) get(id uuid.UUID, now time.Time) *liveStroke {
	s := ls.byID[id]
	if s != nil && now.Sub(s.seen) > liveIdle {
		ls.remove(id, s)
		return nil
	}
	return s
}

func (ls *liveStrokes) remove(id uuid.UUID, s *liveStroke) {
	delete(ls.byID, id)
	if ls.perSession[s.session]--; ls.perSession[s.session] <= 0 {
		delete(ls.perSession, s.session)
	}
}

// begin makes session the owner of id; it fails when another session owns it.
func (ls *liveStrokes) begin(id uuid.UUID, s *liveStroke, now time.Time) error {
	if old := ls.get(id, now); old != nil {
		if old.session != s.session || old.local != s.local {
			return events.Errorf(events.CodeConflict, "stroke %s is being drawn by another session: use a new id", id)
		}
		ls.remove(id, old) // the owner began it again
	}
	if ls.perSession[s.session] >= livePerSession {
		ls.forgetOldest(s.session)
	}
	if len(ls.byID) >= ls.sweepAt {
		for k, v := range ls.byID {
			if now.Sub(v.seen) > liveIdle {
				ls.remove(k, v)
			}
		}
		ls.sweepAt = max(64, 2*len(ls.byID))
	}
	s.seen = now
	ls.byID[id] = s
	ls.perSession[s.session]++
	return nil
}

func (ls *liveStrokes) forgetOldest(session uint32) {
	var oldest uuid.UUID
	var at *liveStroke
	for id, s := range ls.byID {
		if s.session == session && (at == nil || s.seen.Before(at.seen)) {
			oldest, at = id, s
		}
	}
	if at != nil {
		ls.remove(oldest, at)
	}
}

// owned returns the live stroke id if session owns it (a local session of this replica when local).
func (ls *liveStrokes) owned(id uuid.UUID, session uint32, local bool, now time.Time) (*liveStroke, error) {
	s := ls.get(id, now)
	if s == nil {
		return nil, events.Errorf(events.CodeNotFound, "stroke %s is not being drawn (no StrokeBegin, or it ended)", id)
	}
	if s.session != session || s.local != local {
		return nil, events.Errorf(events.CodePermissionDenied, "stroke %s is being drawn by another session", id)
	}
	return s, nil
}

// leave forgets the live strokes of sessions that left.
func (ls *liveStrokes) leave(sessions ...uint32) {
	for _, session := range sessions {
		if ls.perSession[session] == 0 {
			continue
		}
		for id, s := range ls.byID {
			if s.session == session {
				ls.remove(id, s)
			}
		}
	}
}

// advance checks the points a StrokeMore adds to a local live stroke and moves the stroke's end; nothing
// changes when they are refused.
func (s *liveStroke) advance(points, pressures []int32) error {
	if len(points)%2 != 0 {
		return events.Errorf(events.CodeInvalid, "points hold %d values, not x,y pairs", len(points))
	}
	n := len(points) / 2
	if s.points+n > strokes.MaxPoints {
		return events.Errorf(events.CodeInvalid, "a stroke has at most %d points", strokes.MaxPoints)
	}
	if s.pressure < 0 && len(pressures) != 0 {
		return events.Errorf(events.CodeInvalid, "the stroke began without pressures: %d pressures", len(pressures))
	}
	if s.pressure >= 0 && len(pressures) != n {
		return events.Errorf(events.CodeInvalid, "%d pressures for %d points", len(pressures), n)
	}
	x, y, p := s.x, s.y, s.pressure
	box := s.box
	for i := range n {
		x += int64(points[2*i]) * s.quantum
		y += int64(points[2*i+1]) * s.quantum
		if x < -strokes.MaxCoord || x > strokes.MaxCoord || y < -strokes.MaxCoord || y > strokes.MaxCoord {
			return events.Errorf(events.CodeInvalid, "point (%d, %d) is outside ±%d", x, y, strokes.MaxCoord)
		}
		if p >= 0 {
			if p += int64(pressures[i]); p < 0 || p > 255 {
				return events.Errorf(events.CodeInvalid, "pressure %d is outside 0..255", p)
			}
		}
		box = box.Union(strokes.Box{X0: x, Y0: y, X1: x, Y1: y}.Grow(s.reach, s.reach))
	}
	s.x, s.y, s.pressure, s.points, s.box = x, y, p, s.points+n, box
	return nil
}

// Cursor relays a client's pointer (world units x100) to the clients whose view it is in; the cursors
// of crowd viewers are not relayed.
func (h *Hub) Cursor(c *Client, x, y int32) error {
	if abs64(int64(x)) > strokes.MaxCoord || abs64(int64(y)) > strokes.MaxCoord {
		return events.Errorf(events.CodeInvalid, "cursor (%d, %d) is outside ±%d", x, y, strokes.MaxCoord)
	}
	if c.crowd {
		return nil
	}
	r := c.room
	r.mu.Lock()
	defer r.mu.Unlock()
	at := strokes.Box{X0: int64(x), Y0: int64(y), X1: int64(x), Y1: int64(y)}
	h.relayLocked(r, c, &realtimev1.Live{Body: &realtimev1.Live_CursorMove{CursorMove: &realtimev1.CursorMove{X: x, Y: y}}}, at)
	return nil
}

// BeginStroke starts a client's live stroke; s was validated (strokes.Validate), so its Msg holds known
// fields only.
func (h *Hub) BeginStroke(c *Client, s strokes.Stroke) error {
	last := s.Points[len(s.Points)-1]
	ls := &liveStroke{session: c.Session, local: true, quantum: max(1, int64(s.Msg.GetQuantum())), x: last.X, y: last.Y,
		pressure: -1, points: len(s.Points), reach: strokes.ReachQ(s.Msg.GetWidth()), box: strokes.Bounds(s.Msg.GetWidth(), s.Points)}
	if len(s.Msg.GetPressures()) > 0 {
		ls.pressure = int64(last.Pressure)
	}
	r := c.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.live.begin(uuid.UUID(s.Msg.GetId()), ls, time.Now()); err != nil {
		return err
	}
	h.relayLocked(r, c, &realtimev1.Live{Body: &realtimev1.Live_StrokeBegin{StrokeBegin: &realtimev1.StrokeBegin{Stroke: s.Msg}}}, ls.box)
	return nil
}

// ContinueStroke relays the next points of a live stroke the client began.
func (h *Hub) ContinueStroke(c *Client, id []byte, points, pressures []int32) error {
	sid, err := liveID(id)
	if err != nil {
		return err
	}
	r := c.room
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	s, err := r.live.owned(sid, c.Session, true, now)
	if err != nil {
		return err
	}
	if err := s.advance(points, pressures); err != nil {
		return err
	}
	s.seen = now
	// The box of the whole stroke so far: a client that got its beginning gets the rest.
	h.relayLocked(r, c, &realtimev1.Live{Body: &realtimev1.Live_StrokeMore{StrokeMore: &realtimev1.StrokeMore{StrokeId: sid[:], Points: points, Pressures: pressures}}}, s.box)
	return nil
}

// EndStroke relays the end of a live stroke the client began.
func (h *Hub) EndStroke(c *Client, id []byte, cancelled bool) error {
	sid, err := liveID(id)
	if err != nil {
		return err
	}
	r := c.room
	r.mu.Lock()
	defer r.mu.Unlock()
	s, err := r.live.owned(sid, c.Session, true, time.Now())
	if err != nil {
		return err
	}
	r.live.remove(sid, s)
	h.relayLocked(r, c, &realtimev1.Live{Body: &realtimev1.Live_StrokeEnd{StrokeEnd: &realtimev1.StrokeEnd{StrokeId: sid[:], Cancelled: cancelled}}}, s.box)
	return nil
}

func liveID(id []byte) (uuid.UUID, error) {
	if err := strokes.ValidID(id); err != nil {
		return uuid.Nil, events.Errorf(events.CodeInvalid, "stroke id: %v", err)
	}
	return uuid.UUID(id), nil
}

// relayLocked queues a client's live message, at box on the board, for the room here and on every
// replica. Caller holds r.mu.
func (h *Hub) relayLocked(r *Room, c *Client, l *realtimev1.Live, box strokes.Box) {
	l.SessionId = c.Session
	r.addEphemeral(&realtimev1.ServerMessage{Body: &realtimev1.ServerMessage_Live{Live: l}}, events.Area{Box: box, Known: true})
	r.busLive = append(r.busLive, l)
	r.busAreas = append(r.busAreas, areaMessage(box))
}

// acceptRemoteLive applies the live message of another replica's session: its replica checked it, this
// one keeps the ownership of its strokes and drops what contradicts it. Caller holds r.mu.
func (r *Room) acceptRemoteLive(l *realtimev1.Live, now time.Time) bool {
	var id []byte
	switch b := l.GetBody().(type) {
	case *realtimev1.Live_CursorMove:
		return true
	case *realtimev1.Live_StrokeBegin:
		id = b.StrokeBegin.GetStroke().GetId()
		if strokes.ValidID(id) != nil {
			return false
		}
		return r.live.begin(uuid.UUID(id), &liveStroke{session: l.GetSessionId()}, now) == nil
	case *realtimev1.Live_StrokeMore:
		id = b.StrokeMore.GetStrokeId()
	case *realtimev1.Live_StrokeEnd:
		id = b.StrokeEnd.GetStrokeId()
	default:
		return false
	}
	if strokes.ValidID(id) != nil {
		return false
	}
	s, err := r.live.owned(uuid.UUID(id), l.GetSessionId(), false, now)
	if err != nil {
		return false
	}
	if l.GetStrokeEnd() != nil {
		r.live.remove(uuid.UUID(id), s)
	} else {
		s.seen = now
	}
	return true
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
