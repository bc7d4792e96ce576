package replay

import (
	"context"
	"fmt"
	"testing"

	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/quickdraw"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// calls records what a Writer was asked to send, as text.
type calls struct{ log []string }

func (c *calls) Live(s *strokev1.Stroke, pts []strokes.Point, from, to int) error {
	c.log = append(c.log, fmt.Sprintf("live %d-%d of %d at (%d,%d)", from, to, len(pts), pts[from].X, pts[from].Y))
	return nil
}

func (c *calls) Commit(_ context.Context, s *strokev1.Stroke, pts []strokes.Point) error {
	c.log = append(c.log, fmt.Sprintf("commit %d points width %d", len(pts), s.GetWidth()))
	return nil
}

// A drawing goes out stroke by stroke: live chunks of 16 ms of recorded time that cover every point
// once, in order, then the commit; points moved to the origin, in encoded units.
func TestDrawingChunksAndCommits(t *testing.T) {
	d := quickdraw.Drawing{Strokes: []quickdraw.Stroke{
		{{X: 0, Y: 0, T: 0}, {X: 1, Y: 0, T: 5}, {X: 2, Y: 0, T: 16}, {X: 3, Y: 1, T: 40}},
		{{X: 10, Y: 10, T: 100}},
	}}
	var got calls
	done, err := Drawing(context.Background(), d, 50, -20, 1e6, &got) // fast: the pauses are nanoseconds
	if err != nil || !done {
		t.Fatalf("Drawing: %t, %v", done, err)
	}
	want := []string{
		"live 0-2 of 4 at (5000,-2000)", // t 0 and 5 (before 16)
		"live 2-3 of 4 at (5200,-2000)", // t 16 (before 32)
		"live 3-4 of 4 at (5300,-1900)", // t 40
		"commit 4 points width 300",
		"live 0-1 of 1 at (6000,-1000)",
		"commit 1 points width 300",
	}
	if fmt.Sprint(got.log) != fmt.Sprint(want) {
		t.Fatalf("sent\n%q\nwant\n%q", got.log, want)
	}
}

func TestDrawingStopsWithItsContext(t *testing.T) {
	d := quickdraw.Drawing{Strokes: []quickdraw.Stroke{{{X: 0, Y: 0, T: 0}, {X: 1, Y: 1, T: 50}}}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var got calls
	done, err := Drawing(ctx, d, 0, 0, 1, &got)
	if err != nil || done {
		t.Fatalf("Drawing after its context ended: %t, %v; want false, nil", done, err)
	}
	if len(got.log) != 1 { // the first chunk goes out; the wait for the next ends it
		t.Fatalf("sent %q, want only the first chunk", got.log)
	}
}

func TestLiveMessage(t *testing.T) {
	s := &strokev1.Stroke{Id: []byte{1}, Width: 300, Points: []int32{1, 2, 3, 4, 5, 6}}
	if b := LiveMessage(s, 0, 2).GetStrokeBegin().GetStroke(); fmt.Sprint(b.GetPoints()) != "[1 2 3 4]" || b.GetWidth() != 300 {
		t.Fatalf("begin: %v", b)
	}
	if m := LiveMessage(s, 2, 3).GetStrokeMore(); fmt.Sprint(m.GetPoints()) != "[5 6]" || m.GetStrokeId()[0] != 1 {
		t.Fatalf("more: %v", m)
	}
}
