package export

import (
	"bytes"
	"context"
	"image/png"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
	"github.com/infidraw/infidraw/tile-delta-go/internal/breaker"
	"github.com/infidraw/infidraw/tile-delta-go/internal/ggrender"
	"github.com/infidraw/infidraw/tile-delta-go/internal/tilerender"
	"github.com/infidraw/infidraw/tile-delta-go/internal/tiles"
)

// oneTile reads a room whose only content is strokes on tile 0/0/0, without a snapshot.
type oneTile []*strokev1.Stroke

func (o oneTile) Read(_ context.Context, _ uuid.UUID, ts []strokes.Tile, _ tiles.Options) ([]tiles.Content, uint64, error) {
	out := make([]tiles.Content, len(ts))
	for i, t := range ts {
		out[i].Tile = t
		if t == (strokes.Tile{}) {
			out[i].Strokes = o
		}
	}
	return out, 1, nil
}

// down is snapshot-rs unreachable.
type down struct{}

func (down) RenderTile(context.Context, strokes.Tile, []byte, []*strokev1.Stroke) ([]byte, error) {
	return nil, status.Error(codes.Unavailable, "connection refused")
}

// With snapshot-rs down, an export goes through the same router as RenderTile and gets its tiles from
// the gg fallback: the picture shows the stroke where it lies.
func TestExportDrawsThroughTheFallbackWhenSnapshotRSIsDown(t *testing.T) {
	pts := []strokes.Point{{X: 2_000, Y: 12_800, Pressure: strokes.DefaultPressure}, {X: 23_600, Y: 12_800, Pressure: strokes.DefaultPressure}}
	q, p, _ := strokes.EncodePoints(pts)
	id := uuid.New()
	line := &strokev1.Stroke{Id: id[:], Tool: strokev1.Tool_TOOL_PEN, Rgba: 0x000000ff, Width: 800, Quantum: q, Points: p}
	router := tilerender.New(down{}, ggrender.Renderer{}, tilerender.Options{Timeout: time.Second, Failures: 1, CoolDown: time.Hour},
		prometheus.NewRegistry(), nil)
	e := &Exporter{Tiles: oneTile{line}, Renderer: router, Workers: 2, Pixels: NewPixelBudget(strokes.ExportMaxPixels)}

	// Two level-0 tiles wide, at 1:1: the stroke crosses the middle of the left one.
	res, err := e.Export(context.Background(), Request{MaxX: 51_200, MaxY: 25_600, Width: 512, Height: 256})
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(res.PNG))
	if err != nil {
		t.Fatal(err)
	}
	alpha := func(x, y int) uint32 { _, _, _, a := img.At(x, y).RGBA(); return a >> 8 }
	if res.Level != 0 || res.Tiles != 1 || img.Bounds().Dx() != 512 {
		t.Fatalf("level %d, %d tiles drawn, %v; want level 0, 1 tile, 512 px wide", res.Level, res.Tiles, img.Bounds())
	}
	if a := alpha(128, 128); a < 250 {
		t.Errorf("alpha %d on the stroke, want ink", a)
	}
	if a, b := alpha(128, 100), alpha(384, 128); a != 0 || b != 0 {
		t.Errorf("alpha %d beside the stroke and %d in the empty tile, want none", a, b)
	}
	if router.State() != breaker.Open {
		t.Errorf("breaker %s after snapshot-rs failed, want open", router.State())
	}
}
