package fanout

import (
	"context"
	"time"

	"github.com/infidraw/infidraw/bench/internal/phase1"
	"github.com/infidraw/infidraw/bench/internal/stack"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// phase1Session speaks the roadmap's phase-1 relay's binary protocol (bench/phase1-relay/server.js); the
// client checks the same contract as the others: every event exactly once, in sequence order, no gap.
type phase1Session struct{ c *phase1.Client }

// phase1Observer hands what a phase-1 client receives to the run's recorder.
type phase1Observer struct{ log recorder }

func (o phase1Observer) Event(now time.Time, id [16]byte, payload []byte) {
	o.log.record(now, id, payload)
}
func (o phase1Observer) Received(bytes int) { o.log.received(bytes) }

func dialPhase1(ctx context.Context, rep *stack.Process, room string, log recorder) (session, error) {
	c, err := phase1.Dial(ctx, rep.HTTP, room, phase1Observer{log})
	if err != nil {
		return nil, err
	}
	return &phase1Session{c}, nil
}

func (s *phase1Session) live(stroke *strokev1.Stroke, pts []strokes.Point, i, j int) error {
	return s.c.Live([16]byte(stroke.GetId()), pts[i:j])
}

func (s *phase1Session) commit(_ context.Context, stroke *strokev1.Stroke, pts []strokes.Point) (bool, error) {
	if _, err := s.c.Commit([16]byte(stroke.GetId()), pts); err != nil {
		return false, err
	}
	return true, nil
}

// payload: the stroke's fields after its id, which the relay passes on as msgpackr re-encodes them.
func (s *phase1Session) payload(_ *strokev1.Stroke, pts []strokes.Point) ([]byte, error) {
	return phase1.Payload(pts)
}

func (s *phase1Session) waitSeq(ctx context.Context, head uint64) error {
	return s.c.WaitSeq(ctx, head)
}
func (s *phase1Session) violations() int { return s.c.Violations() }
func (s *phase1Session) close() error    { return s.c.Close() }
