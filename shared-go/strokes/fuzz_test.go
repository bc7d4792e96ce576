package strokes

import (
	"encoding/binary"
	"errors"
	"slices"
	"testing"

	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
)

// The fuzz targets of the stroke codec and limits (make fuzz runs them longer; make test briefly). Their
// seeds are in testdata/fuzz: strokes of every tool, a dot, pressures, the coordinate bounds, and issue
// 12's zig-zag cut to 200 points (still far over the path limit).

// int32s reads b as little-endian int32 values (a trailing partial value is dropped), the form in which
// the fuzz targets take the repeated fields of a Stroke.
func int32s(b []byte) []int32 {
	out := make([]int32, len(b)/4)
	for i := range out {
		out[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// FuzzValidate checks that Validate never panics, refuses only with ErrInvalid, agrees with Decode, and
// that what it accepts is within every limit and indexed in the tiles of its own points.
func FuzzValidate(f *testing.F) {
	f.Fuzz(func(t *testing.T, tool int32, width, quantum uint32, points, pressures []byte) {
		s := &strokev1.Stroke{Id: make([]byte, IDLen), Tool: strokev1.Tool(tool), Width: width, Quantum: quantum,
			Points: int32s(points), Pressures: int32s(pressures)}
		v, err := Validate(s)
		pts, derr := Decode(s)
		if derr != nil {
			if !errors.Is(derr, ErrInvalid) || err == nil || err.Error() != derr.Error() {
				t.Fatalf("Decode: %v; Validate: %v", derr, err)
			}
			return
		}
		if err != nil {
			if !errors.Is(err, ErrTooManyTiles) {
				t.Fatalf("Validate refused what Decode accepted for another reason than the tile limit: %v", err)
			}
			return
		}
		if !slices.Equal(v.Points, pts) || len(pts) == 0 || len(pts) > MaxPoints || PathQ(pts) > MaxPathTiles*SpanQ(0) ||
			s.GetWidth() < MinWidth || s.GetWidth() > MaxWidth {
			t.Fatalf("accepted a stroke outside the limits: %d points, path %d, width %d", len(pts), PathQ(pts), s.GetWidth())
		}
		level0 := map[Tile]bool{}
		for _, tile := range v.Tiles {
			if tile.Level == 0 {
				level0[tile] = true
			}
		}
		if len(level0) == 0 || len(level0) > MaxTilesPerStroke {
			t.Fatalf("%d level-0 tiles", len(level0))
		}
		for _, p := range pts {
			if p.X < -MaxCoord || p.X > MaxCoord || p.Y < -MaxCoord || p.Y > MaxCoord || p.Pressure < 0 || p.Pressure > 255 {
				t.Fatalf("decoded point %+v out of range", p)
			}
			if tile := TileOf(0, p.X, p.Y); !level0[tile] {
				t.Fatalf("point %+v is not in the stroke's tiles (missing %+v)", p, tile)
			}
		}
	})
}

// FuzzPointCodec checks that DecodePoints never panics, refuses only with ErrInvalid, and that the
// points it accepts encode (EncodePoints) to a wire form that decodes back to them, with a quantum that
// divides every delta.
func FuzzPointCodec(f *testing.F) {
	f.Fuzz(func(t *testing.T, quantum uint32, points, pressures []byte) {
		pts, err := DecodePoints(quantum, int32s(points), int32s(pressures))
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("refused without ErrInvalid: %v", err)
			}
			return
		}
		q, enc, pr := EncodePoints(pts)
		back, err := DecodePoints(q, enc, pr)
		if err != nil {
			t.Fatalf("re-encoded points refused: %v", err)
		}
		if !slices.Equal(back, pts) {
			t.Fatalf("round trip changed the points:\n%v\n%v", pts, back)
		}
	})
}
