package strokes

import (
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
)

// Limits every entry point (WebSocket, gRPC, REST through the gateway) applies to a stroke.
const (
	// MaxPoints bounds the points of one stroke.
	MaxPoints = 10_000
	// MinWidth and MaxWidth bound the nominal width in encoded units (0.1 to 500 world units).
	MinWidth = 10
	MaxWidth = 50_000
	// IDLen is the length of stroke and action ids (UUIDs).
	IDLen = 16
)

// Stroke is a validated stroke: the wire message, its decoded points and the tiles it touches at every
// level.
type Stroke struct {
	Msg    *strokev1.Stroke
	Points []Point
	Tiles  []Tile
}

// Validate checks a stroke against the limits and decodes its points. The returned Msg holds only the
// stroke's known fields (KnownFields).
func Validate(s *strokev1.Stroke) (Stroke, error) {
	if s == nil {
		return Stroke{}, invalid("missing stroke")
	}
	if len(s.GetId()) != IDLen {
		return Stroke{}, invalid("id must be %d bytes (a UUID), got %d", IDLen, len(s.GetId()))
	}
	switch s.GetTool() {
	case strokev1.Tool_TOOL_PEN, strokev1.Tool_TOOL_HIGHLIGHTER, strokev1.Tool_TOOL_PIXEL_ERASER:
	default:
		return Stroke{}, invalid("unknown tool %d", s.GetTool())
	}
	if w := s.GetWidth(); w < MinWidth || w > MaxWidth {
		return Stroke{}, invalid("width %d is outside %d..%d (world units x100)", w, MinWidth, MaxWidth)
	}
	n := len(s.GetPoints()) / 2
	if n == 0 {
		return Stroke{}, invalid("a stroke needs at least one point")
	}
	if n > MaxPoints {
		return Stroke{}, invalid("%d points exceed the limit of %d", n, MaxPoints)
	}
	pts, err := DecodePoints(s.GetQuantum(), s.GetPoints(), s.GetPressures())
	if err != nil {
		return Stroke{}, err
	}
	tiles, err := TilesAllLevels(s.GetWidth(), pts)
	if err != nil {
		return Stroke{}, err
	}
	return Stroke{Msg: KnownFields(s), Points: pts, Tiles: tiles}, nil
}

// ValidID checks a 16-byte id (stroke or action).
func ValidID(id []byte) error {
	if len(id) != IDLen {
		return invalid("id must be %d bytes (a UUID), got %d", IDLen, len(id))
	}
	return nil
}
