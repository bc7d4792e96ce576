// Package geometrytest reads the stroke geometry vectors of docs/testdata/stroke-geometry.json (written
// by scripts/geometry-ref.py; format in docs/tiles.md) for the tests of geometry, ggrender and hittest.
package geometrytest

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
	"github.com/infidraw/infidraw/tile-delta-go/internal/geometry"
)

// Vectors is the whole file.
type Vectors struct {
	Tolerances struct {
		// Value is the relative tolerance of computed values (Close).
		Value float64 `json:"value"`
		// FlattenPx bounds, in pixels, how far flattened lines stray from the curve.
		FlattenPx float64 `json:"flatten_px"`
		// Hit is the band, in encoded units, around the ink's edge where a hit test may go either way.
		Hit float64 `json:"hit"`
	} `json:"tolerances"`
	PenFactor []struct {
		Pressure int32   `json:"pressure"`
		Factor   float64 `json:"factor"`
	} `json:"pen_factor"`
	WidthPx []struct {
		Width   uint32  `json:"width"`
		Factor  float64 `json:"factor"`
		Scale   float64 `json:"scale"`
		WidthPx float64 `json:"width_px"`
	} `json:"width_px"`
	Strokes []Stroke `json:"strokes"`
	Renders []struct {
		Stroke string   `json:"stroke"`
		Tile   [3]int32 `json:"tile"`
		Size   int      `json:"size"`
		// Scale is pixels per world unit.
		Scale  float64   `json:"scale"`
		Pieces []Piece   `json:"pieces"`
		Widths []float64 `json:"widths"`
	} `json:"renders"`
	Flatten []struct {
		Name  string `json:"name"`
		Piece Piece  `json:"piece"`
		// Samples are points of the curve, interleaved x, y, from its start to its end.
		Samples []float64 `json:"samples"`
		// SampleError bounds how far the polyline through the samples strays from the curve.
		SampleError float64 `json:"sample_error"`
	} `json:"flatten"`
	Hits []struct {
		Name   string   `json:"name"`
		Stroke string   `json:"stroke"`
		Disk   [3]int64 `json:"disk"`
		Hit    bool     `json:"hit"`
	} `json:"hits"`
}

// Stroke is a stroke case: its input and its centre line.
type Stroke struct {
	Name  string        `json:"name"`
	Tool  strokev1.Tool `json:"tool"`
	Width uint32        `json:"width"`
	// Points are absolute, interleaved x, y, in encoded units.
	Points []int64 `json:"points"`
	// Pressures are one per point, or nil for none.
	Pressures     []int32   `json:"pressures"`
	Pieces        []Piece   `json:"pieces"`
	PressureMeans []float64 `json:"pressure_means"`
	Factors       []float64 `json:"factors"`
}

// Piece is a piece as the file writes it: exactly one of Line (x0, y0, x1, y1) and Quad (x0, y0, cx,
// cy, x1, y1).
type Piece struct {
	Line []float64 `json:"line"`
	Quad []float64 `json:"quad"`
}

// Geometry converts the piece.
func (p Piece) Geometry() geometry.Piece {
	if p.Quad != nil {
		c := p.Quad
		return geometry.Piece{A: geometry.Pt{X: c[0], Y: c[1]}, C: geometry.Pt{X: c[2], Y: c[3]}, B: geometry.Pt{X: c[4], Y: c[5]}, Quad: true}
	}
	c := p.Line
	return geometry.Piece{A: geometry.Pt{X: c[0], Y: c[1]}, B: geometry.Pt{X: c[2], Y: c[3]}}
}

// Decoded is the stroke's points as strokes.Decode gives them (strokes.DefaultPressure without
// pressures).
func (s Stroke) Decoded() []strokes.Point {
	pts := make([]strokes.Point, len(s.Points)/2)
	for i := range pts {
		p := int32(strokes.DefaultPressure)
		if s.Pressures != nil {
			p = s.Pressures[i]
		}
		pts[i] = strokes.Point{X: s.Points[2*i], Y: s.Points[2*i+1], Pressure: p}
	}
	return pts
}

// Wire is the stroke in its wire form.
func (s Stroke) Wire() *strokev1.Stroke {
	q, points, pressures := strokes.EncodePoints(s.Decoded())
	return &strokev1.Stroke{Id: make([]byte, strokes.IDLen), Tool: s.Tool, Rgba: 0x000000ff, Width: s.Width, Quantum: q, Points: points, Pressures: pressures}
}

// Load reads the vectors.
func Load(t testing.TB) *Vectors {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(here), "..", "..", "..", "..", "docs", "testdata", "stroke-geometry.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v Vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &v
}

// Close reports whether got equals want within the vectors' relative tolerance.
func (v *Vectors) Close(got, want float64) bool {
	return math.Abs(got-want) <= v.Tolerances.Value*max(1, math.Abs(want))
}

// ClosePiece reports whether the pieces agree point for point within the tolerance.
func (v *Vectors) ClosePiece(got, want geometry.Piece) bool {
	pts := func(p geometry.Piece) []float64 { return []float64{p.A.X, p.A.Y, p.C.X, p.C.Y, p.B.X, p.B.Y} }
	g, w := pts(got), pts(want)
	for i := range g {
		if !v.Close(g[i], w[i]) {
			return false
		}
	}
	return got.Quad == want.Quad
}

// Stroke returns the stroke case of that name.
func (v *Vectors) Stroke(t testing.TB, name string) Stroke {
	t.Helper()
	for _, s := range v.Strokes {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no stroke case %q", name)
	return Stroke{}
}
