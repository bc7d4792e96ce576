// Package tilerender chooses the renderer of a tile: snapshot-rs while it is healthy, the gg fallback
// while a circuit breaker says it is not, and snapshot-rs again once a half-open probe succeeds. Both
// only ever get strokes within the stroke limits.
package tilerender

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
	"github.com/infidraw/infidraw/tile-delta-go/internal/breaker"
)

// Renderer names, as RenderTileResponse.renderer reports them.
const (
	SnapshotRS = "snapshot-rs"
	GG         = "gg"
)

// Renderer turns strokes into a PNG tile, on top of base (nil for transparent).
type Renderer interface {
	RenderTile(ctx context.Context, t strokes.Tile, base []byte, ss []*strokev1.Stroke) ([]byte, error)
}

// Options of a Router.
type Options struct {
	// Timeout of one snapshot-rs call; a timeout counts as a failure.
	Timeout time.Duration
	// Failures is how many consecutive failures open the breaker.
	Failures int
	// CoolDown is how long the breaker stays open before a probe.
	CoolDown time.Duration
}

// Router renders with Primary (snapshot-rs) or Fallback (gg).
type Router struct {
	primary, fallback  Renderer
	breaker            *breaker.Breaker
	timeout            time.Duration
	log                *slog.Logger
	renders            *prometheus.CounterVec
	fallbacks, skipped prometheus.Counter
}

// New returns a router and registers its metrics: tile_delta_render_breaker_state (0 closed, 1 open,
// 2 half-open), tile_delta_renders_total{renderer}, tile_delta_fallback_renders_total,
// tile_delta_render_skipped_strokes_total.
func New(primary, fallback Renderer, o Options, reg prometheus.Registerer, log *slog.Logger) *Router {
	state := prometheus.NewGauge(prometheus.GaugeOpts{Name: "tile_delta_render_breaker_state",
		Help: "Circuit breaker in front of snapshot-rs: 0 closed, 1 open, 2 half-open."})
	r := &Router{primary: primary, fallback: fallback, timeout: o.Timeout, log: log,
		renders: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tile_delta_renders_total",
			Help: "Tiles rendered, by renderer."}, []string{"renderer"}),
		fallbacks: prometheus.NewCounter(prometheus.CounterOpts{Name: "tile_delta_fallback_renders_total",
			Help: "Tiles rendered by the gg fallback because snapshot-rs was unreachable or failing."}),
		skipped: prometheus.NewCounter(prometheus.CounterOpts{Name: "tile_delta_render_skipped_strokes_total",
			Help: "Stored strokes left out of a render because they exceed the stroke limits."}),
	}
	r.breaker = breaker.New(o.Failures, o.CoolDown, func(s breaker.State) {
		state.Set(float64(s))
		if log != nil {
			log.Warn("snapshot-rs breaker", "state", s.String())
		}
	})
	reg.MustRegister(state, r.renders, r.fallbacks, r.skipped)
	return r
}

// State is the breaker's state.
func (r *Router) State() breaker.State { return r.breaker.State() }

// RenderTile renders the tile and says which renderer did.
func (r *Router) RenderTile(ctx context.Context, t strokes.Tile, base []byte, ss []*strokev1.Stroke) ([]byte, string, error) {
	ss = r.renderable(t, ss)
	if r.breaker.Allow() {
		cctx, cancel := context.WithTimeout(ctx, r.timeout)
		png, err := r.primary.RenderTile(cctx, t, base, ss)
		cancel()
		switch {
		case err == nil:
			r.breaker.Success()
			r.renders.WithLabelValues(SnapshotRS).Inc()
			return png, SnapshotRS, nil
		case ctx.Err() != nil:
			r.breaker.Cancel()
			return nil, "", ctx.Err()
		case badRequest(err):
			// snapshot-rs answered: it is healthy, the input is not.
			r.breaker.Success()
			return nil, "", fmt.Errorf("snapshot-rs refused the tile: %w", err)
		default:
			r.breaker.Failure()
			if r.log != nil {
				r.log.Warn("snapshot-rs render failed; using gg", "level", t.Level, "x", t.X, "y", t.Y, "err", err)
			}
		}
	}
	png, err := r.fallback.RenderTile(ctx, t, base, ss)
	if err != nil {
		return nil, "", fmt.Errorf("gg fallback: %w", err)
	}
	r.renders.WithLabelValues(GG).Inc()
	r.fallbacks.Inc()
	return png, GG, nil
}

// renderable returns the strokes within the stroke limits (strokes.Decode), in order. A stored stroke
// they refuse was stored before they existed: it is left out and logged, because snapshot-rs would
// refuse the whole tile for it and gg would spend its unbounded cost.
func (r *Router) renderable(t strokes.Tile, ss []*strokev1.Stroke) []*strokev1.Stroke {
	var kept []*strokev1.Stroke // nil until a stroke is left out
	for i, s := range ss {
		_, err := strokes.Decode(s)
		switch {
		case err != nil:
			if kept == nil {
				kept = append(make([]*strokev1.Stroke, 0, len(ss)), ss[:i]...)
			}
			r.skipped.Inc()
			if r.log != nil {
				r.log.Warn("stored stroke left out of a tile: it exceeds the stroke limits", "level", t.Level, "x", t.X, "y", t.Y,
					"stroke", fmt.Sprintf("%x", s.GetId()), "err", err)
			}
		case kept != nil:
			kept = append(kept, s)
		}
	}
	if kept == nil {
		return ss
	}
	return kept
}

func badRequest(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	switch status.Code(err) {
	case codes.InvalidArgument, codes.OutOfRange:
		return true
	}
	return false
}
