package geometry

// maxNearSplits guards the halving of Near: each halving quarters a quadratic's distance to its chord,
// so 40 of them bring any finite piece of the coordinate range within tolerance long before.
const maxNearSplits = 40

// Near reports whether q lies within lim of the piece. A line is tested exactly; a quadratic is halved
// until each part lies within tol of its chord, and the chord is tested, so the answer is exact except
// when q's distance to the curve is within tol of lim. Parts whose box is farther than lim from q are
// dropped and a part whose box lies wholly within lim answers at once, so only the parts near the edge
// of the disk are refined and the cost does not grow with the curve's size.
func (p Piece) Near(q Pt, lim, tol float64) bool { return p.near(q, lim*lim, tol, 0) }

func (p Piece) near(q Pt, lim2, tol float64, splits int) bool {
	b := p.Box()
	// The nearest and the farthest point of the box from q, per axis.
	nx, fx := axis(q.X, b.X0, b.X1)
	ny, fy := axis(q.Y, b.Y0, b.Y1)
	switch {
	case nx*nx+ny*ny > lim2:
		return false
	case fx*fx+fy*fy <= lim2:
		return true
	case !p.Quad || p.bend()/4 <= tol || splits >= maxNearSplits:
		return segmentDistSq(q, p.A, p.B) <= lim2
	}
	a, c := p.Halves()
	return a.near(q, lim2, tol, splits+1) || c.near(q, lim2, tol, splits+1)
}

// axis returns the distances from v to the nearest and to the farthest point of [lo, hi].
func axis(v, lo, hi float64) (near, far float64) {
	switch {
	case v < lo:
		near = lo - v
	case v > hi:
		near = v - hi
	}
	return near, max(v-lo, hi-v)
}

// segmentDistSq is the squared distance from q to the segment a–b.
func segmentDistSq(q, a, b Pt) float64 {
	dx, dy := b.X-a.X, b.Y-a.Y
	l := dx*dx + dy*dy
	t := 0.0
	if l > 0 {
		t = max(0, min(1, ((q.X-a.X)*dx+(q.Y-a.Y)*dy)/l))
	}
	ex, ey := a.X+t*dx-q.X, a.Y+t*dy-q.Y
	return ex*ex + ey*ey
}
