package openboard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	tilev1 "github.com/infidraw/infidraw/gen/go/infidraw/tile/v1"
)

// The timelapse goal (issue "History"): a region holding 1,000 strokes played at 1280 x 720 in 300
// frames, at least 60 frames per second of server time.
const (
	TimelapseW, TimelapseH = 1280, 720
	TimelapseFrames        = 300
	TimelapseGoalFPS       = 60
)

// Timelapse is TileDeltaService.Timelapse over the small room's whole square, from empty to its head.
type Timelapse struct {
	// Region in world units: min x, min y, max x, max y.
	Region  [4]int64 `json:"region"`
	Width   int      `json:"width_px"`
	Height  int      `json:"height_px"`
	Frames  int      `json:"frames"`
	Strokes int      `json:"strokes"`
	// HeaderMs is the time from the call to the header (the history read and planned, the render begun);
	// Seconds to the last video byte.
	HeaderMs      float64 `json:"header_ms"`
	Seconds       float64 `json:"seconds"`
	FPS           float64 `json:"frames_per_second"`
	VideoBytes    int     `json:"video_bytes"`
	ProgressParts int     `json:"progress_parts"`
}

// timelapseRegion is the 16:9 region centred on the level-0 tiles the room's strokes touch (tile_events):
// every stroke's ink lies in its tiles, so the region holds every one.
func (m meter) timelapseRegion(ctx context.Context, room uuid.UUID) ([4]int64, error) {
	var x0, y0, x1, y1 int64
	if err := m.pool.QueryRow(ctx, `select min(tx), min(ty), max(tx) + 1, max(ty) + 1 from tile_events where room_id = $1 and level = 0`,
		room).Scan(&x0, &y0, &x1, &y1); err != nil {
		return [4]int64{}, fmt.Errorf("the room's tiles: %w", err)
	}
	x0, y0, x1, y1 = x0*256, y0*256, x1*256, y1*256
	w, h := max(x1-x0, (y1-y0)*TimelapseW/TimelapseH), max(y1-y0, (x1-x0)*TimelapseH/TimelapseW)
	cx, cy := (x0+x1)/2, (y0+y1)/2
	return [4]int64{cx - w/2, cy - h/2, cx - w/2 + w, cy - h/2 + h}, nil
}

// timelapse plays the room's region and checks the stream: the header first with the frames and every one
// of the room's strokes, progress up to the last frame, a WebM file.
func (m meter) timelapse(ctx context.Context, room uuid.UUID, strokes int) (Timelapse, error) {
	r, err := m.timelapseRegion(ctx, room)
	if err != nil {
		return Timelapse{}, err
	}
	tl := Timelapse{Region: r, Width: TimelapseW, Height: TimelapseH}
	t0 := time.Now()
	stream, err := m.tiles.Timelapse(ctx, &tilev1.TimelapseRequest{RoomId: room.String(), WidthPx: TimelapseW, HeightPx: TimelapseH,
		Region:    &tilev1.Viewport{MinX: r[0] * 100, MinY: r[1] * 100, MaxX: r[2] * 100, MaxY: r[3] * 100},
		MaxFrames: TimelapseFrames})
	if err != nil {
		return tl, fmt.Errorf("Timelapse: %w", err)
	}
	var video []byte
	done := 0
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return tl, fmt.Errorf("Timelapse: %w", err)
		}
		switch {
		case resp.GetHeader() != nil:
			if tl.Frames != 0 {
				return tl, fmt.Errorf("Timelapse: a second header")
			}
			tl.HeaderMs = float64(time.Since(t0).Microseconds()) / 1000
			tl.Frames, tl.Strokes = int(resp.GetHeader().GetFrames()), int(resp.GetHeader().GetStrokes())
		case tl.Frames == 0:
			return tl, fmt.Errorf("Timelapse: a part before the header")
		case resp.GetProgress() != nil:
			tl.ProgressParts++
			done = int(resp.GetProgress().GetFramesDone())
		default:
			video = append(video, resp.GetVideo()...)
		}
	}
	tl.Seconds = time.Since(t0).Seconds()
	tl.FPS = float64(tl.Frames) / tl.Seconds
	tl.VideoBytes = len(video)
	switch {
	case tl.Frames != TimelapseFrames || tl.Strokes != strokes:
		return tl, fmt.Errorf("Timelapse: %d frames of %d strokes, want %d of the room's %d", tl.Frames, tl.Strokes, TimelapseFrames, strokes)
	case done != tl.Frames:
		return tl, fmt.Errorf("Timelapse: progress ended at %d of %d frames", done, tl.Frames)
	case !bytes.HasPrefix(video, []byte{0x1a, 0x45, 0xdf, 0xa3}):
		return tl, fmt.Errorf("Timelapse: the %d video bytes are not a WebM file", len(video))
	}
	return tl, nil
}
