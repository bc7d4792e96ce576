// Package hittest decides whether a disk touches a stroke's ink, with the geometry of docs/tiles.md
// ("Hit test"): the smoothed centre line (quadratic Béziers through the midpoints), round caps and
// joins, and each piece's width times its pen factor. It is what the object eraser removes; the browser
// (hitStroke in web/src/geometry.ts) follows the same rule, and both are checked by the vectors of
// docs/testdata/stroke-geometry.json.
package hittest

import (
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
	"github.com/infidraw/infidraw/tile-delta-go/internal/geometry"
)

// Disk is a circle in encoded units (world units x100).
type Disk struct {
	X, Y, R int64
}

// Tolerance is the band, in encoded units (0.01 world unit), around the edge of the ink within which
// Hit may answer either way (docs/tiles.md): the curves are refined only until they are that close.
const Tolerance = 1

// Hit reports whether the disk touches the ink of the stroke: whether for some piece of the stroke's
// smoothed centre line the distance from the disk's centre is at most R plus half the stroke's width
// times the piece's factor (for the pen the mean pen factor of its ends, 0.5 + 128/255 without
// pressures; 1 for the highlighter), up to Tolerance. The width has no floor: that is a rendering
// matter of pixels, and the eraser's radius is at least a few pixels anyway. A pixel-eraser stroke is
// never hit: it has no ink of its own. A stroke outside the stroke limits (strokes.Decode) is an error.
func Hit(s *strokev1.Stroke, d Disk) (bool, error) {
	if s.GetTool() == strokev1.Tool_TOOL_PIXEL_ERASER {
		return false, nil
	}
	pts, err := strokes.Decode(s)
	if err != nil {
		return false, err
	}
	half := float64(s.GetWidth()) / 2
	q, r := geometry.Pt{X: float64(d.X), Y: float64(d.Y)}, float64(d.R)

	// Cheap rejection by the box of the points (which holds the centre line) grown by the widest reach.
	centre := make([]geometry.Pt, len(pts))
	for i, p := range pts {
		centre[i] = geometry.Pt{X: float64(p.X), Y: float64(p.Y)}
	}
	reach := geometry.BoxOf(centre).Grow(r + half*geometry.WidestFactor(s.GetTool()))
	if !reach.Meets(geometry.Box{X0: q.X, Y0: q.Y, X1: q.X, Y1: q.Y}) {
		return false, nil
	}
	fs := geometry.PieceFactors(s.GetTool(), pts)
	for i, pc := range geometry.CentreLine(centre) {
		if pc.Near(q, r+half*fs[i], Tolerance) {
			return true, nil
		}
	}
	return false, nil
}
