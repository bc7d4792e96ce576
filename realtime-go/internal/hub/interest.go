package hub

import (
	"fmt"
	"slices"

	"github.com/google/uuid"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	"github.com/infidraw/infidraw/realtime-go/internal/events"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// Interest management (docs/scaling.md): a client that declared a view gets the committed events, live
// strokes and cursors whose area meets its interest (the view grown by half its size on every side),
// and at coarse levels which tiles changed instead of the events. A room finds the clients an area
// meets through a grid of cells over the board, so that a flush costs the clients it concerns, not
// every client of the room.
const (
	// cellShift makes the grid's cells 2^20 encoded units (about 10,500 world px) on a side: a
	// 1920×1080 view's interest at full zoom meets one to four of them.
	cellShift = 20
	// maxCells bounds the cells an interest is filed under; a wider one (a view zoomed far out) is
	// checked against every area. An area wider than that is checked against every viewed client.
	maxCells = 16
	// CoarseLevel is the level from which a view gets TilesChanged notices instead of events: a stroke
	// there is a few pixels, and the tiles carry it.
	CoarseLevel = 4
)

// world is a box that meets every box on the board: the area sent for an unknown one.
var world = strokes.Box{X0: -1 << 62, Y0: -1 << 62, X1: 1 << 62, Y1: 1 << 62}

// View is the part of the board a client shows, in encoded units, and the tile level it reads.
type View struct {
	Box   strokes.Box
	Level int
}

// NewView checks a view a client declared.
func NewView(minX, minY, maxX, maxY int64, level uint32) (View, error) {
	if minX > maxX || minY > maxY {
		return View{}, events.Errorf(events.CodeInvalid, "view: min_x must not exceed max_x, nor min_y max_y")
	}
	for _, v := range []int64{minX, minY, maxX, maxY} {
		if v < -strokes.MaxCoord || v > strokes.MaxCoord {
			return View{}, events.Errorf(events.CodeInvalid, "view: %d is outside ±%d", v, strokes.MaxCoord)
		}
	}
	if level > strokes.MaxLevel {
		return View{}, events.Errorf(events.CodeInvalid, "view: level %d is above %d", level, strokes.MaxLevel)
	}
	return View{Box: strokes.Box{X0: minX, Y0: minY, X1: maxX, Y1: maxY}, Level: int(level)}, nil
}

// interest is the view grown by half its size on every side: what the client may pan to before it
// tells the server.
func (v View) interest() strokes.Box {
	return v.Box.Grow((v.Box.X1-v.Box.X0)/2+1, (v.Box.Y1-v.Box.Y0)/2+1)
}

func (v View) String() string {
	return fmt.Sprintf("(%d,%d)-(%d,%d)@%d", v.Box.X0, v.Box.Y0, v.Box.X1, v.Box.Y1, v.Level)
}

type cell struct{ x, y int64 }

// cellsOf returns the range of cells a box meets and how many there are, or more than maxCells.
func cellsOf(b strokes.Box) (lo, hi cell, n int64) {
	lo, hi = cell{b.X0 >> cellShift, b.Y0 >> cellShift}, cell{b.X1 >> cellShift, b.Y1 >> cellShift}
	w, h := hi.x-lo.x+1, hi.y-lo.y+1
	if w > maxCells || h > maxCells {
		return lo, hi, maxCells + 1
	}
	return lo, hi, w * h
}

// viewIndex finds the viewed clients of a room whose interest an area meets. Guarded by the room's
// mutex.
type viewIndex struct {
	cells map[cell][]*Client   // slices: iterated on every flush, changed only by a view that moves
	wide  map[*Client]struct{} // interests over more than maxCells cells
	all   map[*Client]struct{}
	mark  uint64 // of the last visit, so that a client filed under several cells is visited once
}

func newViewIndex() viewIndex {
	return viewIndex{cells: map[cell][]*Client{}, wide: map[*Client]struct{}{}, all: map[*Client]struct{}{}}
}

// add files a client under its interest.
func (ix *viewIndex) add(c *Client) {
	ix.all[c] = struct{}{}
	lo, hi, n := cellsOf(c.interest)
	if n > maxCells {
		ix.wide[c] = struct{}{}
		return
	}
	for y := lo.y; y <= hi.y; y++ {
		for x := lo.x; x <= hi.x; x++ {
			k := cell{x, y}
			ix.cells[k] = append(ix.cells[k], c)
		}
	}
}

// remove takes a client out, filed under its current interest.
func (ix *viewIndex) remove(c *Client) {
	if _, ok := ix.all[c]; !ok {
		return
	}
	delete(ix.all, c)
	if _, ok := ix.wide[c]; ok {
		delete(ix.wide, c)
		return
	}
	lo, hi, _ := cellsOf(c.interest)
	for y := lo.y; y <= hi.y; y++ {
		for x := lo.x; x <= hi.x; x++ {
			k := cell{x, y}
			m := ix.cells[k]
			if i := slices.Index(m, c); i >= 0 {
				m[i] = m[len(m)-1]
				m[len(m)-1] = nil
				m = m[:len(m)-1]
			}
			if len(m) == 0 {
				delete(ix.cells, k)
			} else {
				ix.cells[k] = m
			}
		}
	}
}

// visit calls fn once for every viewed client whose interest the area meets.
func (ix *viewIndex) visit(a events.Area, fn func(*Client)) {
	ix.mark++
	each := func(c *Client) {
		if c.visited != ix.mark && a.Meets(c.interest) {
			c.visited = ix.mark
			fn(c)
		}
	}
	lo, hi, n := cellsOf(a.Box)
	if !a.Known || n > maxCells || n > int64(len(ix.cells)) {
		for c := range ix.all {
			each(c)
		}
		return
	}
	for y := lo.y; y <= hi.y; y++ {
		for x := lo.x; x <= hi.x; x++ {
			for _, c := range ix.cells[cell{x, y}] {
				each(c)
			}
		}
	}
	for c := range ix.wide {
		each(c)
	}
}

// ephemeral is a queued ServerFrame entry (live stroke, cursor, presence), where it is on the board,
// and what adaptive delivery (adapt.go) needs to know of it.
type ephemeral struct {
	area       events.Area // unknown: every client
	enc        []byte
	kind       entryKind
	session    uint32
	stroke     uuid.UUID // of a live stroke's entry
	ends       bool      // a StrokeEnd
	superseded bool      // a cursor that moved again in the same flush
}

// tilesChanged builds the notice that replaces events for a client at a coarse level: the tiles of its
// level, within its interest, that the events' areas meet.
func tilesChanged(v View, interest strokes.Box, evs []events.Event, through uint64) *realtimev1.ServerMessage {
	type xy struct{ x, y int32 }
	var tiles []xy
	for _, ev := range evs {
		b := interest
		if ev.Area.Known {
			b = strokes.Box{X0: max(b.X0, ev.Area.Box.X0), Y0: max(b.Y0, ev.Area.Box.Y0), X1: min(b.X1, ev.Area.Box.X1), Y1: min(b.Y1, ev.Area.Box.Y1)}
		}
		lo, hi := strokes.TilesOf(v.Level, b)
		for ty := lo.Y; ty <= hi.Y; ty++ {
			for tx := lo.X; tx <= hi.X; tx++ {
				tiles = append(tiles, xy{tx, ty})
			}
		}
	}
	slices.SortFunc(tiles, func(a, b xy) int {
		if a.y != b.y {
			return int(a.y) - int(b.y)
		}
		return int(a.x) - int(b.x)
	})
	tiles = slices.Compact(tiles)
	msg := &realtimev1.TilesChanged{Level: uint32(v.Level), ThroughSeq: through, Tiles: make([]int32, 0, 2*len(tiles))}
	for _, t := range tiles {
		msg.Tiles = append(msg.Tiles, t.x, t.y)
	}
	return &realtimev1.ServerMessage{Body: &realtimev1.ServerMessage_TilesChanged{TilesChanged: msg}}
}

// appendTilesChanged appends the notice as a ServerFrame entry.
func appendTilesChanged(dst []byte, v View, interest strokes.Box, evs []events.Event, through uint64) []byte {
	return appendMessage(dst, tilesChanged(v, interest, evs, through))
}

// boxOf reads a bus Area.
func boxOf(a *realtimev1.Area) strokes.Box {
	return strokes.Box{X0: a.GetMinX(), Y0: a.GetMinY(), X1: a.GetMaxX(), Y1: a.GetMaxY()}
}

// areaMessage is the bus Area of a box.
func areaMessage(b strokes.Box) *realtimev1.Area {
	return &realtimev1.Area{MinX: b.X0, MinY: b.Y0, MaxX: b.X1, MaxY: b.Y1}
}
