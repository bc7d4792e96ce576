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
			got, err := TilesTouched(0, tt.width, tt.pts)
			if err != nil || !sameSet(got, tt.want) {
				t.Fatalf("TilesTouched = %v, want %v", got, tt.want)
			}
		})
	}
}

// Every level covers the ink: the tile of each sampled point of the centre line, and of points one
// reach away from it, is in the level's set.
func TestTilesAllLevelsCoverTheInk(t *testing.T) {
	pts := []Point{{X: -3_000_000, Y: 5_000}, {X: 40_000, Y: -70_000}, {X: 9_000_000, Y: 12_345_678}}
	const width = 5_000
	all, err := TilesAllLevels(width, pts)
	if err != nil {
		t.Fatal(err)
	}
	byLevel := map[int]map[Tile]bool{}
	for _, tile := range all {
		if byLevel[tile.Level] == nil {
			byLevel[tile.Level] = map[Tile]bool{}
		}
		byLevel[tile.Level][tile] = true
	}
	reach := ReachQ(width) - 1
	for l := 0; l <= MaxLevel; l++ {
		for i := 1; i < len(pts); i++ {
			a, b := pts[i-1], pts[i]
			for k := int64(0); k <= 1000; k++ {
				x, y := a.X+(b.X-a.X)*k/1000, a.Y+(b.Y-a.Y)*k/1000
				for _, d := range [][2]int64{{0, 0}, {reach, 0}, {-reach, 0}, {0, reach}, {0, -reach}} {
					if tile := TileOf(l, x+d[0], y+d[1]); !byLevel[l][tile] {
						t.Fatalf("level %d misses tile %v holding ink at (%d, %d)", l, tile, x+d[0], y+d[1])
					}
				}
			}
		}
	}
}

func TestLongStrokesCostTheirLengthNotTheirBox(t *testing.T) {
	span0 := SpanQ(0)
	// A diagonal 1000 tiles long touches a few thousand tiles, not the million of its bounding box.
	diag := []Point{{X: 0, Y: 0}, {X: 1000 * span0, Y: 1000 * span0}}
	got, err := TilesTouched(0, 100, diag)
	if err != nil || len(got) > 4*1000 {
		t.Fatalf("diagonal: %d tiles, err %v", len(got), err)
	}
	// Across the whole world is refused, not indexed.
	world := []Point{{X: -MaxCoord, Y: -MaxCoord}, {X: MaxCoord, Y: MaxCoord}}
	if _, err := TilesAllLevels(100, world); err != ErrTooManyTiles {
		t.Fatalf("world-long stroke: %v, want ErrTooManyTiles", err)
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
