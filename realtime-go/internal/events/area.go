package events

import "github.com/infidraw/infidraw/shared-go/strokes"

// Area is the part of the board an event changes, for interest management: a stroke added, or the
// strokes erased or restored, each with its reach. The zero Area is unknown and meets every box (events
// read back from the store have none).
type Area struct {
	Box   strokes.Box
	Known bool
}

// Meets reports whether the area may touch the box.
func (a Area) Meets(b strokes.Box) bool { return !a.Known || a.Box.Meets(b) }

// AreaOfTiles returns the union of the tiles' boxes; unknown when there are none.
func AreaOfTiles(tiles []strokes.Tile) Area {
	var a Area
	for _, t := range tiles {
		b := strokes.BoxOf(t)
		if a.Known {
			b = a.Box.Union(b)
		}
		a = Area{Box: b, Known: true}
	}
	return a
}
