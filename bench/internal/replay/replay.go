// Package replay draws real Quick, Draw! drawings as a person would on a board: each stroke's live
// chunks every 16 ms of recorded time, then its commit, then the recorded pause before the next stroke,
// at the recorded speed times a factor. The benchmarks that write (fanout, bigroom) share it.
package replay

import (
	"context"
	"fmt"
	"time"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/realtime-go/client"
	"github.com/infidraw/infidraw/shared-go/quickdraw"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// Width is the nominal width of every replayed stroke (encoded units: 3 world units).
const Width = 300

// Writer sends one system's messages for a stroke.
type Writer interface {
	// Live sends points [from, to) of a stroke in progress (from == 0 begins it).
	Live(s *strokev1.Stroke, pts []strokes.Point, from, to int) error
	// Commit sends the finished stroke (and may wait for its ack).
	Commit(ctx context.Context, s *strokev1.Stroke, pts []strokes.Point) error
}

// Drawing replays d with its origin at (ox, oy) world units, speed times its recorded speed. It returns
// false when ctx ended before the drawing did.
func Drawing(ctx context.Context, d quickdraw.Drawing, ox, oy int64, speed float64, w Writer) (bool, error) {
	var prevEnd float64
	for si, s := range d.Strokes {
		if si > 0 && !Wait(ctx, (s[0].T-prevEnd)/speed) {
			return false, nil
		}
		pts := make([]strokes.Point, len(s))
		for i, p := range s {
			pts[i] = strokes.Point{X: quickdraw.Quantize(p.X + float64(ox)), Y: quickdraw.Quantize(p.Y + float64(oy)), Pressure: strokes.DefaultPressure}
		}
		stroke := client.PenStroke(pts, Width, 0x1e1e1eff)
		// Live: the first chunk with StrokeBegin, then one StrokeMore per 16 ms of recorded time.
		i := 0
		chunkStart := s[0].T
		for i < len(s) {
			j := i + 1
			for j < len(s) && s[j].T < chunkStart+16 {
				j++
			}
			if err := w.Live(stroke, pts, i, j); err != nil {
				return false, err
			}
			if j < len(s) && !Wait(ctx, (s[j].T-chunkStart)/speed) {
				return false, nil
			}
			chunkStart = s[min(j, len(s)-1)].T
			i = j
		}
		if err := w.Commit(ctx, stroke, pts); err != nil {
			return false, err
		}
		prevEnd = s[len(s)-1].T
	}
	return ctx.Err() == nil, nil
}

// LiveMessage is realtime-go's message for points [from, to) of a stroke in progress.
func LiveMessage(s *strokev1.Stroke, from, to int) *realtimev1.ClientMessage {
	if from == 0 {
		part := &strokev1.Stroke{Id: s.GetId(), Tool: s.GetTool(), Rgba: s.GetRgba(), Width: s.GetWidth(), Quantum: s.GetQuantum(), Points: s.GetPoints()[2*from : 2*to]}
		return &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_StrokeBegin{StrokeBegin: &realtimev1.StrokeBegin{Stroke: part}}}
	}
	return &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_StrokeMore{StrokeMore: &realtimev1.StrokeMore{StrokeId: s.GetId(), Points: s.GetPoints()[2*from : 2*to]}}}
}

// Commit commits a stroke on realtime-go and waits for its ack, again after each OVERLOADED retry
// delay; nil when the run ended first. The commit may finish after ctx (the measuring window) ended.
func Commit(ctx context.Context, c *client.Client, s *strokev1.Stroke) (*realtimev1.Ack, error) {
	for {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		rep, err := c.Request(rctx, &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_CommitStroke{CommitStroke: &realtimev1.CommitStroke{Stroke: s}}})
		cancel()
		if err != nil {
			return nil, err
		}
		if rep.Ack != nil {
			return rep.Ack, nil
		}
		if rep.Error.GetRetryAfterMs() == 0 {
			return nil, fmt.Errorf("commit refused: %s", rep.Error.GetMessage())
		}
		if !Wait(context.WithoutCancel(ctx), float64(rep.Error.GetRetryAfterMs())) {
			return nil, nil
		}
	}
}

// Wait waits ms milliseconds; false when ctx ended first.
func Wait(ctx context.Context, ms float64) bool {
	if ms <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(time.Duration(ms * float64(time.Millisecond)))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
