package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	tilev1 "github.com/infidraw/infidraw/gen/go/infidraw/tile/v1"
	"github.com/infidraw/infidraw/shared-go/localtest"
	"github.com/infidraw/infidraw/shared-go/strokes"
	"github.com/infidraw/infidraw/tile-delta-go/internal/timelapse"
)

// draw commits one stroke by name and returns its seq.
func (r *regionRoom) draw(t *testing.T, ctx context.Context, name string, st *strokev1.Stroke) uint64 {
	t.Helper()
	r.names[string(st.GetId())], r.ids[name] = name, st.GetId()
	res, err := r.s.realtime.IngestStrokes(ctx, &realtimev1.IngestStrokesRequest{RoomId: r.room.String(), AuthorId: r.author, Strokes: []*strokev1.Stroke{st}})
	if err != nil {
		t.Fatal(err)
	}
	return res.GetResults()[0].GetSeq()
}

// timelapseHistory is a room whose region [0, 400) x [0, 256) (level-0 tile (0, 0) whole, part of (1, 0))
// saw strokes added, erased and restored, and the seq of each event.
type timelapseHistory struct {
	*regionRoom
	region *tilev1.Viewport
	seq    map[string]uint64
	head   uint64
}

func newTimelapseHistory(t *testing.T, ctx context.Context) *timelapseHistory {
	h := &timelapseHistory{regionRoom: newRegionRoom(t), region: world(0, 0, 400, 256), seq: map[string]uint64{}}
	h.seq["+a"] = h.draw(t, ctx, "a", line(20, 20, 90, 20, 4))
	h.seq["+b"] = h.draw(t, ctx, "b", line(20, 40, 90, 40, 4))
	h.seq["+beside"] = h.draw(t, ctx, "beside", line(420, 50, 500, 50, 4)) // in tile (1, 0), outside the region
	h.seq["+c"] = h.draw(t, ctx, "c", line(380, 150, 450, 150, 4))         // across the region's right edge
	h.seq["-b"] = h.revert(t, ctx, []string{"b"}, nil)
	h.seq["+d"] = h.draw(t, ctx, "d", line(100, 150, 200, 150, 4))
	// One revert, two events: the erase of a, then the restore of b.
	h.seq["+b2"] = h.revert(t, ctx, []string{"a"}, []string{"b"})
	h.seq["-a"] = h.seq["+b2"] - 1
	h.seq["+far"] = h.draw(t, ctx, "far", line(5000, 5000, 5050, 5000, 4))
	h.seq["-d"] = h.revert(t, ctx, []string{"d"}, nil)
	h.seq["-beside"] = h.revert(t, ctx, []string{"beside"}, nil)
	h.head = h.seq["-beside"]
	return h
}

// frames writes a plan's frames by stroke name: "+a +c -b" shows a and c and hides b.
func (h *timelapseHistory) frames(p timelapse.Plan) []string {
	var out []string
	for _, f := range p.Frames {
		var parts []string
		for _, i := range f.Show {
			parts = append(parts, "+"+h.names[string(p.Strokes[i].GetId())])
		}
		for _, i := range f.Hide {
			parts = append(parts, "-"+h.names[string(p.Strokes[i].GetId())])
		}
		out = append(out, strings.Join(parts, " "))
	}
	return out
}

// The frame plan of a region's add/erase/restore history: which strokes are drawn (only those meeting the
// region and visible in some frame, in the order they were added), what each frame shows and hides, how
// from and to are clamped, and how the events are grouped when there are more than max_frames.
func TestTimelapsePlan(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	h := newTimelapseHistory(t, ctx)
	pool := testPool(t)
	reg := strokes.Region{MinX: h.region.MinX, MinY: h.region.MinY, MaxX: h.region.MaxX, MaxY: h.region.MaxY}
	at := func(s string) *uint64 { v := h.seq[s]; return &v }
	beyond := h.head + 50

	tests := []struct {
		name      string
		from      uint64
		to        *uint64
		maxFrames int
		// The span read, the events changing the visibility of a stroke meeting the region, and the event each frame ends on.
		wantFrom, wantTo uint64
		events           int
		ends             []string
		strokes          []string
		frames           []string
	}{
		{"the whole history, a frame per event", 0, nil, 300, 0, h.head, 8,
			[]string{"+a", "+b", "+c", "-b", "+d", "-a", "+b2", "-d"}, []string{"a", "b", "c", "d"},
			[]string{"+a", "+b", "+c", "-b", "+d", "-a", "+b", "-d"}},
		{"eight events in three frames: 3, 3 and 2 of them", 0, nil, 3, 0, h.head, 8,
			[]string{"+c", "-a", "-d"}, []string{"a", "b", "c", "d"},
			[]string{"+a +b +c", "+d -a -b", "+b -d"}},
		{"one frame: the region at the end", 0, nil, 1, 0, h.head, 8,
			[]string{"-d"}, []string{"b", "c"}, []string{"+b +c"}},
		{"from a point: frame 0 also shows what was visible then", h.seq["+c"], nil, 300, h.seq["+c"], h.head, 5,
			[]string{"-b", "+d", "-a", "+b2", "-d"}, []string{"a", "b", "c", "d"},
			[]string{"+a +c", "+d", "-a", "+b", "-d"}},
		{"from and to: b, hidden in the span, is left out", h.seq["+c"], at("-a"), 300, h.seq["+c"], h.seq["-a"], 3,
			[]string{"-b", "+d", "-a"}, []string{"a", "c", "d"},
			[]string{"+a +c", "+d", "-a"}},
		{"to beyond the head reads to the head; d, shown and hidden within frame 1, is left out", 0, &beyond, 2, 0, h.head, 8,
			[]string{"-b", "-d"}, []string{"a", "b", "c"},
			[]string{"+a +c", "+b -a"}},
		{"no event in the span (only strokes outside the region changed): one frame of the region then", h.seq["+b2"], at("+far"), 300,
			h.seq["+b2"], h.seq["+far"], 0, []string{"+b2"}, []string{"b", "c", "d"}, []string{"+b +c +d"}},
		{"from beyond the head: one frame of the region now", beyond, nil, 300, h.head, h.head, 0,
			[]string{"-beside"}, []string{"b", "c"}, []string{"+b +c"}},
		{"up to 0: empty", 0, new(uint64), 300, 0, 0, 0, []string{""}, nil, []string{""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tx, err := pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = tx.Rollback(ctx) }()
			hist, err := timelapse.ReadHistory(ctx, tx, h.room, reg, tc.from, tc.to, timelapse.DefaultBound)
			if err != nil {
				t.Fatal(err)
			}
			p := timelapse.PlanFrames(hist, tc.maxFrames)
			if p.From != tc.wantFrom || p.To != tc.wantTo || p.Events != tc.events || hist.Head != h.head {
				t.Fatalf("from %d to %d events %d head %d, want %d %d %d %d", p.From, p.To, p.Events, hist.Head, tc.wantFrom, tc.wantTo, tc.events, h.head)
			}
			var ends []string
			for _, e := range p.Ends {
				name := ""
				for n, s := range h.seq {
					if s == e {
						name = n
					}
				}
				ends = append(ends, name)
			}
			var names []string
			for i, st := range p.Strokes {
				names = append(names, h.names[string(st.GetId())])
				if i > 0 && p.Added[i] <= p.Added[i-1] {
					t.Fatalf("strokes out of drawing order: %v", p.Added)
				}
			}
			if !slices.Equal(ends, tc.ends) || !slices.Equal(names, tc.strokes) || !slices.Equal(h.frames(p), tc.frames) {
				t.Fatalf("frames end on %q, strokes %q, frames %q;\nwant %q, %q, %q", ends, names, h.frames(p), tc.ends, tc.strokes, tc.frames)
			}
		})
	}

	// The bounds refuse a history rather than read or render on: each one just below what this one needs.
	t.Run("bounds", func(t *testing.T) {
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tx.Rollback(ctx) }()
		all, err := timelapse.ReadHistory(ctx, tx, h.room, reg, 0, nil, timelapse.DefaultBound)
		if err != nil {
			t.Fatal(err)
		}
		points, size := 0, 0
		for _, s := range all.Strokes {
			points += s.Points
			size += proto.Size(s.Stroke)
		}
		exact := timelapse.Bound{Entries: all.Scanned, Candidates: len(all.Strokes) + 1, Strokes: len(all.Strokes), Points: points, Bytes: size}
		for _, tc := range []struct {
			name    string
			bound   func(b *timelapse.Bound)
			refused string
		}{
			{"exactly what it needs", func(*timelapse.Bound) {}, ""},
			{"entries", func(b *timelapse.Bound) { b.Entries-- }, "tile index entries"},
			// a, b, c, d and beside (in the tiles read, not in the region) are visible in the span.
			{"strokes in the tiles read", func(b *timelapse.Bound) { b.Candidates-- }, "strokes of the 2 tiles read"},
			{"strokes meeting the region", func(b *timelapse.Bound) { b.Strokes-- }, "strokes meeting the region"},
			{"points", func(b *timelapse.Bound) { b.Points-- }, "points"},
			{"bytes", func(b *timelapse.Bound) { b.Bytes-- }, "bytes"},
		} {
			b := exact
			tc.bound(&b)
			_, err := timelapse.ReadHistory(ctx, tx, h.room, reg, 0, nil, b)
			if tc.refused == "" {
				if err != nil {
					t.Errorf("%s: %v", tc.name, err)
				}
				continue
			}
			if !errors.Is(err, timelapse.ErrTooLarge) || !strings.Contains(err.Error(), tc.refused) || !strings.Contains(err.Error(), "a smaller region or a later from") {
				t.Errorf("%s: %v, want ErrTooLarge naming %q", tc.name, err, tc.refused)
			}
		}
	})

	bad := map[string]*tilev1.TimelapseRequest{
		"room not a uuid":    {RoomId: "x", Region: h.region, WidthPx: 320, HeightPx: 180},
		"no region":          {RoomId: h.room.String(), WidthPx: 320, HeightPx: 180},
		"an empty region":    {RoomId: h.room.String(), Region: world(10, 10, 10, 20), WidthPx: 320, HeightPx: 180},
		"outside the world":  {RoomId: h.room.String(), Region: &tilev1.Viewport{MinX: -strokes.MaxCoord - 1, MaxX: 0, MaxY: 100}, WidthPx: 320, HeightPx: 180},
		"no size":            {RoomId: h.room.String(), Region: h.region},
		"an odd width":       {RoomId: h.room.String(), Region: h.region, WidthPx: 321, HeightPx: 180},
		"an odd height":      {RoomId: h.room.String(), Region: h.region, WidthPx: 320, HeightPx: 181},
		"too narrow":         {RoomId: h.room.String(), Region: h.region, WidthPx: 14, HeightPx: 180},
		"too wide":           {RoomId: h.room.String(), Region: h.region, WidthPx: 1922, HeightPx: 180},
		"too tall":           {RoomId: h.room.String(), Region: h.region, WidthPx: 320, HeightPx: 1082},
		"frame rate over 60": {RoomId: h.room.String(), Region: h.region, WidthPx: 320, HeightPx: 180, FrameRate: 61},
		"too many frames":    {RoomId: h.room.String(), Region: h.region, WidthPx: 320, HeightPx: 180, MaxFrames: 3601},
		"from after to":      {RoomId: h.room.String(), Region: h.region, WidthPx: 320, HeightPx: 180, FromSeq: 5, ToSeq: at("+a")},
	}
	for n, req := range bad {
		t.Run("bad input: "+n, func(t *testing.T) {
			if _, err := timelapseStream(ctx, h.s, req); grpcCode(err) != "InvalidArgument" {
				t.Fatalf("err = %v, want InvalidArgument", err)
			}
		})
	}
}

// timelapseStream reads a whole Timelapse stream.
func timelapseStream(ctx context.Context, s *stack, req *tilev1.TimelapseRequest) ([]*tilev1.TimelapseResponse, error) {
	stream, err := s.tiles.Timelapse(ctx, req)
	if err != nil {
		return nil, err
	}
	var out []*tilev1.TimelapseResponse
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, resp)
	}
}

// Over real gRPC through a real snapshot-rs: the header first (frames, strokes and the span as planned),
// progress up to every frame, then a WebM file; without snapshot-rs, UNAVAILABLE.
func TestTimelapseVideo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	h := newTimelapseHistory(t, ctx)
	req := &tilev1.TimelapseRequest{RoomId: h.room.String(), Region: h.region, WidthPx: 320, HeightPx: 192, MaxFrames: 3, FrameRate: 10}
	parts, err := timelapseStream(ctx, h.s, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) == 0 || parts[0].GetHeader() == nil {
		t.Fatalf("the stream does not start with a header: %v", parts)
	}
	hd := parts[0].GetHeader()
	if hd.GetContentType() != "video/webm" || hd.GetFrames() != 3 || hd.GetFrameRate() != 10 || hd.GetWidthPx() != 320 || hd.GetHeightPx() != 192 ||
		hd.GetFromSeq() != 0 || hd.GetToSeq() != h.head || hd.GetStrokes() != 4 {
		t.Fatalf("header %v, want video/webm, 3 frames at 10/s, 320x192, from 0 to %d, 4 strokes", hd, h.head)
	}
	var video []byte
	done := uint32(0)
	for _, p := range parts[1:] {
		switch {
		case p.GetHeader() != nil:
			t.Fatal("a second header")
		case p.GetProgress() != nil:
			pr := p.GetProgress()
			if pr.GetFrames() != 3 || pr.GetFramesDone() < done || pr.GetFramesDone() > 3 {
				t.Fatalf("progress %v after %d frames done", pr, done)
			}
			done = pr.GetFramesDone()
		default:
			if len(p.GetVideo()) > 1<<20 {
				t.Fatalf("a video part of %d bytes (at most 1 MiB)", len(p.GetVideo()))
			}
			video = append(video, p.GetVideo()...)
		}
	}
	if done != 3 {
		t.Fatalf("progress ended at %d of 3 frames", done)
	}
	if !bytes.HasPrefix(video, []byte{0x1a, 0x45, 0xdf, 0xa3}) {
		t.Fatalf("the video (%d bytes) does not start with the EBML magic: % x", len(video), video[:min(len(video), 8)])
	}

	t.Run("without snapshot-rs: UNAVAILABLE", func(t *testing.T) {
		h.s.snapshotProc.kill()
		defer h.s.snapshotProc.start()
		_, err := timelapseStream(ctx, h.s, req)
		if grpcCode(err) != "Unavailable" || !strings.Contains(err.Error(), "no fallback encoder") {
			t.Fatalf("err = %v, want Unavailable saying there is no fallback encoder", err)
		}
	})
}

// A caller that goes away cancels the render: the caller cancels a long timelapse once its first progress
// arrives, and snapshot-rs records its render stopped (CANCELLED) and tile-delta-go the timelapse cancelled,
// both waited on as conditions.
func TestTimelapseCancelledByCaller(t *testing.T) {
	s := startStack(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := &regionRoom{s: s, room: uuid.New(), author: uuid.NewString(), names: map[string]string{}, ids: map[string][]byte{}}
	// 400 strokes, each its own event: 400 frames at 1920 x 1080.
	var ss []*strokev1.Stroke
	for i := range int64(400) {
		ss = append(ss, line(10+i%20*10, 10+i/20*10, 15+i%20*10, 15+i/20*10, 2))
	}
	if _, err := s.realtime.IngestStrokes(ctx, &realtimev1.IngestStrokesRequest{RoomId: r.room.String(), AuthorId: r.author, Strokes: ss}); err != nil {
		t.Fatal(err)
	}
	callCtx, stop := context.WithCancel(ctx)
	stream, err := s.tiles.Timelapse(callCtx, &tilev1.TimelapseRequest{RoomId: r.room.String(), Region: world(0, 0, 256, 144), WidthPx: 1920,
		HeightPx: 1080, MaxFrames: 400})
	if err != nil {
		t.Fatal(err)
	}
	for {
		resp, err := stream.Recv()
		if err != nil {
			t.Fatalf("the stream ended before any progress: %v", err)
		}
		if pr := resp.GetProgress(); pr != nil {
			if pr.GetFramesDone() >= pr.GetFrames() {
				t.Fatalf("the whole video was made before the caller could cancel it (%v): make it longer", pr)
			}
			break
		}
	}
	stop()
	if _, err := stream.Recv(); grpcCode(err) != "Canceled" {
		t.Fatalf("after cancelling: %v, want Canceled", err)
	}
	series := map[string][]string{
		s.snapshotHTTP: {"snapshot_render_errors_total{", `code="Cancelled"`, `rpc="RenderTimelapse"`},
		s.tileHTTP:     {`tile_delta_timelapses_total{outcome="canceled"} 1`},
	}
	deadline := time.Now().Add(30 * time.Second)
	for addr, want := range series {
		for !hasSeries(localtest.Metrics(t, addr), want) {
			if time.Now().After(deadline) {
				t.Fatalf("no series with %q at %s after cancelling", want, addr)
			}
			select {
			case <-ctx.Done():
				t.Fatal(ctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

// hasSeries reports whether a line of the metrics text holds every one of parts.
func hasSeries(metrics string, parts []string) bool {
	for _, l := range strings.Split(metrics, "\n") {
		if !strings.HasPrefix(l, "#") && !slices.ContainsFunc(parts, func(p string) bool { return !strings.Contains(l, p) }) {
			return true
		}
	}
	return false
}
