package strokes

// Constants of the tile pyramid (docs/tiles.md).
const (
	// CoordScale is the number of encoded units per world unit.
	CoordScale = 100
	// TilePx is the edge of a tile in pixels at every level.
	TilePx = 256
	// MaxLevel is the coarsest level of the pyramid.
	MaxLevel = 16
	// MaxCoord bounds the absolute value of every encoded coordinate.
	MaxCoord = 1_000_000_000
)

// Tile is one tile of the pyramid.
type Tile struct {
	Level int
	X, Y  int32
}

// SpanQ is the edge of a tile of the level in encoded units (world units x100).
func SpanQ(level int) int64 { return int64(TilePx) * CoordScale << level }

// TileOf returns the tile of the level that holds the encoded point (floor division).
func TileOf(level int, x, y int64) Tile {
	span := SpanQ(level)
	return Tile{Level: level, X: int32(floorDiv(x, span)), Y: int32(floorDiv(y, span))}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// ReachQ is how far, in encoded units, ink may extend from a stroke's centre line: 0.75 of its nominal
// width (the widest pressure factor, halved) plus one world unit of anti-aliasing margin.
func ReachQ(width uint32) int64 { return int64(width)*3/4 + CoordScale }

// TilesTouched returns every tile of the level that the stroke's ink may cover, without duplicates, in
// row-major order. It grows each segment's bounding box by ReachQ and unions the tiles of the boxes.
func TilesTouched(level int, width uint32, pts []Point) []Tile {
	if len(pts) == 0 {
		return nil
	}
	reach := ReachQ(width)
	seen := make(map[Tile]struct{})
	var out []Tile
	add := func(t Tile) {
		if _, ok := seen[t]; !ok {
			seen[t] = struct{}{}
			out = append(out, t)
		}
	}
	prev := pts[0]
	for i := range pts {
		p := pts[i]
		if i == 0 {
			prev = p
		}
		lo := TileOf(level, min(prev.X, p.X)-reach, min(prev.Y, p.Y)-reach)
		hi := TileOf(level, max(prev.X, p.X)+reach, max(prev.Y, p.Y)+reach)
		for ty := lo.Y; ty <= hi.Y; ty++ {
			for tx := lo.X; tx <= hi.X; tx++ {
				add(Tile{Level: level, X: tx, Y: ty})
			}
		}
		prev = p
	}
	return out
}

// TilesAllLevels returns the tiles the stroke touches at every level 0..MaxLevel. The tiles of level
// L+1 are the parents of those of level L, because a box meets a parent tile exactly when it meets one
// of its four children.
func TilesAllLevels(width uint32, pts []Point) []Tile {
	level := TilesTouched(0, width, pts)
	out := append([]Tile(nil), level...)
	for l := 1; l <= MaxLevel; l++ {
		seen := make(map[Tile]struct{}, len(level))
		next := level[:0:0]
		for _, t := range level {
			p := Tile{Level: l, X: t.X >> 1, Y: t.Y >> 1}
			if _, ok := seen[p]; !ok {
				seen[p] = struct{}{}
				next = append(next, p)
			}
		}
		out = append(out, next...)
		level = next
	}
	return out
}
