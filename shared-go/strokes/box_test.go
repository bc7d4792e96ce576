package strokes

import "testing"

func TestBoxes(t *testing.T) {
	reach := ReachQ(400)
	tests := []struct {
		name string
		got  Box
		want Box
	}{
		{"bounds of one point", Bounds(400, []Point{{X: 10, Y: -5}}), Box{10 - reach, -5 - reach, 10 + reach, -5 + reach}},
		{"bounds of a line", Bounds(400, []Point{{X: 10, Y: 20}, {X: -30, Y: 50}, {X: 0, Y: 0}}), Box{-30 - reach, -reach, 10 + reach, 50 + reach}},
		{"union", Box{0, 0, 1, 1}.Union(Box{-5, 3, 0, 9}), Box{-5, 0, 1, 9}},
		{"tile 0,0 at level 0", BoxOf(Tile{0, 0, 0}), Box{0, 0, SpanQ(0) - 1, SpanQ(0) - 1}},
		{"tile -1,2 at level 3", BoxOf(Tile{3, -1, 2}), Box{-SpanQ(3), 2 * SpanQ(3), -1, 3*SpanQ(3) - 1}},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.name, tt.got, tt.want)
		}
	}
	meets := []struct {
		a, b Box
		want bool
	}{
		{Box{0, 0, 10, 10}, Box{10, 10, 20, 20}, true}, // a shared corner
		{Box{0, 0, 10, 10}, Box{11, 0, 20, 10}, false},
		{Box{0, 0, 10, 10}, Box{2, 2, 3, 3}, true},
		{Box{0, 0, 10, 10}, Box{0, 11, 10, 20}, false},
	}
	for _, m := range meets {
		if m.a.Meets(m.b) != m.want || m.b.Meets(m.a) != m.want {
			t.Errorf("%+v meets %+v: want %v", m.a, m.b, m.want)
		}
	}
	lo, hi := TilesOf(2, Box{-1, 0, SpanQ(2), SpanQ(2) - 1})
	if lo != (Tile{2, -1, 0}) || hi != (Tile{2, 1, 0}) {
		t.Errorf("tiles of a box: %+v..%+v", lo, hi)
	}
}
