package client

import (
	"github.com/google/uuid"

	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// PenStroke encodes points (world units x100) as a pen stroke with a fresh id.
func PenStroke(pts []strokes.Point, width uint32, rgba uint32) *strokev1.Stroke {
	id := uuid.New()
	q, p, pr := strokes.EncodePoints(pts)
	return &strokev1.Stroke{Id: id[:], Tool: strokev1.Tool_TOOL_PEN, Rgba: rgba, Width: width, Quantum: q, Points: p, Pressures: pr}
}
