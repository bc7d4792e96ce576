package geometry_test

import (
	"math"
	"testing"

	"github.com/infidraw/infidraw/tile-delta-go/internal/geometry"
	"github.com/infidraw/infidraw/tile-delta-go/internal/geometry/geometrytest"
)

func TestVectorsPenFactor(t *testing.T) {
	v := geometrytest.Load(t)
	for _, c := range v.PenFactor {
		if got := geometry.PenFactor(c.Pressure); !v.Close(got, c.Factor) {
			t.Errorf("PenFactor(%d) = %v, want %v", c.Pressure, got, c.Factor)
		}
	}
}

func TestVectorsWidthFloor(t *testing.T) {
	v := geometrytest.Load(t)
	for _, c := range v.WidthPx {
		// The nominal width in pixels: encoded units are hundredths of a world unit.
		base := float64(c.Width) / 100 * c.Scale
		if got := geometry.WidthPx(base, c.Factor); !v.Close(got, c.WidthPx) {
			t.Errorf("width %d, factor %v, scale %v: %v px, want %v", c.Width, c.Factor, c.Scale, got, c.WidthPx)
		}
	}
}

func TestVectorsCentreLineAndFactors(t *testing.T) {
	v := geometrytest.Load(t)
	for _, s := range v.Strokes {
		t.Run(s.Name, func(t *testing.T) {
			pts := make([]geometry.Pt, len(s.Points)/2)
			for i := range pts {
				pts[i] = geometry.Pt{X: float64(s.Points[2*i]), Y: float64(s.Points[2*i+1])}
			}
			pieces := geometry.CentreLine(pts)
			if len(pieces) != len(s.Pieces) {
				t.Fatalf("%d pieces, want %d", len(pieces), len(s.Pieces))
			}
			for i, want := range s.Pieces {
				if !v.ClosePiece(pieces[i], want.Geometry()) {
					t.Errorf("piece %d = %+v, want %+v", i, pieces[i], want.Geometry())
				}
			}
			if s.PressureMeans != nil {
				ps := make([]float64, len(s.Pressures))
				for i, p := range s.Pressures {
					ps[i] = float64(p)
				}
				for i, m := range geometry.PieceMeans(ps) {
					if !v.Close(m, s.PressureMeans[i]) {
						t.Errorf("pressure mean %d = %v, want %v", i, m, s.PressureMeans[i])
					}
				}
			}
			fs := geometry.PieceFactors(s.Tool, s.Decoded())
			if len(fs) != len(s.Factors) {
				t.Fatalf("%d factors, want %d", len(fs), len(s.Factors))
			}
			for i, f := range fs {
				if !v.Close(f, s.Factors[i]) {
					t.Errorf("factor %d = %v, want %v", i, f, s.Factors[i])
				}
			}
		})
	}
}

// TestVectorsFlatten: the lines start at the piece's start and end at its end, every sample of the
// curve lies within the tolerance of them, and every corner of them within the tolerance (plus the
// samples' own error) of the curve.
func TestVectorsFlatten(t *testing.T) {
	v := geometrytest.Load(t)
	for _, c := range v.Flatten {
		t.Run(c.Name, func(t *testing.T) {
			pc := c.Piece.Geometry()
			lines := []geometry.Pt{pc.A}
			pc.Flatten(func(p geometry.Pt) { lines = append(lines, p) })
			samples := make([]geometry.Pt, len(c.Samples)/2)
			for i := range samples {
				samples[i] = geometry.Pt{X: c.Samples[2*i], Y: c.Samples[2*i+1]}
			}
			if last := lines[len(lines)-1]; last != pc.B {
				t.Fatalf("the lines end at %v, not at %v", last, pc.B)
			}
			slack := 1e-9 * max(1, math.Abs(pc.A.X), math.Abs(pc.A.Y), math.Abs(pc.B.X), math.Abs(pc.B.Y))
			for _, s := range samples {
				if d := polylineDist(s, lines); d > v.Tolerances.FlattenPx+slack {
					t.Errorf("the curve at %v is %v px from the %d lines", s, d, len(lines)-1)
				}
			}
			for _, p := range lines {
				if d := polylineDist(p, samples); d > v.Tolerances.FlattenPx+c.SampleError+slack {
					t.Errorf("the corner %v is %v px from the curve", p, d)
				}
			}
		})
	}
}

func polylineDist(q geometry.Pt, pl []geometry.Pt) float64 {
	best := math.Inf(1)
	for i := 1; i < len(pl); i++ {
		best = min(best, segDist(q, pl[i-1], pl[i]))
	}
	return best
}

func segDist(q, a, b geometry.Pt) float64 {
	dx, dy := b.X-a.X, b.Y-a.Y
	t := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		t = max(0, min(1, ((q.X-a.X)*dx+(q.Y-a.Y)*dy)/l))
	}
	return math.Hypot(a.X+t*dx-q.X, a.Y+t*dy-q.Y)
}
