// Package timelapse plays a region of a room between two points as one video: it reads the region's
// history from the tile index (history.go), spreads its events over the frames (plan.go), and has
// snapshot-rs draw and encode the frames, relaying its stream (header, progress, video bytes). There is no
// fallback encoder: without snapshot-rs a timelapse is unavailable.
package timelapse

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// Limits of a request (TimelapseRequest).
const (
	MinSide          = 16
	MaxWidth         = 1920
	MaxHeight        = 1080
	DefaultFrameRate = 30
	MaxFrameRate     = 60
	DefaultMaxFrames = 300
	MaxFrames        = 3600
)

// White is the background of every timelapse, 0xRRGGBBAA.
const White = 0xffffffff

var (
	// ErrInvalid is wrapped by every error about the request itself.
	ErrInvalid = errors.New("invalid timelapse")
	// ErrTooLarge is returned when the region's history is over a bound.
	ErrTooLarge = errors.New("too much to play in the region: timelapse a smaller region or a later from")
	// ErrRenderUnavailable is wrapped by a Renderer's error when no snapshot-rs answered.
	ErrRenderUnavailable = errors.New("snapshot-rs is unavailable, and there is no fallback encoder")
	// ErrRenderRefused is wrapped by a Renderer's error when snapshot-rs refused the job.
	ErrRenderRefused = errors.New("snapshot-rs refused the timelapse")
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Request names a region of a room, the span to play and the video to make (TimelapseRequest).
type Request struct {
	Room   uuid.UUID
	Region strokes.Region
	// Width and Height in pixels.
	Width, Height int
	// From: the first frame shows the region right after it (0: empty). To, nil or beyond the head: the head.
	From uint64
	To   *uint64
	// FrameRate and MaxFrames, 0 for their defaults.
	FrameRate, MaxFrames int
}

// normalize checks the request and fills in the defaults.
func (r *Request) normalize() error {
	if err := r.Region.Validate(); err != nil {
		return invalid("%v", err)
	}
	if r.Width < MinSide || r.Width > MaxWidth || r.Height < MinSide || r.Height > MaxHeight || r.Width%2 != 0 || r.Height%2 != 0 {
		return invalid("width and height must be even, width %d..%d and height %d..%d pixels, got %dx%d", MinSide, MaxWidth, MinSide, MaxHeight, r.Width, r.Height)
	}
	if r.FrameRate == 0 {
		r.FrameRate = DefaultFrameRate
	}
	if r.FrameRate < 1 || r.FrameRate > MaxFrameRate {
		return invalid("frame_rate must be 1..%d frames per second, got %d", MaxFrameRate, r.FrameRate)
	}
	if r.MaxFrames == 0 {
		r.MaxFrames = DefaultMaxFrames
	}
	if r.MaxFrames < 1 || r.MaxFrames > MaxFrames {
		return invalid("max_frames must be 1..%d, got %d", MaxFrames, r.MaxFrames)
	}
	if r.To != nil && r.From > *r.To {
		return invalid("from_seq %d is after to_seq %d", r.From, *r.To)
	}
	return nil
}

// Job is what the renderer draws and encodes (RenderTimelapseRequest).
type Job struct {
	Region                   strokes.Region
	Width, Height, FrameRate int
	Strokes                  []*strokev1.Stroke
	Frames                   []Frame
	// Background as 0xRRGGBBAA.
	Background uint32
	From, To   uint64
}

// Header describes the video before any of it is made (TimelapseHeader).
type Header struct {
	ContentType                      string
	Frames, FrameRate, Width, Height int
	From, To                         uint64
	Strokes                          int
}

// Progress counts the frames rendered and encoded so far.
type Progress struct {
	Done, Frames int
}

// Part is one part of a timelapse stream: exactly one of its fields is set. The header comes first, then
// progress and video parts; the video parts, concatenated, are the file.
type Part struct {
	Header   *Header
	Progress *Progress
	Video    []byte
}

// Renderer draws and encodes a timelapse (snapshot-rs's RenderTimelapse).
type Renderer interface {
	// RenderTimelapse calls send with each part of the video in order, the header first. Its error wraps
	// ErrRenderUnavailable when no renderer answered, ErrRenderRefused when it refused the job; an error of
	// send ends it and is returned.
	RenderTimelapse(ctx context.Context, job Job, send func(Part) error) error
}

// Result describes a timelapse made, for logs.
type Result struct {
	Plan    Plan
	History History
	// Read is the time taken to read and plan, Render the rest.
	Read, Render time.Duration
	VideoBytes   int
}

// Service makes timelapses.
type Service struct {
	pool     *pgxpool.Pool
	renderer Renderer
	// Bound caps each timelapse (DefaultBound).
	Bound    Bound
	outcomes *prometheus.CounterVec
	frames   prometheus.Counter
	duration prometheus.Histogram
}

// New returns a service and registers its metrics: tile_delta_timelapses_total{outcome},
// tile_delta_timelapse_frames_total, tile_delta_timelapse_duration_seconds.
func New(pool *pgxpool.Pool, r Renderer, reg prometheus.Registerer) *Service {
	s := &Service{pool: pool, renderer: r, Bound: DefaultBound,
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tile_delta_timelapses_total",
			Help: "Timelapses asked for, by outcome: ok, invalid, too_large, unavailable, refused, canceled, error."}, []string{"outcome"}),
		frames: prometheus.NewCounter(prometheus.CounterOpts{Name: "tile_delta_timelapse_frames_total",
			Help: "Frames of the timelapses made."}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tile_delta_timelapse_duration_seconds",
			Help: "Time to make one timelapse, from the request to the last video byte.", Buckets: prometheus.ExponentialBuckets(0.05, 2, 12)}),
	}
	reg.MustRegister(s.outcomes, s.frames, s.duration)
	return s
}

// Timelapse reads the region's history in one repeatable-read transaction, plans the frames, and has the
// renderer make the video, calling send with each of its parts in order. A cancelled ctx cancels the render.
func (s *Service) Timelapse(ctx context.Context, req Request, send func(Part) error) (Result, error) {
	start := time.Now()
	res, err := s.timelapse(ctx, req, send)
	outcome := "ok"
	switch {
	case err == nil:
		s.frames.Add(float64(len(res.Plan.Frames)))
		s.duration.Observe(time.Since(start).Seconds())
	case errors.Is(err, ErrInvalid):
		outcome = "invalid"
	case errors.Is(err, ErrTooLarge):
		outcome = "too_large"
	case ctx.Err() != nil:
		outcome = "canceled"
	case errors.Is(err, ErrRenderUnavailable):
		outcome = "unavailable"
	case errors.Is(err, ErrRenderRefused):
		outcome = "refused"
	default:
		outcome = "error"
	}
	s.outcomes.WithLabelValues(outcome).Inc()
	return res, err
}

func (s *Service) timelapse(ctx context.Context, req Request, send func(Part) error) (Result, error) {
	var res Result
	if err := req.normalize(); err != nil {
		return res, err
	}
	start := time.Now()
	h, err := s.read(ctx, req)
	if err != nil {
		return res, err
	}
	res.History, res.Plan = h, PlanFrames(h, req.MaxFrames)
	res.Read = time.Since(start)
	job := Job{Region: req.Region, Width: req.Width, Height: req.Height, FrameRate: req.FrameRate, Strokes: res.Plan.Strokes,
		Frames: res.Plan.Frames, Background: White, From: res.Plan.From, To: res.Plan.To}
	headed := false
	err = s.renderer.RenderTimelapse(ctx, job, func(p Part) error {
		if headed == (p.Header != nil) {
			return fmt.Errorf("the renderer's stream must start with exactly one header")
		}
		if h := p.Header; h != nil && (h.Frames != len(job.Frames) || h.Strokes != len(job.Strokes)) {
			return fmt.Errorf("the renderer's header announces %d frames of %d strokes for a job of %d of %d", h.Frames, h.Strokes, len(job.Frames), len(job.Strokes))
		}
		headed = true
		res.VideoBytes += len(p.Video)
		return send(p)
	})
	res.Render = time.Since(start) - res.Read
	if err == nil && !headed {
		err = fmt.Errorf("the renderer's stream ended without a header")
	}
	return res, err
}

// read is ReadHistory in a repeatable-read transaction of its own, ended before the render.
func (s *Service) read(ctx context.Context, req Request) (History, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return History{}, err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	return ReadHistory(ctx, tx, req.Room, req.Region, req.From, req.To, s.Bound)
}
