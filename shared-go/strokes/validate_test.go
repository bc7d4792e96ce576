package strokes

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
)

// zigzag is a pen stroke of n points going back and forth along y between x0 and x1 (encoded units).
func zigzag(n int, x0, x1, y int64, width uint32) *strokev1.Stroke {
	pts := make([]Point, n)
	for i := range pts {
		pts[i] = Point{X: x0, Y: y, Pressure: DefaultPressure}
		if i%2 == 1 {
			pts[i].X = x1
		}
	}
	return wire(pts, width)
}

func wire(pts []Point, width uint32) *strokev1.Stroke {
	q, enc, pr := EncodePoints(pts)
	return &strokev1.Stroke{Id: make([]byte, IDLen), Tool: strokev1.Tool_TOOL_PEN, Width: width, Quantum: q, Points: enc, Pressures: pr}
}

// costliest is the most expensive stroke Validate accepts: MaxPoints points, the widest width and a path
// of exactly MaxPathTiles spans cut into segments of one or two whole spans, which is the most pieces
// (MaxPathTiles + MaxPoints - 1) the tile walk can be made to visit.
func costliest() *strokev1.Stroke {
	span := SpanQ(0)
	twos := MaxPathTiles - (MaxPoints - 1) // segments of 2 spans; the others are of 1
	pts := make([]Point, MaxPoints)
	x, dir := span/2, int64(1)
	for i := range pts {
		pts[i] = Point{X: x, Y: span / 2, Pressure: DefaultPressure}
		step := span
		if i < twos {
			step = 2 * span
		}
		if x+dir*step < 0 || x+dir*step > 4*span {
			dir = -dir
		}
		x += dir * step
	}
	return wire(pts, MaxWidth)
}

func TestValidateLimits(t *testing.T) {
	span := SpanQ(0)
	line := func(n int, length int64) *strokev1.Stroke { return zigzag(n, span/2, span/2+length, span/2, 300) }
	// atLimit goes back and forth over four tiles until its path is MaxPathTiles spans long, plus extra.
	atLimit := func(extra int64) *strokev1.Stroke {
		pts := make([]Point, MaxPathTiles/4+2)
		for i := range pts {
			pts[i] = Point{X: span / 2, Y: span / 2, Pressure: DefaultPressure}
			if i%2 == 1 {
				pts[i].X += 4 * span
			}
		}
		pts[len(pts)-1].X = pts[len(pts)-2].X + extra
		return wire(pts, 300)
	}
	tests := []struct {
		name string
		s    *strokev1.Stroke
		want error // nil: accepted
		// limit is a number the error message must name.
		limit int
	}{
		{"a dot", line(1, 0), nil, 0},
		{"points at the limit", line(MaxPoints, span/4), nil, 0},
		{"points over the limit", line(MaxPoints+1, 0), ErrTooManyPoints, MaxPoints},
		{"path at the limit", atLimit(0), nil, 0},
		{"path one unit over the limit", atLimit(1), ErrPathTooLong, MaxPathTiles},
		{"a straight path at the limit covers too many tiles", line(2, MaxPathTiles*span), ErrTooManyTiles, MaxTilesPerStroke},
		{"the zig-zag of issue 12", zigzag(MaxPoints, 12_800, 104_819_200, 12_800, 1000), ErrPathTooLong, MaxPathTiles},
		{"a long diagonal", wire([]Point{{X: 0, Y: 0}, {X: 5000 * span, Y: 5000 * span}}, 300), ErrTooManyTiles, MaxTilesPerStroke},
		{"the costliest accepted stroke", costliest(), nil, 0},
		{"width under the limit", func() *strokev1.Stroke { s := line(2, span); s.Width = MinWidth - 1; return s }(), ErrInvalid, MinWidth},
		{"width over the limit", func() *strokev1.Stroke { s := line(2, span); s.Width = MaxWidth + 1; return s }(), ErrInvalid, MaxWidth},
		{"outside the world", wire([]Point{{X: MaxCoord + 1}}, 300), ErrInvalid, MaxCoord},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := Validate(tt.s)
			if tt.want == nil {
				if err != nil || len(v.Points) != len(tt.s.GetPoints())/2 || len(v.Tiles) == 0 {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), fmt.Sprint(tt.limit)) {
				t.Fatalf("%q does not name the limit %d", err, tt.limit)
			}
		})
	}
}

// The check reports how long the path is, so that a client can say by how much.
func TestPathErrorNamesTheLength(t *testing.T) {
	_, err := Decode(zigzag(MaxPoints, 12_800, 104_819_200, 12_800, 1000))
	want := fmt.Sprintf("the stroke's path is %d tiles long at full zoom; the limit is %d", 9999*(104_819_200-12_800)/SpanQ(0), MaxPathTiles)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want it to contain %q", err, want)
	}
}

// Validate's cost is linear in the points whether the stroke is refused by the path bound or accepted:
// ns/point stays flat as the points grow. The refused zig-zag is issue 12's (2.6 s before the bound).
func BenchmarkValidate(b *testing.B) {
	span := SpanQ(0)
	for _, n := range []int{1_000, 2_500, 5_000, 10_000} {
		cases := map[string]*strokev1.Stroke{
			"refused_zigzag":  zigzag(n, 12_800, 104_819_200, 12_800, 1000),
			"accepted_zigzag": zigzag(n, span/2, span/2+span*MaxPathTiles/int64(MaxPoints), span/2, MaxWidth),
		}
		for name, s := range cases {
			b.Run(fmt.Sprintf("%s/points=%d", name, n), func(b *testing.B) {
				for b.Loop() {
					_, _ = Validate(s)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/point")
			})
		}
	}
	b.Run("costliest_accepted", func(b *testing.B) {
		s := costliest()
		for b.Loop() {
			if _, err := Validate(s); err != nil {
				b.Fatal(err)
			}
		}
	})
}
