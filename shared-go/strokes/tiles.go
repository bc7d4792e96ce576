package strokes

import (
	"errors"
	"fmt"
)

// TilePx is the edge of a tile in pixels at every level (docs/tiles.md). The pyramid's other constants,
// CoordScale and MaxLevel, are among the limits (limits_gen.go).
const TilePx = 256

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

// ErrTooManyTiles is returned for a stroke that touches more than MaxTilesPerStroke tiles.
var ErrTooManyTiles = fmt.Errorf("%w: the stroke covers more than %d tiles at full zoom; draw it in parts", ErrInvalid, MaxTilesPerStroke)

// TilesTouched returns every tile of the level that the stroke's ink may cover, without duplicates. It
// unions the tiles of the boxes of walk, so a long diagonal costs tiles along it, not its bounding box.
// Only a stroke that Decode accepted has a bounded number of pieces (MaxPathTiles + MaxPoints).
func TilesTouched(level int, width uint32, pts []Point) ([]Tile, error) {
	seen := make(map[Tile]struct{})
	var out []Tile
	// last is the previous box's tile range: consecutive pieces overlap, and the tiles they share
	// are known already, so only the new ones are looked up.
	var last struct {
		lo, hi Tile
		ok     bool
	}
	err := walk(level, width, pts, func(b Box) error {
		lo, hi := TileOf(level, b.X0, b.Y0), TileOf(level, b.X1, b.Y1)
		prev := last
		last.lo, last.hi, last.ok = lo, hi, true
		for ty := lo.Y; ty <= hi.Y; ty++ {
			for tx := lo.X; tx <= hi.X; tx++ {
				if prev.ok && tx >= prev.lo.X && tx <= prev.hi.X && ty >= prev.lo.Y && ty <= prev.hi.Y {
					continue
				}
				t := Tile{Level: level, X: tx, Y: ty}
				if _, ok := seen[t]; !ok {
					if len(out) == MaxTilesPerStroke {
						return ErrTooManyTiles
					}
					seen[t] = struct{}{}
					out = append(out, t)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Box is a closed axis-aligned box in encoded units: [X0, X1] x [Y0, Y1].
type Box struct{ X0, Y0, X1, Y1 int64 }

// errStop ends a walk early without an error.
var errStop = errors.New("stop")

// walk calls box, in order, with the bounding box grown by ReachQ of each piece of the stroke's segments
// cut into pieces no longer than a tile of the level (docs/tiles.md, "Which tiles a stroke touches"),
// until box returns an error, which walk returns (errStop as nil).
func walk(level int, width uint32, pts []Point, box func(Box) error) error {
	if len(pts) == 0 {
		return nil
	}
	reach, span := ReachQ(width), SpanQ(level)
	prev := pts[0]
	for _, p := range pts {
		dx, dy := p.X-prev.X, p.Y-prev.Y
		pieces := max(abs(dx), abs(dy))/span + 1
		if pieces > MaxTilesPerStroke {
			return ErrTooManyTiles
		}
		for i := int64(0); i < pieces; i++ {
			x0, y0 := prev.X+dx*i/pieces, prev.Y+dy*i/pieces
			x1, y1 := prev.X+dx*(i+1)/pieces, prev.Y+dy*(i+1)/pieces
			if err := box(Box{min(x0, x1) - reach, min(y0, y1) - reach, max(x0, x1) + reach, max(y0, y1) + reach}); err != nil {
				if err == errStop {
					return nil
				}
				return err
			}
		}
		prev = p
	}
	return nil
}

// TilesAllLevels returns the tiles the stroke touches at every level 0..MaxLevel. The tiles of level
// L+1 are the parents of those of level L, because a box meets a parent tile exactly when it meets one
// of its four children.
func TilesAllLevels(width uint32, pts []Point) ([]Tile, error) {
	level, err := TilesTouched(0, width, pts)
	if err != nil {
		return nil, err
	}
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
	return out, nil
}
