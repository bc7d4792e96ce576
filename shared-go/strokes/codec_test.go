package strokes

import (
	"errors"
	"math"
	"slices"
	"testing"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	tests := []struct {
		name        string
		pts         []Point
		wantQuantum uint32
	}{
		{"whole pixels get quantum 100", []Point{{X: 2200, Y: 8000, Pressure: 128}, {X: 2600, Y: 8100, Pressure: 128}}, 100},
		{"sub-pixel keeps quantum 1", []Point{{X: 2201, Y: 8000, Pressure: 128}, {X: 2650, Y: 8049, Pressure: 128}}, 1},
		{"negative coordinates", []Point{{X: -500, Y: -1000, Pressure: 128}, {X: -1500, Y: 0, Pressure: 128}}, 500},
		{"pressure kept", []Point{{X: 0, Y: 0, Pressure: 10}, {X: 100, Y: 100, Pressure: 250}}, 100},
		{"single point at the origin", []Point{{X: 0, Y: 0, Pressure: 128}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, pts, pr := EncodePoints(tt.pts)
			if q != tt.wantQuantum {
				t.Fatalf("quantum %d, want %d", q, tt.wantQuantum)
			}
			got, err := DecodePoints(q, pts, pr)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.pts) {
				t.Fatalf("round trip %v, want %v", got, tt.pts)
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	tests := []struct {
		name      string
		quantum   uint32
		points    []int32
		pressures []int32
	}{
		{"odd number of values", 1, []int32{1, 2, 3}, nil},
		{"pressure count mismatch", 1, []int32{1, 2}, []int32{1, 2}},
		{"beyond the coordinate range", 1, []int32{math.MaxInt32, 0}, nil},
		{"deltas walk out of range", 1, []int32{900_000_000, 0, 200_000_000, 0}, nil},
		{"quantum overflows the range", 1000, []int32{2_000_000, 0}, nil},
		{"pressure above 255", 1, []int32{0, 0, 1, 1}, []int32{200, 100}},
		{"negative pressure", 1, []int32{0, 0}, []int32{-1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := DecodePoints(tt.quantum, tt.points, tt.pressures); !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
		})
	}
}
