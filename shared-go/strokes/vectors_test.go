package strokes

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"slices"
	"testing"
)

// vectorsFile holds the cross-language test vectors of docs/tiles.md; Rust (snapshot-rs/render) and
// TypeScript (web) read the same file.
const vectorsFile = "../../docs/testdata/tile-math.json"

var updateVectors = flag.Bool("update-vectors", false, "rewrite the expected values of "+vectorsFile+" from this package")

type vectors struct {
	About       string           `json:"about"`
	Constants   map[string]int64 `json:"constants"`
	TileOfPoint []struct {
		Level int      `json:"level"`
		X     int64    `json:"x"`
		Y     int64    `json:"y"`
		Tile  [3]int64 `json:"tile"`
	} `json:"tile_of_point"`
	Parent []struct {
		Tile [3]int64 `json:"tile"`
		// Parent is null at MaxLevel.
		Parent *[3]int64 `json:"parent"`
	} `json:"parent"`
	LevelForZoom []struct {
		Zoom  float64 `json:"zoom"`
		DPR   float64 `json:"dpr"`
		Level int     `json:"level"`
	} `json:"level_for_zoom"`
	TilesTouched []struct {
		Name     string  `json:"name"`
		Width    uint32  `json:"width"`
		Absolute []int64 `json:"absolute"`
		// Quantum and Points are the wire form of Absolute.
		Quantum uint32  `json:"quantum"`
		Points  []int32 `json:"points"`
		// Refused: more than MaxTilesPerStroke level-0 tiles; Tiles is then empty.
		Refused bool       `json:"refused"`
		Tiles   [][2]int32 `json:"tiles"`
	} `json:"tiles_touched"`
}

func constants() map[string]int64 {
	return map[string]int64{
		"coord_scale": CoordScale, "tile_px": TilePx, "max_level": MaxLevel,
		"max_coord": MaxCoord, "max_tiles_per_stroke": MaxTilesPerStroke,
		"max_points": MaxPoints, "min_width": MinWidth, "max_width": MaxWidth, "max_path_tiles": MaxPathTiles,
	}
}

// levelFor is docs/tiles.md's formula, which only the browser implements:
// clamp(floor(log2(1 / (z · r))), 0, MaxLevel).
func levelFor(z, r float64) int {
	return min(MaxLevel, max(0, int(math.Floor(math.Log2(1/(z*r))))))
}

func tileTriple(t Tile) [3]int64 { return [3]int64{int64(t.Level), int64(t.X), int64(t.Y)} }

// touched is TilesTouched at level 0 as sorted (x, y) pairs.
func touched(width uint32, pts []Point) ([][2]int32, error) {
	tiles, err := TilesTouched(0, width, pts)
	if err != nil {
		return nil, err
	}
	out := make([][2]int32, len(tiles))
	for i, t := range tiles {
		out[i] = [2]int32{t.X, t.Y}
	}
	slices.SortFunc(out, func(a, b [2]int32) int {
		if a[0] != b[0] {
			return int(a[0] - b[0])
		}
		return int(a[1] - b[1])
	})
	return out, nil
}

func TestSharedVectors(t *testing.T) {
	raw, err := os.ReadFile(vectorsFile)
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if *updateVectors {
		update(t, &v)
		return
	}
	if !maps(v.Constants, constants()) {
		t.Errorf("constants %v, want %v", v.Constants, constants())
	}
	for _, c := range v.TileOfPoint {
		if got := tileTriple(TileOf(c.Level, c.X, c.Y)); got != c.Tile {
			t.Errorf("TileOf(%d, %d, %d) = %v, want %v", c.Level, c.X, c.Y, got, c.Tile)
		}
	}
	for _, c := range v.Parent {
		// A tile's parent is the tile, one level up, of the tile's top-left corner.
		level := int(c.Tile[0])
		if level == MaxLevel {
			if c.Parent != nil {
				t.Errorf("tile %v at the top level has parent %v", c.Tile, *c.Parent)
			}
			continue
		}
		span := SpanQ(level)
		got := tileTriple(TileOf(level+1, c.Tile[1]*span, c.Tile[2]*span))
		shifted := [3]int64{c.Tile[0] + 1, c.Tile[1] >> 1, c.Tile[2] >> 1}
		if c.Parent == nil || got != *c.Parent || shifted != *c.Parent {
			t.Errorf("parent of %v: corner's tile %v, shift %v, want %v", c.Tile, got, shifted, c.Parent)
		}
	}
	for _, c := range v.LevelForZoom {
		if got := levelFor(c.Zoom, c.DPR); got != c.Level {
			t.Errorf("level for zoom %g dpr %g = %d, want %d", c.Zoom, c.DPR, got, c.Level)
		}
	}
	for _, c := range v.TilesTouched {
		t.Run(c.Name, func(t *testing.T) {
			pts, err := DecodePoints(c.Quantum, c.Points, nil)
			if err != nil {
				t.Fatal(err)
			}
			abs := make([]int64, 0, 2*len(pts))
			for _, p := range pts {
				abs = append(abs, p.X, p.Y)
			}
			if !slices.Equal(abs, c.Absolute) {
				t.Fatalf("decoded %v, want %v", abs, c.Absolute)
			}
			got, err := touched(c.Width, pts)
			if c.Refused {
				if err == nil {
					t.Fatalf("accepted with %d tiles, want refused", len(got))
				}
				return
			}
			if err != nil || !slices.Equal(got, c.Tiles) {
				t.Fatalf("tiles %v (%v), want %v", got, err, c.Tiles)
			}
		})
	}
}

func maps(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// update fills every expected value from this package and rewrites the file, one case per line.
func update(t *testing.T, v *vectors) {
	v.Constants = constants()
	for i := range v.TileOfPoint {
		c := &v.TileOfPoint[i]
		c.Tile = tileTriple(TileOf(c.Level, c.X, c.Y))
	}
	for i := range v.Parent {
		c := &v.Parent[i]
		c.Parent = nil
		if c.Tile[0] < MaxLevel {
			p := [3]int64{c.Tile[0] + 1, c.Tile[1] >> 1, c.Tile[2] >> 1}
			c.Parent = &p
		}
	}
	for i := range v.LevelForZoom {
		c := &v.LevelForZoom[i]
		c.Level = levelFor(c.Zoom, c.DPR)
	}
	for i := range v.TilesTouched {
		c := &v.TilesTouched[i]
		pts := make([]Point, len(c.Absolute)/2)
		for j := range pts {
			pts[j] = Point{X: c.Absolute[2*j], Y: c.Absolute[2*j+1], Pressure: DefaultPressure}
		}
		c.Quantum, c.Points, _ = EncodePoints(pts)
		tiles, err := touched(c.Width, pts)
		c.Refused, c.Tiles = err != nil, tiles
		if c.Tiles == nil {
			c.Tiles = [][2]int32{}
		}
	}
	var b bytes.Buffer
	line := func(prefix string, x any, suffix string) {
		j, err := json.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(prefix)
		b.Write(j)
		b.WriteString(suffix)
	}
	line("{\n  \"about\": ", v.About, ",\n")
	line("  \"constants\": ", v.Constants, ",\n")
	section := func(name string, n int, item func(int) any, last bool) {
		b.WriteString("  \"" + name + "\": [\n")
		for i := 0; i < n; i++ {
			sep := ",\n"
			if i == n-1 {
				sep = "\n"
			}
			line("    ", item(i), sep)
		}
		if last {
			b.WriteString("  ]\n}\n")
		} else {
			b.WriteString("  ],\n")
		}
	}
	section("tile_of_point", len(v.TileOfPoint), func(i int) any { return v.TileOfPoint[i] }, false)
	section("parent", len(v.Parent), func(i int) any { return v.Parent[i] }, false)
	section("level_for_zoom", len(v.LevelForZoom), func(i int) any { return v.LevelForZoom[i] }, false)
	section("tiles_touched", len(v.TilesTouched), func(i int) any { return v.TilesTouched[i] }, true)
	if err := os.WriteFile(vectorsFile, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", vectorsFile)
}
