// Package ggrender is tile-delta-go's fallback renderer: it draws a tile with github.com/fogleman/gg
// following docs/tiles.md the way snapshot-rs does (quadratic smoothing through midpoints, round caps
// and joins, pressure widths per piece, opaque pen, highlighter at its alpha as one path, pixel eraser
// as destination-out), so RenderTile keeps working while snapshot-rs is unreachable.
package ggrender

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"math"

	"github.com/fogleman/gg"

	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// minWidthPx is the narrowest line drawn (docs/tiles.md).
const minWidthPx = 0.5

// safeMargin: pieces farther than this (pixels) beyond the tile are split until they are not, which
// keeps every coordinate well inside gg's 26.6 fixed point.
const safeMargin = 65536.0

func penFactor(p int32) float64 { return 0.5 + float64(p)/255 }

// Renderer renders tiles with gg. It is stateless and safe for concurrent use.
type Renderer struct{}

// RenderTile renders the strokes of a tile at strokes.TilePx pixels on top of base (nil or empty for a
// transparent tile) and returns a PNG (8-bit RGBA, not premultiplied). A stroke outside the stroke
// limits (strokes.Decode) is an error; tilerender.Router leaves stored ones out before.
func (Renderer) RenderTile(_ context.Context, t strokes.Tile, base []byte, ss []*strokev1.Stroke) ([]byte, error) {
	return Render(t, strokes.TilePx, base, ss)
}

// Render renders at size pixels (256 or 512).
func Render(t strokes.Tile, size int, base []byte, ss []*strokev1.Stroke) ([]byte, error) {
	im, err := RenderImage(t, size, base, ss)
	if err != nil {
		return nil, err
	}
	return Encode(im)
}

// RenderImage is Render without the PNG step: the premultiplied pixels.
func RenderImage(t strokes.Tile, size int, base []byte, ss []*strokev1.Stroke) (*image.RGBA, error) {
	if size != strokes.TilePx && size != 2*strokes.TilePx {
		return nil, fmt.Errorf("tile size %d: want %d or %d", size, strokes.TilePx, 2*strokes.TilePx)
	}
	if t.Level < 0 || t.Level > strokes.MaxLevel {
		return nil, fmt.Errorf("level %d is outside 0..%d", t.Level, strokes.MaxLevel)
	}
	im := image.NewRGBA(image.Rect(0, 0, size, size))
	if len(base) > 0 {
		b, err := png.Decode(bytes.NewReader(base))
		if err != nil {
			return nil, fmt.Errorf("base PNG: %w", err)
		}
		if b.Bounds().Dx() != size || b.Bounds().Dy() != size {
			return nil, fmt.Errorf("base PNG is %v, want %dx%d", b.Bounds().Size(), size, size)
		}
		draw.Draw(im, im.Bounds(), b, b.Bounds().Min, draw.Src)
	}
	span := strokes.SpanQ(t.Level)
	m := mapping{ox: int64(t.X) * span, oy: int64(t.Y) * span, s: float64(size) / float64(span), size: float64(size)}
	dc := gg.NewContextForRGBA(im)
	var eraser *gg.Context // coverage of one eraser stroke, reused
	for i, s := range ss {
		// Within the stroke limits, a stroke's cost here is bounded by its points and path.
		pts, err := strokes.Decode(s)
		if err != nil {
			return nil, fmt.Errorf("stroke %d: %w", i, err)
		}
		switch s.GetTool() {
		case strokev1.Tool_TOOL_PEN, strokev1.Tool_TOOL_HIGHLIGHTER:
			drawStroke(dc, m, s, pts)
		case strokev1.Tool_TOOL_PIXEL_ERASER:
			if eraser == nil {
				eraser = gg.NewContext(size, size)
			}
			if drawStroke(eraser, m, s, pts) {
				erase(im, eraser.Image().(*image.RGBA))
			}
		}
	}
	return im, nil
}

// erase applies destination-out: every pixel of im keeps (1 - coverage) of itself, where coverage is
// the alpha of mask; mask is cleared for the next use.
func erase(im, mask *image.RGBA) {
	for i := 3; i < len(mask.Pix); i += 4 {
		c := uint32(mask.Pix[i])
		if c == 0 {
			continue
		}
		k := 255 - c
		for j := i - 3; j <= i; j++ {
			im.Pix[j] = uint8((uint32(im.Pix[j])*k + 127) / 255)
			mask.Pix[j] = 0
		}
	}
}

// Encode writes im as an 8-bit RGBA PNG, not premultiplied, with fast compression.
func Encode(im *image.RGBA) ([]byte, error) {
	n := image.NewNRGBA(im.Rect)
	for i := 0; i < len(im.Pix); i += 4 {
		a := uint32(im.Pix[i+3])
		switch a {
		case 0:
		case 255:
			copy(n.Pix[i:i+4], im.Pix[i:i+4])
		default:
			n.Pix[i] = uint8((uint32(im.Pix[i])*255 + a/2) / a)
			n.Pix[i+1] = uint8((uint32(im.Pix[i+1])*255 + a/2) / a)
			n.Pix[i+2] = uint8((uint32(im.Pix[i+2])*255 + a/2) / a)
			n.Pix[i+3] = uint8(a)
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, n); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

type pt struct{ x, y float64 }

func mid(a, b pt) pt { return pt{(a.x + b.x) / 2, (a.y + b.y) / 2} }

type mapping struct {
	ox, oy int64
	s      float64
	size   float64
}

// at maps an encoded point to pixels: the exact integer offset to the tile origin, then scaled.
func (m mapping) at(p strokes.Point) pt {
	return pt{float64(p.X-m.ox) * m.s, float64(p.Y-m.oy) * m.s}
}

// piece is a line (quad false: a to b) or a quadratic (a, control c, b) of the centre line.
type piece struct {
	a, c, b pt
	quad    bool
}

func (p piece) isPoint() bool { return p.a == p.b && (!p.quad || p.a == p.c) }

func (p piece) box() box {
	bx := box{math.Min(p.a.x, p.b.x), math.Min(p.a.y, p.b.y), math.Max(p.a.x, p.b.x), math.Max(p.a.y, p.b.y)}
	if p.quad {
		bx = box{math.Min(bx.x0, p.c.x), math.Min(bx.y0, p.c.y), math.Max(bx.x1, p.c.x), math.Max(bx.y1, p.c.y)}
	}
	return bx
}

func (p piece) halves() (piece, piece) {
	if !p.quad {
		m := mid(p.a, p.b)
		return piece{a: p.a, b: m}, piece{a: m, b: p.b}
	}
	ac, cb := mid(p.a, p.c), mid(p.c, p.b)
	m := mid(ac, cb)
	return piece{a: p.a, c: ac, b: m, quad: true}, piece{a: m, c: cb, b: p.b, quad: true}
}

// centreLine is docs/tiles.md's smoothing: two points a line; more, quadratics with control p[i] to
// the midpoint of p[i] and p[i+1], then a line to the last point.
func centreLine(p []pt) []piece {
	n := len(p)
	if n < 3 {
		return []piece{{a: p[0], b: p[n-1]}}
	}
	out := make([]piece, 0, n-1)
	start := p[0]
	for i := 1; i < n-1; i++ {
		end := mid(p[i], p[i+1])
		out = append(out, piece{a: start, c: p[i], b: end, quad: true})
		start = end
	}
	return append(out, piece{a: start, b: p[n-1]})
}

// pieceMeans is the mean of a per-point value at the two ends of each piece of centreLine.
func pieceMeans(v []float64) []float64 {
	n := len(v)
	if n < 3 {
		return []float64{(v[0] + v[n-1]) / 2}
	}
	out := make([]float64, 0, n-1)
	start := v[0]
	for i := 1; i < n-1; i++ {
		end := (v[i] + v[i+1]) / 2
		out = append(out, (start+end)/2)
		start = end
	}
	return append(out, (start+v[n-1])/2)
}

type box struct{ x0, y0, x1, y1 float64 }

func (b box) grow(m float64) box { return box{b.x0 - m, b.y0 - m, b.x1 + m, b.y1 + m} }
func (b box) meets(o box) bool {
	return b.x0 <= o.x1 && o.x0 <= b.x1 && b.y0 <= o.y1 && o.y0 <= b.y1
}
func (b box) inside(o box) bool { return b.x0 >= o.x0 && b.x1 <= o.x1 && b.y0 >= o.y0 && b.y1 <= o.y1 }

// path adds pieces to the context's path, dropping those whose ink cannot reach the tile and splitting
// those far outside it; it starts a new subpath after every gap. It reports whether anything was added.
type path struct {
	dc         *gg.Context
	keep, safe box
	cur        *pt
	added      bool
}

func newPath(dc *gg.Context, size, halfWidth float64) *path {
	keep := box{0, 0, size, size}.grow(halfWidth + 2)
	return &path{dc: dc, keep: keep, safe: keep.grow(safeMargin)}
}

func (p *path) add(pc piece, depth int) {
	b := pc.box()
	switch {
	case !b.meets(p.keep):
		p.cur = nil
	case b.inside(p.safe) || depth >= 48:
		if p.cur == nil || *p.cur != pc.a {
			p.dc.MoveTo(pc.a.x, pc.a.y)
		}
		if pc.quad {
			p.dc.QuadraticTo(pc.c.x, pc.c.y, pc.b.x, pc.b.y)
		} else {
			p.dc.LineTo(pc.b.x, pc.b.y)
		}
		end := pc.b
		p.cur = &end
		p.added = true
	default:
		a, c := pc.halves()
		p.add(a, depth+1)
		p.add(c, depth+1)
	}
}

// drawStroke draws one stroke with its tool's paint (an eraser in opaque black, as coverage) and
// reports whether any of it could reach the tile.
func drawStroke(dc *gg.Context, m mapping, s *strokev1.Stroke, pts []strokes.Point) bool {
	baseWidth := float64(s.GetWidth()) * m.s
	widest := baseWidth
	if s.GetTool() == strokev1.Tool_TOOL_PEN {
		widest *= penFactor(255)
	}
	widest = math.Max(widest, minWidthPx)
	px := make([]pt, len(pts))
	all := box{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for i, p := range pts {
		px[i] = m.at(p)
		all = box{math.Min(all.x0, px[i].x), math.Min(all.y0, px[i].y), math.Max(all.x1, px[i].x), math.Max(all.y1, px[i].y)}
	}
	if !all.meets(box{0, 0, m.size, m.size}.grow(widest/2 + 2)) {
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

	if s.GetTool() == strokev1.Tool_TOOL_PEN && len(s.GetPressures()) > 0 {
		fs := make([]float64, len(pts))
		for i, p := range pts {
			fs[i] = penFactor(p.Pressure)
		}
		means := pieceMeans(fs)
		drawn := false
		for i, pc := range centreLine(px) {
			w := math.Max(baseWidth*means[i], minWidthPx)
			if pc.isPoint() {
				drawn = dot(dc, m.size, pc.a, w) || drawn
			} else {
				drawn = strokePieces(dc, m.size, []piece{pc}, w) || drawn
			}
		}
		return drawn
	}
	f := 1.0
	if s.GetTool() == strokev1.Tool_TOOL_PEN {
		f = penFactor(strokes.DefaultPressure)
	}
	w := math.Max(baseWidth*f, minWidthPx)
	same := true
	for _, p := range px {
		same = same && p == px[0]
	}
	if same {
		return dot(dc, m.size, px[0], w)
	}
	return strokePieces(dc, m.size, centreLine(px), w)
}

// strokePieces strokes the pieces as one path (round caps and joins): one fill of the outline, so
// overlaps of the same path do not accumulate.
func strokePieces(dc *gg.Context, size float64, pieces []piece, w float64) bool {
	p := newPath(dc, size, w/2)
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

// dot fills a disc of diameter w: what a round-capped segment of length zero covers.
func dot(dc *gg.Context, size float64, c pt, w float64) bool {
	if !(box{c.x, c.y, c.x, c.y}).meets(box{0, 0, size, size}.grow(w/2 + 2)) {
		return false
	}
	dc.NewSubPath()
	dc.DrawCircle(c.x, c.y, w/2)
	dc.Fill()
	return true
}
