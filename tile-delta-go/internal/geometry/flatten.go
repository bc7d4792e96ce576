package geometry

import "math"

// FlattenTolerancePx is how far, in pixels, the lines that replace a curve may stray from it when a
// renderer draws it (docs/tiles.md; snapshot-rs uses the same).
const FlattenTolerancePx = 0.04

// maxFlatLines bounds the lines of one uniform cut; a piece that needs more is halved first, so the
// tolerance holds for any piece while the cost stays proportional to the curve's size.
const maxFlatLines = 1024

// maxFlatSplits ends the halving (each halves the lines a part needs) for pieces needing over 2^16 ×
// maxFlatLines lines, millions of pixels beyond any image the renderer clips to: a guard against
// non-finite coordinates, which would halve forever.
const maxFlatSplits = 16

// Flatten replaces the piece by lines within FlattenTolerancePx of it and calls line with the end of
// each, in order (the first starts at A, the last ends at B; a line is itself). The cut is uniform in
// the parameter and depends only on the piece, so tiles that share a piece draw the same lines.
func (p Piece) Flatten(line func(Pt)) { p.flatten(line, 0) }

func (p Piece) flatten(line func(Pt), splits int) {
	if !p.Quad {
		line(p.B)
		return
	}
	// A cut into n lines strays at most bend / (4 n²).
	n := math.Ceil(math.Sqrt(p.bend() / (4 * FlattenTolerancePx)))
	if n > maxFlatLines && splits < maxFlatSplits {
		a, b := p.Halves()
		a.flatten(line, splits+1)
		b.flatten(line, splits+1)
		return
	}
	steps := 1 // also for NaN, which compares false
	if n > 1 {
		steps = int(min(n, maxFlatLines))
	}
	for i := 1; i < steps; i++ {
		t := float64(i) / float64(steps)
		u := 1 - t
		line(Pt{u*u*p.A.X + 2*u*t*p.C.X + t*t*p.B.X, u*u*p.A.Y + 2*u*t*p.C.Y + t*t*p.B.Y})
	}
	line(p.B)
}
