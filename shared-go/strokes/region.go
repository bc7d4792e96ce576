package strokes

import "fmt"

// Region is a rectangle of the world in encoded units, min inclusive, max exclusive, as tiles are.
type Region struct{ MinX, MinY, MaxX, MaxY int64 }

// Validate checks that the region is not empty and lies within the world (±MaxCoord, max up to
// MaxCoord+1 since it is exclusive).
func (r Region) Validate() error {
	if r.MinX >= r.MaxX || r.MinY >= r.MaxY {
		return fmt.Errorf("the region is empty: max_x must exceed min_x and max_y min_y")
	}
	if r.MinX < -MaxCoord || r.MinY < -MaxCoord || r.MaxX > MaxCoord+1 || r.MaxY > MaxCoord+1 {
		return fmt.Errorf("the region leaves the world (±%d)", MaxCoord)
	}
	return nil
}

// meets reports whether the closed box b shares a point with the region.
func (r Region) meets(b Box) bool {
	return b.X1 >= r.MinX && b.X0 < r.MaxX && b.Y1 >= r.MinY && b.Y0 < r.MaxY
}

// Holds reports whether the region holds the whole tile.
func (r Region) Holds(t Tile) bool {
	span := SpanQ(t.Level)
	x, y := int64(t.X)*span, int64(t.Y)*span
	return x >= r.MinX && x+span <= r.MaxX && y >= r.MinY && y+span <= r.MaxY
}

// Meets reports whether the stroke's ink may reach into the region: whether one of the boxes of its
// level-0 tile walk (each piece of at most a level-0 tile grown by ReachQ, docs/tiles.md) shares a point
// with it. A stroke that meets a region touches, at every level, a tile that the region meets, so the
// tile index of those tiles lists it. pts must come from Decode.
func Meets(width uint32, pts []Point, r Region) (bool, error) {
	met := false
	err := walk(0, width, pts, func(b Box) error {
		if r.meets(b) {
			met = true
			return errStop
		}
		return nil
	})
	return met, err
}
