package strokes

// Bounds returns the box the stroke's ink may reach: its points' bounding box grown by ReachQ. pts must
// not be empty.
func Bounds(width uint32, pts []Point) Box {
	b := Box{pts[0].X, pts[0].Y, pts[0].X, pts[0].Y}
	for _, p := range pts[1:] {
		b = b.Add(p.X, p.Y)
	}
	return b.Grow(ReachQ(width), ReachQ(width))
}

// Add returns the box grown to hold the point.
func (b Box) Add(x, y int64) Box {
	return Box{min(b.X0, x), min(b.Y0, y), max(b.X1, x), max(b.Y1, y)}
}

// Union returns the smallest box that holds both.
func (b Box) Union(o Box) Box {
	return Box{min(b.X0, o.X0), min(b.Y0, o.Y0), max(b.X1, o.X1), max(b.Y1, o.Y1)}
}

// Grow returns the box grown by dx on the left and right and dy above and below.
func (b Box) Grow(dx, dy int64) Box { return Box{b.X0 - dx, b.Y0 - dy, b.X1 + dx, b.Y1 + dy} }

// Meets reports whether the two closed boxes share a point.
func (b Box) Meets(o Box) bool { return b.X0 <= o.X1 && o.X0 <= b.X1 && b.Y0 <= o.Y1 && o.Y0 <= b.Y1 }

// BoxOf returns the closed box of a tile.
func BoxOf(t Tile) Box {
	span := SpanQ(t.Level)
	x, y := int64(t.X)*span, int64(t.Y)*span
	return Box{x, y, x + span - 1, y + span - 1}
}

// TilesOf returns the range of tiles of the level that the box meets, bounds included.
func TilesOf(level int, b Box) (lo, hi Tile) {
	return TileOf(level, b.X0, b.Y0), TileOf(level, b.X1, b.Y1)
}
