// Package hittest decides whether a disk touches a stroke's ink, with the geometry of docs/tiles.md: the
// smoothed centre line (quadratic Béziers through the midpoints), round caps and joins, and the width
// times the pen's pressure factor. It is what the object eraser removes.
package hittest

import (
	"math"

	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// Disk is a circle in encoded units (world units x100).
type Disk struct {
	X, Y, R int64
}

// flatTolerance is how far (encoded units, 0.1 world unit) a flattened quadratic may stray from the curve.
const flatTolerance = 10

// maxFlatSegments bounds the segments one quadratic piece is cut into.
const maxFlatSegments = 64

// penFactor is the pen's width factor at pressure p (0..255): 0.5 + p/255.
func penFactor(p int32) float64 { return 0.5 + float64(p)/255 }

// Hit reports whether the disk touches the ink of the stroke: whether the distance from the disk's
// centre to the stroke's smoothed centre line is at most R plus half the width (times the pen's
// pressure factor of that piece: the mean of its two ends, docs/tiles.md; 0.5 + 128/255 for a pen
// without pressures; 1 for the highlighter). A pixel-eraser stroke is never hit: it has no ink of its
// own. A stroke outside the stroke limits (strokes.Decode) is an error.
func Hit(s *strokev1.Stroke, d Disk) (bool, error) {
	if s.GetTool() == strokev1.Tool_TOOL_PIXEL_ERASER {
		return false, nil
	}
	pts, err := strokes.Decode(s)
	if err != nil {
		return false, err
	}
	pen := s.GetTool() == strokev1.Tool_TOOL_PEN
	factor := func(p strokes.Point) float64 {
		if pen {
			return penFactor(p.Pressure)
		}
		return 1
	}
	half := float64(s.GetWidth()) / 2
	px, py, r := float64(d.X), float64(d.Y), float64(d.R)

	// Cheap rejection: the bounding box of the points grown by the widest reach.
	widest := r + half*1.5
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range pts {
		minX, maxX = min(minX, float64(p.X)), max(maxX, float64(p.X))
		minY, maxY = min(minY, float64(p.Y)), max(maxY, float64(p.Y))
	}
	if px < minX-widest || px > maxX+widest || py < minY-widest || py > maxY+widest {
		return false, nil
	}

	n := len(pts)
	if n == 1 {
		lim := r + half*factor(pts[0])
		return sq(px-float64(pts[0].X))+sq(py-float64(pts[0].Y)) <= lim*lim, nil
	}
	if n == 2 {
		lim := r + half*(factor(pts[0])+factor(pts[1]))/2
		return segDistSq(px, py, xy(pts[0]), xy(pts[1])) <= lim*lim, nil
	}
	// Pieces as in docs/tiles.md: p0 → (quadratic, control p_i) → midpoint(p_i, p_i+1) … → line to p_n-1.
	start, fStart := xy(pts[0]), factor(pts[0])
	for i := 1; i < n-1; i++ {
		c := xy(pts[i])
		next := xy(pts[i+1])
		end := vec{(c.x + next.x) / 2, (c.y + next.y) / 2}
		fEnd := (factor(pts[i]) + factor(pts[i+1])) / 2
		lim := r + half*(fStart+fEnd)/2
		if quadDistSqWithin(px, py, start, c, end, lim) {
			return true, nil
		}
		start, fStart = end, fEnd
	}
	last := pts[n-1]
	lim := r + half*(fStart+factor(last))/2
	return segDistSq(px, py, start, xy(last)) <= lim*lim, nil
}

type vec struct{ x, y float64 }

func xy(p strokes.Point) vec { return vec{float64(p.X), float64(p.Y)} }

func sq(v float64) float64 { return v * v }

// segDistSq is the squared distance from (px, py) to the segment a–b.
func segDistSq(px, py float64, a, b vec) float64 {
	dx, dy := b.x-a.x, b.y-a.y
	l := dx*dx + dy*dy
	t := 0.0
	if l > 0 {
		t = math.Max(0, math.Min(1, ((px-a.x)*dx+(py-a.y)*dy)/l))
	}
	return sq(a.x+t*dx-px) + sq(a.y+t*dy-py)
}

// quadDistSqWithin reports whether (px, py) lies within lim of the quadratic Bézier a → (control c) → b,
// flattened into segments that stray at most flatTolerance from the curve.
func quadDistSqWithin(px, py float64, a, c, b vec, lim float64) bool {
	// The curve lies in the triangle a, c, b: reject by its bounding box first.
	if px < min(a.x, c.x, b.x)-lim || px > max(a.x, c.x, b.x)+lim || py < min(a.y, c.y, b.y)-lim || py > max(a.y, c.y, b.y)+lim {
		return false
	}
	// A quadratic cut into k equal parameter steps strays at most |a - 2c + b| / (8 k²) from its chords.
	dd := math.Hypot(a.x-2*c.x+b.x, a.y-2*c.y+b.y)
	k := int(math.Ceil(math.Sqrt(dd / (8 * flatTolerance))))
	k = max(1, min(k, maxFlatSegments))
	lim2 := lim * lim
	prev := a
	for j := 1; j <= k; j++ {
		t := float64(j) / float64(k)
		u := 1 - t
		p := vec{u*u*a.x + 2*u*t*c.x + t*t*b.x, u*u*a.y + 2*u*t*c.y + t*t*b.y}
		if segDistSq(px, py, prev, p) <= lim2 {
			return true
		}
		prev = p
	}
	return false
}
