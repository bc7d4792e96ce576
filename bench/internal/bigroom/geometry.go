package bigroom

import (
	"math/rand/v2"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// A screen is what one client shows: 1920×1080 world units at level 0, in encoded units (world × 100).
const (
	ScreenW = 1920 * strokes.CoordScale
	ScreenH = 1080 * strokes.CoordScale
)

// Rect is a rectangle of the board in encoded units, bounds included (as the protocol's View and Area).
type Rect struct{ MinX, MinY, MaxX, MaxY int64 }

// Touches reports whether r and o share a point (an empty rectangle has none).
func (r Rect) Touches(o Rect) bool {
	return !r.empty() && !o.empty() && r.MinX <= o.MaxX && o.MinX <= r.MaxX && r.MinY <= o.MaxY && o.MinY <= r.MaxY
}

func (r Rect) empty() bool { return r.MinX > r.MaxX || r.MinY > r.MaxY }

// Grown is r with a margin of half its size on every side: what realtime-go sends a view (View in
// frames.proto).
func (r Rect) Grown() Rect {
	dx, dy := (r.MaxX-r.MinX)/2, (r.MaxY-r.MinY)/2
	return Rect{r.MinX - dx, r.MinY - dy, r.MaxX + dx, r.MaxY + dy}
}

// View is r as the protocol's level-0 view.
func (r Rect) View() *realtimev1.View {
	return &realtimev1.View{MinX: r.MinX, MinY: r.MinY, MaxX: r.MaxX, MaxY: r.MaxY}
}

// screenAt is the screen whose top left corner is (x, y).
func screenAt(x, y int64) Rect { return Rect{x, y, x + ScreenW, y + ScreenH} }

// StrokeBox is the part of the board a stroke can paint: its points' bounding box grown by its width on
// every side (more than the half width a pen reaches, so a stroke counted as touching a viewport does).
func StrokeBox(pts []strokes.Point, width uint32) Rect {
	if len(pts) == 0 {
		return Rect{1, 1, 0, 0} // touches nothing
	}
	b := Rect{pts[0].X, pts[0].Y, pts[0].X, pts[0].Y}
	for _, p := range pts[1:] {
		b.MinX, b.MinY, b.MaxX, b.MaxY = min(b.MinX, p.X), min(b.MinY, p.Y), max(b.MaxX, p.X), max(b.MaxY, p.Y)
	}
	w := int64(width)
	return Rect{b.MinX - w, b.MinY - w, b.MaxX + w, b.MaxY + w}
}

// Board is Cols × Rows screens with its top left corner at the origin.
type Board struct{ Cols, Rows int }

// Bounds is the whole board.
func (b Board) Bounds() Rect { return Rect{0, 0, int64(b.Cols) * ScreenW, int64(b.Rows) * ScreenH} }

// drawingReach is how far from its spot a writer's drawings reach (world units): Quick, Draw! drawings
// are recorded on screens of up to about this size.
const drawingReach = 1000 * strokes.CoordScale

// Placement is where the writers draw (the top left corner of their drawings, encoded units) and the
// viewport of every writer and viewer.
type Placement struct {
	Spots   [][2]int64
	Writers []Rect
	Viewers []Rect
}

// Place puts writers at random spots of the board and viewers on it, the same for the same seed: every
// other viewer looks at a writer's spot (the writers in turn, the spot somewhere inside the screen), the
// rest anywhere. A writer's own screen has its spot near the top left, so that its drawings are on it.
func (b Board) Place(seed uint64, writers, viewers int) Placement {
	rng := rand.New(rand.NewPCG(seed, 17))
	bounds := b.Bounds()
	p := Placement{Spots: make([][2]int64, writers), Writers: make([]Rect, writers), Viewers: make([]Rect, viewers)}
	for i := range p.Spots {
		x := ScreenW/4 + rng.Int64N(bounds.MaxX-ScreenW/4-drawingReach)
		y := ScreenH/4 + rng.Int64N(bounds.MaxY-ScreenH/4-drawingReach)
		p.Spots[i] = [2]int64{x, y}
		p.Writers[i] = screenAt(x-ScreenW/4, y-ScreenH/4)
	}
	for i := range p.Viewers {
		if i%2 == 0 && writers > 0 {
			s := p.Spots[(i/2)%writers]
			p.Viewers[i] = screenAt(s[0]-rng.Int64N(ScreenW), s[1]-rng.Int64N(ScreenH))
		} else {
			p.Viewers[i] = screenAt(rng.Int64N(bounds.MaxX-ScreenW+1), rng.Int64N(bounds.MaxY-ScreenH+1))
		}
	}
	return p
}
