package tilerender

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
	"github.com/infidraw/infidraw/tile-delta-go/internal/breaker"
)

type fake struct {
	err   error
	block bool
	got   []*strokev1.Stroke // the strokes of the last call
}

func (f *fake) RenderTile(ctx context.Context, _ strokes.Tile, _ []byte, ss []*strokev1.Stroke) ([]byte, error) {
	f.got = ss
	if f.block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return []byte("png"), f.err
}

func TestRouter(t *testing.T) {
	down := status.Error(codes.Unavailable, "connection refused")
	tests := map[string]struct {
		primary      fake
		calls        int
		wantRenderer string
		wantErr      bool
		wantState    breaker.State
		wantFallback float64
	}{
		"healthy":               {primary: fake{}, calls: 3, wantRenderer: SnapshotRS, wantState: breaker.Closed},
		"unreachable":           {primary: fake{err: down}, calls: 3, wantRenderer: GG, wantState: breaker.Open, wantFallback: 3},
		"timeouts":              {primary: fake{block: true}, calls: 2, wantRenderer: GG, wantState: breaker.Open, wantFallback: 2},
		"open stops calling":    {primary: fake{err: down}, calls: 5, wantRenderer: GG, wantState: breaker.Open, wantFallback: 5},
		"bad input is no fault": {primary: fake{err: status.Error(codes.InvalidArgument, "stroke 0: bad")}, calls: 3, wantErr: true, wantState: breaker.Closed},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			r := New(&tc.primary, &fake{}, Options{Timeout: 20 * time.Millisecond, Failures: 2, CoolDown: time.Hour}, reg, nil)
			for i := 0; i < tc.calls; i++ {
				png, by, err := r.RenderTile(context.Background(), strokes.Tile{}, nil, nil)
				if (err != nil) != tc.wantErr {
					t.Fatalf("call %d: err %v", i, err)
				}
				if err == nil && (by != tc.wantRenderer || string(png) != "png") {
					t.Fatalf("call %d: renderer %q", i, by)
				}
			}
			if r.State() != tc.wantState {
				t.Fatalf("state %v, want %v", r.State(), tc.wantState)
			}
			if got := testutil.ToFloat64(r.fallbacks); got != tc.wantFallback {
				t.Fatalf("fallback renders %v, want %v", got, tc.wantFallback)
			}
		})
	}
}

// A caller that gives up does not count against snapshot-rs.
func TestRouterCallerCancelIsNotAFailure(t *testing.T) {
	r := New(&fake{block: true}, &fake{}, Options{Timeout: time.Minute, Failures: 1, CoolDown: time.Hour}, prometheus.NewRegistry(), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, _, err := r.RenderTile(ctx, strokes.Tile{}, nil, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
	if r.State() != breaker.Closed {
		t.Fatalf("state %v", r.State())
	}
}

// Stored strokes outside the stroke limits reach neither renderer, and the tile still renders.
func TestRouterLeavesOutStrokesOverTheLimits(t *testing.T) {
	stroke := func(pts ...strokes.Point) *strokev1.Stroke {
		q, p, pr := strokes.EncodePoints(pts)
		return &strokev1.Stroke{Id: make([]byte, strokes.IDLen), Tool: strokev1.Tool_TOOL_PEN, Width: 300, Quantum: q, Points: p, Pressures: pr}
	}
	good := stroke(strokes.Point{X: 100, Y: 100}, strokes.Point{X: 2000, Y: 900})
	// Three legs of 12,288 tiles (3.1 million world units) each: over the path limit.
	far := int64(strokes.MaxPathTiles) * strokes.SpanQ(0) * 3 / 4
	long := stroke(strokes.Point{}, strokes.Point{X: far}, strokes.Point{}, strokes.Point{X: far})
	tests := map[string]struct {
		primary fake
		in      []*strokev1.Stroke
		want    []*strokev1.Stroke
	}{
		"snapshot-rs, all within":    {in: []*strokev1.Stroke{good, good}, want: []*strokev1.Stroke{good, good}},
		"snapshot-rs, one over":      {in: []*strokev1.Stroke{good, long, good}, want: []*strokev1.Stroke{good, good}},
		"gg, first over":             {primary: fake{err: status.Error(codes.Unavailable, "down")}, in: []*strokev1.Stroke{long, good}, want: []*strokev1.Stroke{good}},
		"snapshot-rs, only one over": {in: []*strokev1.Stroke{long}, want: []*strokev1.Stroke{}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			gg := &fake{}
			r := New(&tc.primary, gg, Options{Timeout: time.Second, Failures: 1, CoolDown: time.Hour}, prometheus.NewRegistry(), nil)
			_, by, err := r.RenderTile(context.Background(), strokes.Tile{}, nil, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			got := tc.primary.got
			if by == GG {
				got = gg.got
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("%s got %d strokes, want %d", by, len(got), len(tc.want))
			}
			if skipped := testutil.ToFloat64(r.skipped); skipped != float64(len(tc.in)-len(tc.want)) {
				t.Fatalf("skipped counter %v", skipped)
			}
		})
	}
}
