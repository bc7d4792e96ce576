// Package ggrender is tile-delta-go's fallback renderer: it draws a tile with github.com/fogleman/gg
// following docs/tiles.md the way snapshot-rs does (the stroke geometry of package geometry: quadratic
// smoothing through midpoints flattened within 0.04 px, round caps and joins, pressure widths per
// piece, the width floor; opaque pen, highlighter at its alpha as one path, pixel eraser as
// destination-out), so RenderTile keeps working while snapshot-rs is unreachable.
package ggrender

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/draw"
	"image/png"

	"github.com/fogleman/gg"

	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

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
	m := tileMapping(t, size)
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
