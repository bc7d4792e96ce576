package ggrender

import (
	"testing"

	"github.com/infidraw/infidraw/shared-go/strokes"
	"github.com/infidraw/infidraw/tile-delta-go/internal/geometry/geometrytest"
)

// TestShapeVectors: the pieces (in the tile's pixels) and widths that drawStroke draws for the render
// cases of docs/testdata/stroke-geometry.json; package geometry's tests check how they are flattened.
func TestShapeVectors(t *testing.T) {
	v := geometrytest.Load(t)
	for _, c := range v.Renders {
		s := v.Stroke(t, c.Stroke)
		m := tileMapping(strokes.Tile{Level: int(c.Tile[0]), X: c.Tile[1], Y: c.Tile[2]}, c.Size)
		pts := s.Decoded()
		pieces, widths := shape(m, s.Wire(), m.points(pts), pts)
		if len(pieces) != len(c.Pieces) || len(widths) != len(c.Widths) {
			t.Fatalf("%s in %v at %d px: %d pieces and %d widths, want %d", c.Stroke, c.Tile, c.Size, len(pieces), len(widths), len(c.Pieces))
		}
		for i, want := range c.Pieces {
			if !v.ClosePiece(pieces[i], want.Geometry()) {
				t.Errorf("%s in %v at %d px: piece %d = %+v, want %+v", c.Stroke, c.Tile, c.Size, i, pieces[i], want.Geometry())
			}
			if !v.Close(widths[i], c.Widths[i]) {
				t.Errorf("%s in %v at %d px: width %d = %v px, want %v", c.Stroke, c.Tile, c.Size, i, widths[i], c.Widths[i])
			}
		}
	}
}
