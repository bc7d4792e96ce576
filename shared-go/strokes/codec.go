package strokes

import (
	"errors"
	"fmt"
)

// Point is a decoded point in encoded units (world units x100) with its pressure (0..255).
type Point struct {
	X, Y     int64
	Pressure int32
}

// DefaultPressure is the pressure of points that carry none.
const DefaultPressure = 128

// ErrInvalid is wrapped by every validation and decoding error.
var ErrInvalid = errors.New("invalid stroke")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// DecodePoints expands delta + zigzag encoded points (already un-zigzagged by protobuf's sint32) and
// optional pressures into absolute points, checking the coordinate range at every step.
func DecodePoints(quantum uint32, points, pressures []int32) ([]Point, error) {
	if len(points)%2 != 0 {
		return nil, invalid("points hold %d values, not x,y pairs", len(points))
	}
	n := len(points) / 2
	if len(pressures) != 0 && len(pressures) != n {
		return nil, invalid("%d pressures for %d points", len(pressures), n)
	}
	q := int64(quantum)
	if q == 0 {
		q = 1
	}
	out := make([]Point, n)
	var x, y, p int64
	p = DefaultPressure
	for i := 0; i < n; i++ {
		dx, dy := int64(points[2*i])*q, int64(points[2*i+1])*q
		if i == 0 {
			x, y = dx, dy
		} else {
			x, y = x+dx, y+dy
		}
		if x < -MaxCoord || x > MaxCoord || y < -MaxCoord || y > MaxCoord {
			return nil, invalid("point %d (%d, %d) is outside ±%d", i, x, y, MaxCoord)
		}
		if len(pressures) != 0 {
			if i == 0 {
				p = int64(pressures[0])
			} else {
				p += int64(pressures[i])
			}
			if p < 0 || p > 255 {
				return nil, invalid("pressure %d of point %d is outside 0..255", p, i)
			}
		}
		out[i] = Point{X: x, Y: y, Pressure: int32(p)}
	}
	return out, nil
}

// EncodePoints is the inverse of DecodePoints: it picks the largest quantum that divides every value
// exactly and returns it with the delta encoded points and pressures (nil when all are default).
func EncodePoints(pts []Point) (quantum uint32, points, pressures []int32) {
	points = make([]int32, 0, 2*len(pts))
	var g int64
	var px, py int64
	hasPressure := false
	for _, p := range pts {
		dx, dy := p.X-px, p.Y-py
		g = gcd(gcd(g, abs(dx)), abs(dy))
		px, py = p.X, p.Y
		hasPressure = hasPressure || p.Pressure != DefaultPressure
	}
	if g == 0 {
		g = 1
	}
	px, py = 0, 0
	for _, p := range pts {
		points = append(points, int32((p.X-px)/g), int32((p.Y-py)/g))
		px, py = p.X, p.Y
	}
	if hasPressure {
		pressures = make([]int32, len(pts))
		var prev int32
		for i, p := range pts {
			pressures[i] = p.Pressure - prev
			prev = p.Pressure
		}
	}
	return uint32(g), points, pressures
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
