package bigroom

import (
	"testing"
	"time"

	"github.com/infidraw/infidraw/realtime-go/client"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

func TestRectTouches(t *testing.T) {
	screen := Rect{0, 0, ScreenW, ScreenH}
	tests := []struct {
		name string
		box  Rect
		want bool
	}{
		{"inside", Rect{100, 100, 200, 200}, true},
		{"covers it", Rect{-1, -1, ScreenW + 1, ScreenH + 1}, true},
		{"shares the right edge", Rect{ScreenW, 10, ScreenW + 50, 20}, true},
		{"shares a corner", Rect{-50, -50, 0, 0}, true},
		{"one unit right of it", Rect{ScreenW + 1, 10, ScreenW + 50, 20}, false},
		{"above it", Rect{10, -50, 20, -1}, false},
		{"beside and below", Rect{ScreenW + 1, ScreenH + 1, ScreenW + 9, ScreenH + 9}, false},
		{"a line across it", Rect{-1000, 500, ScreenW + 1000, 500}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := screen.Touches(tt.box); got != tt.want {
				t.Fatalf("Touches(%v) = %t, want %t", tt.box, got, tt.want)
			}
			if got := tt.box.Touches(screen); got != tt.want {
				t.Fatalf("not symmetric: %v.Touches(screen) = %t", tt.box, got)
			}
		})
	}
}

func TestGrownAddsHalfTheSizeOnEverySide(t *testing.T) {
	got := Rect{1000, 2000, 1000 + ScreenW, 2000 + ScreenH}.Grown()
	want := Rect{1000 - ScreenW/2, 2000 - ScreenH/2, 1000 + ScreenW + ScreenW/2, 2000 + ScreenH + ScreenH/2}
	if got != want {
		t.Fatalf("Grown = %v, want %v", got, want)
	}
}

func TestStrokeBox(t *testing.T) {
	tests := []struct {
		name  string
		pts   []strokes.Point
		width uint32
		want  Rect
	}{
		{"dot", []strokes.Point{{X: 500, Y: -700}}, 300, Rect{200, -1000, 800, -400}},
		{"line", []strokes.Point{{X: 0, Y: 0}, {X: 1000, Y: 50}, {X: -40, Y: 900}}, 100, Rect{-140, -100, 1100, 1000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StrokeBox(tt.pts, tt.width); got != tt.want {
				t.Fatalf("StrokeBox = %v, want %v", got, tt.want)
			}
		})
	}
	if (Rect{-1 << 40, -1 << 40, 1 << 40, 1 << 40}).Touches(StrokeBox(nil, 300)) {
		t.Fatal("a stroke without points touches a viewport")
	}
}

// The missing-events check: a client must hold every acknowledged stroke whose box touches its viewport
// (an unacknowledged one may or may not arrive), whatever arrives from elsewhere.
func TestMissingEventsInViewport(t *testing.T) {
	sent := newCommitted()
	id := func(b byte) [16]byte { return [16]byte{b} }
	inside := sent.add(id(1), Rect{100, 100, 200, 200})
	edge := sent.add(id(2), Rect{ScreenW, 0, ScreenW + 500, 10})        // touches the right edge
	margin := sent.add(id(3), Rect{ScreenW + 10, 0, ScreenW + 500, 10}) // in the margin only
	far := sent.add(id(4), Rect{10 * ScreenW, 0, 10*ScreenW + 5, 5})    // beyond the margin
	sent.add(id(5), Rect{300, 300, 400, 400})                           // never acknowledged
	for _, i := range []int32{inside, edge, margin, far} {
		sent.ack(i)
	}
	viewport := Rect{0, 0, ScreenW, ScreenH}
	want := sent.expected([]Rect{viewport, {20 * ScreenW, 0, 21 * ScreenW, ScreenH}})
	if len(want[0]) != 2 || want[0][0] != inside || want[0][1] != edge {
		t.Fatalf("expected in the viewport %v, want [%d %d] (not the margin's, the far one's or the unacknowledged one's)", want[0], inside, edge)
	}
	if len(want[1]) != 0 {
		t.Fatalf("expected in an empty part of the board %v, want none", want[1])
	}
	now := time.Now().UnixMilli()
	head := func(b byte) client.EventHead {
		i := id(b)
		return client.EventHead{Seq: uint64(b), CommittedAtMs: now, StrokeID: i[:]}
	}
	tests := []struct {
		name        string
		got         []client.EventHead
		wantMissing int
		wantOutside int
		wantLatency int
	}{
		{"nothing", nil, 2, 0, 0},
		{"the edge one only", []client.EventHead{head(2)}, 1, 0, 1},
		{"both, and the margin's", []client.EventHead{head(1), head(2), head(3)}, 0, 0, 2},
		{"everything (broadcast)", []client.EventHead{head(1), head(2), head(3), head(4), head(5)}, 0, 1, 3},
		{"the rest of the board's only", []client.EventHead{head(3), head(4)}, 2, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReceived(viewport, sent)
			r.heads(tt.got)
			if got := r.missing(want[0]); got != tt.wantMissing {
				t.Errorf("missing %d, want %d", got, tt.wantMissing)
			}
			if r.outside != tt.wantOutside {
				t.Errorf("outside the grown view %d, want %d", r.outside, tt.wantOutside)
			}
			if len(r.latencyMs) != tt.wantLatency {
				t.Errorf("%d latencies, want one per stroke in the viewport (%d)", len(r.latencyMs), tt.wantLatency)
			}
			if got := r.waitFor(want[0], nil, time.After(0)); got != tt.wantMissing {
				t.Errorf("waitFor at its deadline: %d missing, want %d", got, tt.wantMissing)
			}
		})
	}
}

func TestPlace(t *testing.T) {
	b := Board{Cols: 40, Rows: 40}
	p := b.Place(7, 200, 1000)
	if q := b.Place(7, 200, 1000); q.Viewers[999] != p.Viewers[999] || q.Spots[199] != p.Spots[199] {
		t.Fatal("the same seed placed clients differently")
	}
	bounds := b.Bounds()
	for i, s := range p.Spots {
		spot := Rect{s[0], s[1], s[0] + drawingReach, s[1] + drawingReach}
		if s[0] < bounds.MinX || s[1] < bounds.MinY || spot.MaxX > bounds.MaxX || spot.MaxY > bounds.MaxY {
			t.Fatalf("writer %d's drawings reach off the board: spot %v", i, s)
		}
		if !p.Writers[i].Touches(Rect{s[0], s[1], s[0], s[1]}) {
			t.Fatalf("writer %d's screen %v does not show its spot %v", i, p.Writers[i], s)
		}
	}
	overSpot := 0
	for i, v := range p.Viewers {
		if v.MaxX-v.MinX != ScreenW || v.MaxY-v.MinY != ScreenH {
			t.Fatalf("viewer %d's viewport %v is not a screen", i, v)
		}
		for _, s := range p.Spots {
			if v.Touches(Rect{s[0], s[1], s[0], s[1]}) {
				overSpot++
				break
			}
		}
	}
	if overSpot < len(p.Viewers)/2 {
		t.Fatalf("%d of %d viewers see a writer's spot, want at least half", overSpot, len(p.Viewers))
	}
}
