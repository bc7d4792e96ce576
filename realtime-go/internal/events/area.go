package events

import (
	"google.golang.org/protobuf/proto"

	roomv1 "github.com/infidraw/infidraw/gen/go/infidraw/room/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// Area is the part of the board an event changes, for interest management: a stroke added, or the
// strokes erased or restored, each with its reach. The zero Area is unknown and meets every box (events
// read back from the store have none until AreaOfStored gives strokes added theirs).
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

// AreaOfStored returns the area of an event read back from the store: a stroke added is decoded for
// it; an erase or restore (whose strokes' areas are not in the event) is unknown.
func AreaOfStored(ev Event) Area {
	var re roomv1.RoomEvent
	if proto.Unmarshal(ev.Encoded, &re) != nil {
		return Area{}
	}
	s := re.GetStrokeAdded().GetStroke()
	if s == nil {
		return Area{}
	}
	pts, err := strokes.Decode(s)
	if err != nil || len(pts) == 0 {
		return Area{}
	}
	return Area{Box: strokes.Bounds(s.GetWidth(), pts), Known: true}
}

// WithStoredAreas sets the areas of events read back from the store (AreaOfStored).
func WithStoredAreas(evs []Event) []Event {
	for i := range evs {
		if !evs[i].Area.Known {
			evs[i].Area = AreaOfStored(evs[i])
		}
	}
	return evs
}
