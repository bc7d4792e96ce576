package fanout

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"

	"github.com/infidraw/infidraw/bench/internal/stack"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// baselineSession speaks the earlier design's JSON protocol (bench/baseline-relay/server.js). It checks
// the same contract as realtime-go's client: every event exactly once, in sequence order, no gap.
type baselineSession struct {
	conn    *websocket.Conn
	writeMu sync.Mutex
	log     recorder

	mu      sync.Mutex
	lastSeq uint64
	bad     int
	pending map[string]chan uint64
	changed chan struct{}
	done    chan struct{}
}

// legacyStroke is the earlier design's stroke (as in bench/internal/wire): points as [x, y] in world units.
type legacyStroke struct {
	ID     string       `json:"id"`
	Tool   string       `json:"tool"`
	Color  string       `json:"color"`
	Width  float64      `json:"width"`
	Points [][2]float64 `json:"points"`
}

func legacyPoints(pts []strokes.Point) [][2]float64 {
	out := make([][2]float64, len(pts))
	for i, p := range pts {
		out[i] = [2]float64{float64(p.X) / 100, float64(p.Y) / 100}
	}
	return out
}

func dialBaseline(ctx context.Context, rep *stack.Process, room string, log recorder) (session, error) {
	conn, _, err := websocket.DefaultDialer.DialContext(ctx, "ws://"+rep.HTTP+"/ws?room="+room, nil)
	if err != nil {
		return nil, err
	}
	_, first, err := conn.ReadMessage()
	if err != nil || !bytes.HasPrefix(first, []byte(`{"type":"welcome"`)) {
		_ = conn.Close()
		return nil, fmt.Errorf("no welcome from the baseline relay: %v %s", err, first)
	}
	s := &baselineSession{conn: conn, log: log, pending: map[string]chan uint64{}, changed: make(chan struct{}), done: make(chan struct{})}
	go s.readLoop()
	return s, nil
}

var (
	eventPrefix = []byte(`{"type":"event"`)
	ackPrefix   = []byte(`{"type":"ack"`)
	idKey       = []byte(`"id":"`)
	seqKey      = []byte(`"seq":`)
	strokeKey   = []byte(`"stroke":{`)
)

// strokeJSON returns the stroke object of an event as the relay wrote it, from its '{' to its '}': the
// object has no nested object and no string that holds a brace (an id, "pen", a colour), so its end is
// the first '}'. nil when there is none (a truncated message).
func strokeJSON(msg []byte) []byte {
	i := bytes.Index(msg, strokeKey)
	if i < 0 {
		return nil
	}
	obj := msg[i+len(strokeKey)-1:]
	end := bytes.IndexByte(obj, '}')
	if end < 0 {
		return nil
	}
	return obj[:end+1]
}

// field scans (does not parse) the relay's JSON: the first string after `"id":"` and the number after the
// last `"seq":`. JSON.stringify writes keys in a fixed order and the stroke id comes first, so this is
// exact for this relay and keeps the load generator's CPU off the comparison.
func fields(msg []byte) (id string, seq uint64, ok bool) {
	i := bytes.Index(msg, idKey)
	j := bytes.LastIndex(msg, seqKey)
	if i < 0 || j < 0 {
		return "", 0, false
	}
	rest := msg[i+len(idKey):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return "", 0, false
	}
	num := msg[j+len(seqKey):]
	k := 0
	for k < len(num) && num[k] >= '0' && num[k] <= '9' {
		k++
	}
	seq, err := strconv.ParseUint(string(num[:k]), 10, 64)
	return string(rest[:end]), seq, err == nil
}

func (s *baselineSession) readLoop() {
	defer func() {
		s.mu.Lock()
		for id, ch := range s.pending {
			close(ch)
			delete(s.pending, id)
		}
		s.mu.Unlock()
		close(s.done)
	}()
	var buf bytes.Buffer
	for {
		_, msg, err := readMessage(s.conn, &buf)
		if err != nil {
			return
		}
		now := time.Now()
		s.log.received(len(msg))
		switch {
		case bytes.HasPrefix(msg, eventPrefix):
			id, seq, ok := fields(msg)
			u, err := uuid.Parse(id)
			if err == nil { // before waitSeq counts it (recorder)
				s.log.record(now, u, strokeJSON(msg))
			}
			s.mu.Lock()
			if !ok || err != nil || seq != s.lastSeq+1 {
				s.bad++
			}
			if ok && seq > s.lastSeq {
				s.lastSeq = seq
				close(s.changed)
				s.changed = make(chan struct{})
			}
			s.mu.Unlock()
		case bytes.HasPrefix(msg, ackPrefix):
			id, seq, ok := fields(msg)
			if !ok {
				continue
			}
			s.mu.Lock()
			if ch := s.pending[id]; ch != nil {
				ch <- seq
				delete(s.pending, id)
			}
			s.mu.Unlock()
		}
	}
}

func (s *baselineSession) send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.conn.WriteMessage(websocket.TextMessage, b)
}

func (s *baselineSession) live(stroke *strokev1.Stroke, pts []strokes.Point, i, j int) error {
	return s.send(map[string]any{"type": "live", "id": uuid.UUID(stroke.GetId()).String(), "points": legacyPoints(pts[i:j])})
}

func baselineStroke(stroke *strokev1.Stroke, pts []strokes.Point) legacyStroke {
	return legacyStroke{ID: uuid.UUID(stroke.GetId()).String(), Tool: "pen", Color: "#1e1e1e", Width: 3, Points: legacyPoints(pts)}
}

// payload: the stroke object of the relay's event, which is the one the writer sent, through msgpack
// and back and JSON.stringify: same keys in the same order, and numbers that JavaScript writes as Go does
// (shortest round-trip decimals, no exponent at these magnitudes).
func (s *baselineSession) payload(stroke *strokev1.Stroke, pts []strokes.Point) ([]byte, error) {
	return json.Marshal(baselineStroke(stroke, pts))
}

func (s *baselineSession) commit(ctx context.Context, stroke *strokev1.Stroke, pts []strokes.Point) (bool, error) {
	id := uuid.UUID(stroke.GetId()).String()
	ch := make(chan uint64, 1)
	s.mu.Lock()
	s.pending[id] = ch
	s.mu.Unlock()
	msg := map[string]any{"type": "stroke", "stroke": baselineStroke(stroke, pts)}
	if err := s.send(msg); err != nil {
		return false, err
	}
	// The ack may come after the measuring window closes.
	t := time.NewTimer(30 * time.Second)
	defer t.Stop()
	select {
	case _, ok := <-ch:
		if !ok {
			return false, fmt.Errorf("baseline relay closed the connection")
		}
		return true, nil
	case <-t.C:
		return false, fmt.Errorf("no ack for stroke %s within 30 s", id)
	}
}

func (s *baselineSession) waitSeq(ctx context.Context, head uint64) error {
	for {
		s.mu.Lock()
		last, changed := s.lastSeq, s.changed
		s.mu.Unlock()
		if last >= head {
			return nil
		}
		select {
		case <-changed:
		case <-s.done:
			return fmt.Errorf("connection closed at seq %d of %d", last, head)
		case <-ctx.Done():
			return fmt.Errorf("seq %d of %d: %w", last, head, ctx.Err())
		}
	}
}

func (s *baselineSession) violations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bad
}

func (s *baselineSession) close() error { return s.conn.Close() }
