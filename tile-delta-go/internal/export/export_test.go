package export

import (
	"context"
	"errors"
	"testing"

	"github.com/infidraw/infidraw/shared-go/strokes"
)

func TestPlan(t *testing.T) {
	const w = 100 // encoded units per world unit
	tests := map[string]struct {
		r       Request
		level   int
		tiles   int
		invalid bool
	}{
		"1:1 is level 0":                 {r: Request{MaxX: 256 * w, MaxY: 256 * w, Width: 256, Height: 256}, level: 0, tiles: 1},
		"magnified stays level 0":        {r: Request{MaxX: 10 * w, MaxY: 10 * w, Width: 4096, Height: 4096}, level: 0, tiles: 1},
		"8 world units a pixel":          {r: Request{MinX: -1024 * w, MinY: -1024 * w, MaxX: 1024 * w, MaxY: 1024 * w, Width: 256, Height: 256}, level: 3, tiles: 4},
		"rounds to the closest level":    {r: Request{MaxX: 2900 * w, MaxY: 2900 * w, Width: 1000, Height: 1000}, level: 2, tiles: 9},
		"the finer axis decides":         {r: Request{MaxX: 4096 * w, MaxY: 256 * w, Width: 512, Height: 256}, level: 0, tiles: 16},
		"whole world at 4096 px":         {r: Request{MinX: -1e9, MinY: -1e9, MaxX: 1e9, MaxY: 1e9, Width: 4096, Height: 4096}, level: 12, tiles: 20 * 20},
		"empty":                          {r: Request{MaxX: 1, Width: 1, Height: 1}, invalid: true},
		"zero height":                    {r: Request{MaxX: 1, MaxY: 1, Width: 1}, invalid: true},
		"wider than 4096":                {r: Request{MaxX: 1, MaxY: 1, Width: 4097, Height: 1}, invalid: true},
		"outside the world":              {r: Request{MinX: -2e9, MaxX: 1, MaxY: 1, Width: 1, Height: 1}, invalid: true},
		"too many tiles (thin and long)": {r: Request{MaxX: 256 * 4096 * w, MaxY: w, Width: 4096, Height: 1}, invalid: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			level, ts, err := Plan(tc.r)
			if tc.invalid {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("err = %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if level != tc.level || len(ts) != tc.tiles {
				t.Fatalf("level %d, %d tiles; want level %d, %d tiles", level, len(ts), tc.level, tc.tiles)
			}
		})
	}
}

// An export takes its pixels from the budget before it reads or allocates anything: one that does
// not fit what the running exports leave fails at once with ErrBusy (its nil reader is never used),
// and an invalid request stays ErrInvalid whatever the budget.
func TestPixelBudget(t *testing.T) {
	e := &Exporter{Pixels: NewPixelBudget(strokes.ExportMaxPixels + 100)}
	if !e.Pixels.TryAcquire(strokes.ExportMaxPixels) { // a largest export running
		t.Fatal("the budget does not hold one largest export")
	}
	small := Request{MaxX: 100, MaxY: 100, Width: 10, Height: 11}
	if _, err := e.Export(context.Background(), small); !errors.Is(err, ErrBusy) {
		t.Fatalf("110 pixels with 100 left: err = %v, want ErrBusy", err)
	}
	if _, err := e.Export(context.Background(), Request{MaxX: 1, Width: 1, Height: 1}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty region: err = %v, want ErrInvalid", err)
	}
	e.Pixels.Release(strokes.ExportMaxPixels)
	if !e.Pixels.TryAcquire(strokes.ExportMaxPixels + 100) {
		t.Fatal("a refused export kept pixels of the budget")
	}
}
