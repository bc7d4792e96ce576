package hittest

import (
	"testing"

	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// mk builds a stroke of the tool from world-unit points (pressure -1: none), width in world units.
func mk(tool strokev1.Tool, width float64, pressures []int32, xy ...float64) *strokev1.Stroke {
	pts := make([]strokes.Point, len(xy)/2)
	for i := range pts {
		p := int32(strokes.DefaultPressure)
		if pressures != nil {
			p = pressures[i]
		}
		pts[i] = strokes.Point{X: int64(xy[2*i] * 100), Y: int64(xy[2*i+1] * 100), Pressure: p}
	}
	q, points, pr := strokes.EncodePoints(pts)
	return &strokev1.Stroke{Id: make([]byte, 16), Tool: tool, Rgba: 0xff, Width: uint32(width * 100), Quantum: q, Points: points, Pressures: pr}
}

func disk(x, y, r float64) Disk { return Disk{X: int64(x * 100), Y: int64(y * 100), R: int64(r * 100)} }

func TestHit(t *testing.T) {
	pen, hl, px := strokev1.Tool_TOOL_PEN, strokev1.Tool_TOOL_HIGHLIGHTER, strokev1.Tool_TOOL_PIXEL_ERASER
	line := mk(pen, 10, nil, 0, 0, 100, 0) // half width 5 × f(128) ≈ 5.01
	// A right angle: the smoothed centre line cuts the corner at (100, 0) (it passes (75, 12.5)).
	corner := mk(hl, 2, nil, 0, 0, 100, 0, 100, 100)
	tests := []struct {
		name string
		s    *strokev1.Stroke
		d    Disk
		want bool
	}{
		{"on the line", line, disk(50, 0, 1), true},
		{"touching the edge of the ink", line, disk(50, 9.9, 4.95), true},
		{"just beyond the edge of the ink", line, disk(50, 10.1, 5), false},
		{"round cap at the end", line, disk(104, 3, 1), true},
		{"beyond the cap", line, disk(108, 0, 2), false},
		{"far away", line, disk(5000, 5000, 100), false},
		{"a dot", mk(pen, 4, nil, 10, 10), disk(12, 10, 0.5), true},
		{"beside a dot", mk(pen, 4, nil, 10, 10), disk(14, 10, 1), false},
		{"high pressure widens the pen", mk(pen, 10, []int32{255, 255}, 0, 0, 100, 0), disk(50, 8.5, 1), true},
		{"low pressure narrows the pen", mk(pen, 10, []int32{0, 0}, 0, 0, 100, 0), disk(50, 4, 1), false},
		{"the highlighter has no pressure factor", mk(hl, 10, nil, 0, 0, 100, 0), disk(50, 6.05, 1), false},
		{"a pixel eraser is never hit", mk(px, 10, nil, 0, 0, 100, 0), disk(50, 0, 5), false},
		{"the smoothed curve, not the polyline: the corner is off the ink", corner, disk(100, 0, 3), false},
		{"the smoothed curve passes (75, 12.5)", corner, disk(75, 13, 1), true},
		{"the last piece is a line to the last point", corner, disk(100, 90, 1), true},
		{"negative coordinates", mk(pen, 6, nil, -300, -300, -200, -250), disk(-250, -275, 1), true},
		{"negative coordinates, miss", mk(pen, 6, nil, -300, -300, -200, -250), disk(-250, -250, 1), false},
		{"radius reaches a stroke far from the centre", line, disk(50, 300, 296), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Hit(tc.s, tc.d)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("Hit = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestHitRejectsBadStrokes(t *testing.T) {
	s := &strokev1.Stroke{Tool: strokev1.Tool_TOOL_PEN, Width: 100, Points: []int32{1, 2, 3}}
	if _, err := Hit(s, disk(0, 0, 1)); err == nil {
		t.Fatal("odd number of coordinates accepted")
	}
}
