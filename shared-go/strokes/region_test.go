package strokes

import "testing"

func TestRegionValidate(t *testing.T) {
	tests := []struct {
		name string
		r    Region
		ok   bool
	}{
		{"a region", Region{0, 0, 100, 100}, true},
		{"the whole world", Region{-MaxCoord, -MaxCoord, MaxCoord + 1, MaxCoord + 1}, true},
		{"empty across", Region{0, 0, 0, 100}, false},
		{"empty down", Region{0, 100, 100, 100}, false},
		{"inverted", Region{100, 0, 0, 100}, false},
		{"left of the world", Region{-MaxCoord - 1, 0, 0, 100}, false},
		{"below the world", Region{0, 0, 100, MaxCoord + 2}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.r.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate(%+v) = %v, want ok %v", tt.r, err, tt.ok)
			}
		})
	}
}

func TestRegionHolds(t *testing.T) {
	span0 := SpanQ(0)
	r := Region{0, 0, 2 * span0, span0 + 1}
	tests := []struct {
		tile Tile
		want bool
	}{
		{Tile{0, 0, 0}, true},
		{Tile{0, 1, 0}, true},
		{Tile{0, 2, 0}, false}, // max is exclusive
		{Tile{0, 0, 1}, false}, // one unit of it only
		{Tile{0, -1, 0}, false},
		{Tile{1, 0, 0}, false},
	}
	for _, tt := range tests {
		if got := r.Holds(tt.tile); got != tt.want {
			t.Errorf("Holds(%+v) = %v, want %v", tt.tile, got, tt.want)
		}
	}
}

// A stroke meets a region when a box of its level-0 walk does: its centre line grown by the reach
// 3·width/4 + 100 (width 400: 400), boxes closed, the region half-open.
func TestMeets(t *testing.T) {
	span0 := SpanQ(0)
	r := Region{10_000, 10_000, 20_000, 20_000}
	const w = 400 // reach 400
	tests := []struct {
		name string
		pts  []Point
		want bool
	}{
		{"inside", []Point{{X: 12_000, Y: 12_000}, {X: 15_000, Y: 15_000}}, true},
		{"outside", []Point{{X: 30_000, Y: 12_000}, {X: 40_000, Y: 15_000}}, false},
		{"straddling the edge", []Point{{X: 5_000, Y: 15_000}, {X: 15_000, Y: 15_000}}, true},
		{"around the region", []Point{{X: 5_000, Y: 5_000}, {X: 25_000, Y: 5_000}, {X: 25_000, Y: 25_000}}, false},
		{"its reach touches the min edge", []Point{{X: 9_600, Y: 15_000}}, true},
		{"its reach stops a unit short of the min edge", []Point{{X: 9_599, Y: 15_000}}, false},
		{"its reach touches the exclusive max edge", []Point{{X: 20_400, Y: 15_000}}, false},
		{"its reach crosses the max edge by a unit", []Point{{X: 20_399, Y: 15_000}}, true},
		// The bounding box of this diagonal holds the region; its pieces pass a corner far from it.
		{"a long diagonal past a corner", []Point{{X: 0, Y: 20 * span0}, {X: 20 * span0, Y: 0}}, false},
		{"a long diagonal through it", []Point{{X: 0, Y: 0}, {X: 20 * span0, Y: 20 * span0}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Meets(w, tt.pts, r)
			if err != nil || got != tt.want {
				t.Fatalf("Meets = %v (%v), want %v", got, err, tt.want)
			}
		})
	}
}
