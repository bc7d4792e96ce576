package strokes

import (
	"slices"
	"testing"
)

func TestTileOf(t *testing.T) {
	span0 := SpanQ(0) // 25_600
	tests := []struct {
		name  string
		level int
		x, y  int64
		want  Tile
	}{
		{"origin", 0, 0, 0, Tile{0, 0, 0}},
		{"last unit of first tile", 0, span0 - 1, span0 - 1, Tile{0, 0, 0}},
		{"first unit of second tile", 0, span0, 0, Tile{0, 1, 0}},
		{"negative floors", 0, -1, -span0, Tile{0, -1, -1}},
		{"negative beyond one tile", 0, -span0 - 1, 0, Tile{0, -2, 0}},
		{"level 3", 3, 8 * span0, -8*span0 - 1, Tile{3, 1, -2}},
		{"max level holds the range", MaxLevel, MaxCoord, -MaxCoord, Tile{MaxLevel, 0, -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TileOf(tt.level, tt.x, tt.y); got != tt.want {
				t.Fatalf("TileOf(%d, %d, %d) = %+v, want %+v", tt.level, tt.x, tt.y, got, tt.want)
			}
		})
	}
}

func TestTilesTouched(t *testing.T) {
	span0 := SpanQ(0)
	tests := []struct {
		name  string
		width uint32
		pts   []Point
		want  []Tile
	}{
		{"dot in the middle", 200, []Point{{X: span0 / 2, Y: span0 / 2}}, []Tile{{0, 0, 0}}},
		{"dot whose reach crosses the left edge", 200, []Point{{X: 100, Y: span0 / 2}}, []Tile{{0, -1, 0}, {0, 0, 0}}},
		{"horizontal line across three tiles", 100, []Point{{X: span0 / 2, Y: span0 / 2}, {X: 2*span0 + span0/2, Y: span0 / 2}},
			[]Tile{{0, 0, 0}, {0, 1, 0}, {0, 2, 0}}},
		{"diagonal skips the off-diagonal corner tiles", 100,
			[]Point{{X: span0 / 2, Y: span0 / 2}, {X: span0 + span0/2, Y: span0 + span0/2}, {X: 2*span0 + span0/2, Y: 2*span0 + span0/2}},
			[]Tile{{0, 0, 0}, {0, 1, 0}, {0, 0, 1}, {0, 1, 1}, {0, 2, 1}, {0, 1, 2}, {0, 2, 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := TilesTouched(0, tt.width, tt.pts)
			if !sameSet(got, tt.want) {
				t.Fatalf("TilesTouched = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTilesAllLevelsMatchesPerLevel(t *testing.T) {
	pts := []Point{{X: -3_000_000, Y: 5_000}, {X: 40_000, Y: -70_000}, {X: 9_000_000, Y: 12_345_678}}
	all := TilesAllLevels(5_000, pts)
	for l := 0; l <= MaxLevel; l++ {
		var atLevel []Tile
		for _, t := range all {
			if t.Level == l {
				atLevel = append(atLevel, t)
			}
		}
		if want := TilesTouched(l, 5_000, pts); !sameSet(atLevel, want) {
			t.Fatalf("level %d: got %v, want %v", l, atLevel, want)
		}
	}
}

func sameSet(a, b []Tile) bool {
	less := func(x, y Tile) int {
		if x.Level != y.Level {
			return x.Level - y.Level
		}
		if x.Y != y.Y {
			return int(x.Y - y.Y)
		}
		return int(x.X - y.X)
	}
	a, b = slices.Clone(a), slices.Clone(b)
	slices.SortFunc(a, less)
	slices.SortFunc(b, less)
	return slices.Equal(a, b)
}
