package ggrender

import (
	"github.com/fogleman/gg"

	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
	"github.com/infidraw/infidraw/tile-delta-go/internal/geometry"
)

// safeMargin: pieces farther than this (pixels) beyond the tile are split until they are not, which
// keeps every coordinate well inside gg's 26.6 fixed point.
const safeMargin = 65536.0

// mapping maps encoded world coordinates to the pixels of one tile.
type mapping struct {
	ox, oy int64
	s      float64 // pixels per encoded unit
	size   float64
}

// tileMapping maps to the pixels of the tile rendered at size pixels.
func tileMapping(t strokes.Tile, size int) mapping {
	span := strokes.SpanQ(t.Level)
	return mapping{ox: int64(t.X) * span, oy: int64(t.Y) * span, s: float64(size) / float64(span), size: float64(size)}
}

// points maps encoded points to pixels: the exact integer offset to the tile origin, then scaled.
func (m mapping) points(pts []strokes.Point) []geometry.Pt {
	px := make([]geometry.Pt, len(pts))
	for i, p := range pts {
		px[i] = geometry.Pt{X: float64(p.X-m.ox) * m.s, Y: float64(p.Y-m.oy) * m.s}
	}
	return px
}

// reach is the area where ink of half width halfWidth centred in it can colour a pixel of the tile.
func (m mapping) reach(halfWidth float64) geometry.Box {
	return geometry.Box{X1: m.size, Y1: m.size}.Grow(halfWidth + 2)
}

// shape is the geometry drawStroke draws (docs/tiles.md, "How a stroke becomes pixels"): the centre
// line through the points px (pts mapped to pixels) and the width in pixels of each of its pieces.
func shape(m mapping, s *strokev1.Stroke, px []geometry.Pt, pts []strokes.Point) ([]geometry.Piece, []float64) {
	base := float64(s.GetWidth()) * m.s
	fs := geometry.PieceFactors(s.GetTool(), pts)
	widths := make([]float64, len(fs))
	for i, f := range fs {
		widths[i] = geometry.WidthPx(base, f)
	}
	return geometry.CentreLine(px), widths
}

// drawStroke draws one stroke with its tool's paint (an eraser in opaque black, as coverage) and
// reports whether any of it could reach the tile.
func drawStroke(dc *gg.Context, m mapping, s *strokev1.Stroke, pts []strokes.Point) bool {
	px := m.points(pts)
	widest := geometry.WidthPx(float64(s.GetWidth())*m.s, geometry.WidestFactor(s.GetTool()))
	if !geometry.BoxOf(px).Meets(m.reach(widest / 2)) {
		return false
	}
	rgba := s.GetRgba()
	r, g, b, a := int(rgba>>24), int(rgba>>16&0xff), int(rgba>>8&0xff), int(rgba&0xff)
	switch s.GetTool() {
	case strokev1.Tool_TOOL_PEN:
		dc.SetRGBA255(r, g, b, 255)
	case strokev1.Tool_TOOL_HIGHLIGHTER:
		if a == 0 {
			return false
		}
		dc.SetRGBA255(r, g, b, a)
	default:
		dc.SetRGBA255(0, 0, 0, 255)
	}
	dc.SetLineCap(gg.LineCapRound)
	dc.SetLineJoin(gg.LineJoinRound)
	dc.ClearPath()

	pieces, widths := shape(m, s, px, pts)
	if s.GetTool() == strokev1.Tool_TOOL_PEN && len(s.GetPressures()) > 0 {
		// Piece by piece, each with its own width; gg strokes nothing for a piece of length zero, whose
		// round caps make a dot.
		drawn := false
		for i, pc := range pieces {
			if pc.IsPoint() {
				drawn = dot(dc, m, pc.A, widths[i]) || drawn
			} else {
				drawn = strokePieces(dc, m, pieces[i:i+1], widths[i]) || drawn
			}
		}
		return drawn
	}
	// One width: the whole stroke as one path, so overlaps of the stroke do not accumulate.
	same := true
	for _, p := range px {
		same = same && p == px[0]
	}
	if same {
		return dot(dc, m, px[0], widths[0])
	}
	return strokePieces(dc, m, pieces, widths[0])
}

// strokePieces strokes the pieces as one path of width w (round caps and joins): one fill of the
// outline, so overlaps of the same path do not accumulate.
func strokePieces(dc *gg.Context, m mapping, pieces []geometry.Piece, w float64) bool {
	keep := m.reach(w / 2)
	p := &path{dc: dc, keep: keep, safe: keep.Grow(safeMargin)}
	for _, pc := range pieces {
		p.add(pc, 0)
	}
	if !p.added {
		dc.ClearPath()
		return false
	}
	dc.SetLineWidth(w)
	dc.Stroke()
	return true
}

// path adds pieces to the context's path as lines within geometry.FlattenTolerancePx of them (gg's
// own flattening of quadratics is coarser for short pieces), dropping those whose ink cannot reach the
// tile and splitting those far outside it; it starts a new subpath after every gap.
type path struct {
	dc         *gg.Context
	keep, safe geometry.Box
	cur        *geometry.Pt
	added      bool
}

func (p *path) add(pc geometry.Piece, depth int) {
	b := pc.Box()
	switch {
	case !b.Meets(p.keep):
		p.cur = nil
	case b.Inside(p.safe) || depth >= 48:
		if p.cur == nil || *p.cur != pc.A {
			p.dc.MoveTo(pc.A.X, pc.A.Y)
		}
		pc.Flatten(func(q geometry.Pt) { p.dc.LineTo(q.X, q.Y) })
		end := pc.B
		p.cur = &end
		p.added = true
	default:
		a, c := pc.Halves()
		p.add(a, depth+1)
		p.add(c, depth+1)
	}
}

// dot fills a disc of diameter w: what a round-capped segment of length zero covers.
func dot(dc *gg.Context, m mapping, c geometry.Pt, w float64) bool {
	if !m.reach(w / 2).Meets(geometry.Box{X0: c.X, Y0: c.Y, X1: c.X, Y1: c.Y}) {
		return false
	}
	dc.NewSubPath()
	dc.DrawCircle(c.X, c.Y, w/2)
	dc.Fill()
	return true
}
