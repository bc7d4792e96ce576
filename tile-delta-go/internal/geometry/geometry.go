// Package geometry is tile-delta-go's one copy of the stroke geometry of docs/tiles.md: the centre line
// smoothed by quadratic Béziers through midpoints, the pen's pressure factor and its per-piece means,
// the width floor, flattening for the gg renderer and the distance test of the hit test. The renderer
// (ggrender) works in pixels and the hit test (hittest) in encoded world units: the smoothing commutes
// with the mapping between them, which only scales and translates.
//
// scripts/geometry-ref.py states the same definitions independently and writes the vectors of
// docs/testdata/stroke-geometry.json that this package's tests, ggrender's and hittest's check.
package geometry

import "math"

// Pt is a point of a centre line.
type Pt struct{ X, Y float64 }

func mid(a, b Pt) Pt { return Pt{(a.X + b.X) / 2, (a.Y + b.Y) / 2} }

// Piece is one piece of a centre line: the line from A to B, or (Quad) the quadratic Bézier from A with
// control point C to B.
type Piece struct {
	A, C, B Pt
	Quad    bool
}

// CentreLine is docs/tiles.md's smoothing of the points p (at least one): one piece for one or two
// points (the line p0–p0, a dot, or p0–p1); for more, a quadratic from p0 with control p1 to the
// midpoint of p1 and p2, one quadratic per further inner point p[i] from the previous midpoint to the
// midpoint of p[i] and p[i+1], and a line from the last midpoint to the last point.
func CentreLine(p []Pt) []Piece {
	n := len(p)
	if n < 3 {
		return []Piece{{A: p[0], B: p[n-1]}}
	}
	out := make([]Piece, 0, n-1)
	start := p[0]
	for i := 1; i < n-1; i++ {
		end := mid(p[i], p[i+1])
		out = append(out, Piece{A: start, C: p[i], B: end, Quad: true})
		start = end
	}
	return append(out, Piece{A: start, B: p[n-1]})
}

// PieceMeans is, for each piece of CentreLine, the mean of a per-point value at the piece's two ends,
// where an end at the midpoint of two points takes the mean of their values.
func PieceMeans(v []float64) []float64 {
	n := len(v)
	if n < 3 {
		return []float64{(v[0] + v[n-1]) / 2}
	}
	out := make([]float64, 0, n-1)
	start := v[0]
	for i := 1; i < n-1; i++ {
		end := (v[i] + v[i+1]) / 2
		out = append(out, (start+end)/2)
		start = end
	}
	return append(out, (start+v[n-1])/2)
}

// IsPoint reports whether the piece is a single point (its ink is a disc).
func (p Piece) IsPoint() bool { return p.A == p.B && (!p.Quad || p.A == p.C) }

// Box is the bounding box of the piece's control points, which contains the piece.
func (p Piece) Box() Box {
	b := BoxOf([]Pt{p.A, p.B})
	if p.Quad {
		b = b.Add(p.C)
	}
	return b
}

// Halves splits the piece at its parameter's midpoint (de Casteljau), exactly: the halves trace the
// same curve.
func (p Piece) Halves() (Piece, Piece) {
	if !p.Quad {
		m := mid(p.A, p.B)
		return Piece{A: p.A, B: m}, Piece{A: m, B: p.B}
	}
	ac, cb := mid(p.A, p.C), mid(p.C, p.B)
	m := mid(ac, cb)
	return Piece{A: p.A, C: ac, B: m, Quad: true}, Piece{A: m, C: cb, B: p.B, Quad: true}
}

// bend is |A − 2C + B|, the quadratic's second difference (0 for a line): the piece strays at most
// bend / 4 from its chord, and a uniform cut into n lines at most bend / (4 n²) from them.
func (p Piece) bend() float64 {
	if !p.Quad {
		return 0
	}
	return math.Hypot(p.A.X-2*p.C.X+p.B.X, p.A.Y-2*p.C.Y+p.B.Y)
}

// Box is an axis-aligned box, closed.
type Box struct{ X0, Y0, X1, Y1 float64 }

// BoxOf is the smallest box holding the points (at least one).
func BoxOf(pts []Pt) Box {
	b := Box{pts[0].X, pts[0].Y, pts[0].X, pts[0].Y}
	for _, p := range pts[1:] {
		b = b.Add(p)
	}
	return b
}

// Add grows the box to hold p.
func (b Box) Add(p Pt) Box {
	return Box{min(b.X0, p.X), min(b.Y0, p.Y), max(b.X1, p.X), max(b.Y1, p.Y)}
}

// Grow widens the box by m on every side.
func (b Box) Grow(m float64) Box { return Box{b.X0 - m, b.Y0 - m, b.X1 + m, b.Y1 + m} }

// Meets reports whether the boxes share a point.
func (b Box) Meets(o Box) bool { return b.X0 <= o.X1 && o.X0 <= b.X1 && b.Y0 <= o.Y1 && o.Y0 <= b.Y1 }

// Inside reports whether b lies within o.
func (b Box) Inside(o Box) bool { return b.X0 >= o.X0 && b.X1 <= o.X1 && b.Y0 >= o.Y0 && b.Y1 <= o.Y1 }
