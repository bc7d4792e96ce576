package strokes

import (
	"fmt"

	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
)

// The limits (MaxPoints, MinWidth, MaxWidth, MaxCoord, MaxPathTiles, MaxTilesPerStroke: limits_gen.go,
// generated from proto/limits.json with those of the Rust renderer and the browser) are applied by
// every entry point (WebSocket, gRPC, REST through the gateway) and by every reader of stored strokes
// (erase in the write transaction, the fallback renderer, the hit test). MaxPathTiles bounds the
// centre line the way the tile walk cuts it, so the walk visits at most MaxPathTiles + MaxPoints pieces
// and no stroke costs more than about a millisecond of it, while a stroke drawn at 100 % zoom stays far
// below: 16,384 spans are 4.2 million pixels of pen travel, and the longest of 22,542 recorded human
// strokes (Quick, Draw!) is 0.18 million.

// IDLen is the length of stroke and action ids (UUIDs).
const IDLen = 16

// Errors of the limits that bound a stroke's cost; each wraps ErrInvalid.
var (
	ErrTooManyPoints = fmt.Errorf("%w: too many points", ErrInvalid)
	ErrPathTooLong   = fmt.Errorf("%w: path too long", ErrInvalid)
)

// Stroke is a validated stroke: the wire message, its decoded points and the tiles it touches at every
// level.
type Stroke struct {
	Msg    *strokev1.Stroke
	Points []Point
	Tiles  []Tile
}

// Validate checks a stroke against every limit and returns it with its decoded points and its tiles.
// The checks of Decode come first, so that the tile walk only ever runs on a stroke whose cost is
// bounded. The returned Msg holds only the stroke's known fields (KnownFields).
func Validate(s *strokev1.Stroke) (Stroke, error) {
	pts, err := Decode(s)
	if err != nil {
		return Stroke{}, err
	}
	tiles, err := TilesAllLevels(s.GetWidth(), pts)
	if err != nil {
		return Stroke{}, err
	}
	return Stroke{Msg: KnownFields(s), Points: pts, Tiles: tiles}, nil
}

// Decode checks a stroke against every limit that takes time linear in its points (id, tool, width,
// number of points, coordinates, pressures, path length) and decodes its points. It is what a reader
// of stored strokes needs before drawing or hit testing one; Validate adds the tile walk.
func Decode(s *strokev1.Stroke) ([]Point, error) {
	if s == nil {
		return nil, invalid("missing stroke")
	}
	if err := ValidID(s.GetId()); err != nil {
		return nil, err
	}
	switch s.GetTool() {
	case strokev1.Tool_TOOL_PEN, strokev1.Tool_TOOL_HIGHLIGHTER, strokev1.Tool_TOOL_PIXEL_ERASER:
	default:
		return nil, invalid("unknown tool %d", s.GetTool())
	}
	if w := s.GetWidth(); w < MinWidth || w > MaxWidth {
		return nil, invalid("width %d is outside %d..%d (world units x100)", w, MinWidth, MaxWidth)
	}
	n := len(s.GetPoints()) / 2
	if n == 0 {
		return nil, invalid("a stroke needs at least one point")
	}
	if n > MaxPoints {
		return nil, fmt.Errorf("%w: the stroke has %d points; the limit is %d", ErrTooManyPoints, n, MaxPoints)
	}
	pts, err := DecodePoints(s.GetQuantum(), s.GetPoints(), s.GetPressures())
	if err != nil {
		return nil, err
	}
	if path := PathQ(pts); path > MaxPathTiles*SpanQ(0) {
		return nil, fmt.Errorf("%w: the stroke's path is %d tiles long at full zoom; the limit is %d; draw it in parts",
			ErrPathTooLong, path/SpanQ(0), MaxPathTiles)
	}
	return pts, nil
}

// PathQ is the length of the centre line in encoded units as the tile walk measures it: the sum over
// segments of max(|dx|, |dy|). With at most MaxPoints points of at most ±MaxCoord it stays below 2^45.
func PathQ(pts []Point) int64 {
	var sum int64
	for i := 1; i < len(pts); i++ {
		sum += max(abs(pts[i].X-pts[i-1].X), abs(pts[i].Y-pts[i-1].Y))
	}
	return sum
}

// IDBytes puts ids (stroke or action, as uuid.UUID or any 16-byte array) on the wire, 16 bytes each.
func IDBytes[ID ~[IDLen]byte](ids []ID) [][]byte {
	out := make([][]byte, len(ids))
	for i := range ids {
		out[i] = ids[i][:]
	}
	return out
}

// ValidID checks a 16-byte id (stroke or action).
func ValidID(id []byte) error {
	if len(id) != IDLen {
		return invalid("id must be %d bytes (a UUID), got %d", IDLen, len(id))
	}
	return nil
}
