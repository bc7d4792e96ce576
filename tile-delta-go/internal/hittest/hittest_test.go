package hittest

import (
	"testing"

	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/tile-delta-go/internal/geometry/geometrytest"
)

// TestHitVectors: the disks of docs/testdata/stroke-geometry.json, each at least two tolerances inside
// or outside the ink's edge.
func TestHitVectors(t *testing.T) {
	v := geometrytest.Load(t)
	if v.Tolerances.Hit != Tolerance {
		t.Fatalf("the vectors' hit tolerance is %v, Tolerance is %v", v.Tolerances.Hit, Tolerance)
	}
	for _, c := range v.Hits {
		t.Run(c.Name, func(t *testing.T) {
			got, err := Hit(v.Stroke(t, c.Stroke).Wire(), Disk{X: c.Disk[0], Y: c.Disk[1], R: c.Disk[2]})
			if err != nil {
				t.Fatal(err)
			}
			if got != c.Hit {
				t.Fatalf("Hit = %v, want %v", got, c.Hit)
			}
		})
	}
}

func TestHitRejectsBadStrokes(t *testing.T) {
	s := &strokev1.Stroke{Tool: strokev1.Tool_TOOL_PEN, Width: 100, Points: []int32{1, 2, 3}}
	if _, err := Hit(s, Disk{R: 100}); err == nil {
		t.Fatal("odd number of coordinates accepted")
	}
}
