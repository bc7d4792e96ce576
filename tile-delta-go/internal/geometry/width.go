package geometry

import (
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// MinWidthPx is the width floor: no piece is drawn narrower than half a pixel, so that thin strokes
// stay visible far out.
const MinWidthPx = 0.5

// PenFactor is the pen's width factor at pressure p (0..255): 0.5 + p/255, so that the default
// pressure (128) draws about the nominal width.
func PenFactor(p int32) float64 { return 0.5 + float64(p)/255 }

// WidestFactor is the largest width factor a stroke of the tool can have: the pen's at pressure 255,
// or 1. It bounds how far ink reaches from the points before the pieces are computed.
func WidestFactor(tool strokev1.Tool) float64 {
	if tool == strokev1.Tool_TOOL_PEN {
		return PenFactor(255)
	}
	return 1
}

// PieceFactors is the width factor of each piece of the centre line through pts (decoded, so a stroke
// without pressures has strokes.DefaultPressure at every point): for the pen the mean of the pen
// factors at the piece's ends (PieceMeans), for the highlighter and the pixel eraser 1.
func PieceFactors(tool strokev1.Tool, pts []strokes.Point) []float64 {
	if tool != strokev1.Tool_TOOL_PEN {
		fs := make([]float64, max(1, len(pts)-1))
		for i := range fs {
			fs[i] = 1
		}
		return fs
	}
	fs := make([]float64, len(pts))
	for i, p := range pts {
		fs[i] = PenFactor(p.Pressure)
	}
	return PieceMeans(fs)
}

// WidthPx is the drawn width in pixels of a piece of factor f of a stroke whose nominal width is base
// pixels, never below the floor.
func WidthPx(base, f float64) float64 { return max(MinWidthPx, base*f) }
