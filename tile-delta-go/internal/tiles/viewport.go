package tiles

import (
	"fmt"

	"github.com/infidraw/infidraw/shared-go/strokes"
)

// MaxTilesPerRequest bounds one request: a 4K screen at a 2x device pixel ratio needs at most
// (3840/256 + 2) x (2160/256 + 2) = 17 x 11 tiles of the level it shows.
const MaxTilesPerRequest = 256

// Viewport returns the tiles of the level that cover the rectangle [min, max) in encoded units.
func Viewport(level int, minX, minY, maxX, maxY int64) ([]strokes.Tile, error) {
	if level < 0 || level > strokes.MaxLevel {
		return nil, fmt.Errorf("level %d is outside 0..%d", level, strokes.MaxLevel)
	}
	if minX >= maxX || minY >= maxY {
		return nil, fmt.Errorf("empty viewport")
	}
	lim := int64(strokes.MaxCoord)
	if minX < -lim || minY < -lim || maxX > lim+1 || maxY > lim+1 {
		return nil, fmt.Errorf("viewport leaves the world (±%d)", lim)
	}
	lo := strokes.TileOf(level, minX, minY)
	hi := strokes.TileOf(level, maxX-1, maxY-1)
	n := int64(hi.X-lo.X+1) * int64(hi.Y-lo.Y+1)
	if n > MaxTilesPerRequest {
		return nil, fmt.Errorf("viewport covers %d tiles at level %d; at most %d: use a coarser level", n, level, MaxTilesPerRequest)
	}
	out := make([]strokes.Tile, 0, n)
	for y := lo.Y; y <= hi.Y; y++ {
		for x := lo.X; x <= hi.X; x++ {
			out = append(out, strokes.Tile{Level: level, X: x, Y: y})
		}
	}
	return out, nil
}
