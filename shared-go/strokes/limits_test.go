package strokes

import (
	"encoding/json"
	"os"
	"testing"

	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
)

// limitsFile is the one definition of the limits; limits_gen.go is generated from it, and the Rust
// renderer, the gateway and the browser compare their constants with it too.
const limitsFile = "../../proto/limits.json"

// goLimits are this package's constants by their name in limitsFile (defaults as default_<name>).
var goLimits = map[string]int64{
	"coord_scale":               CoordScale,
	"max_points":                MaxPoints,
	"min_width":                 MinWidth,
	"max_width":                 MaxWidth,
	"max_coord":                 MaxCoord,
	"max_path_tiles":            MaxPathTiles,
	"max_tiles_per_stroke":      MaxTilesPerStroke,
	"max_level":                 MaxLevel,
	"max_live_points":           MaxLivePoints,
	"max_hit_radius":            MaxHitRadius,
	"export_max_side":           ExportMaxSide,
	"export_max_pixels":         ExportMaxPixels,
	"max_page_bytes":            MaxPageBytes,
	"realtime_reply_bytes":      RealtimeReplyBytes,
	"timelapse_max_points":      TimelapseMaxPoints,
	"default_max_frame_bytes":   DefaultMaxFrameBytes,
	"default_page_bytes":        DefaultPageBytes,
	"default_max_request_bytes": DefaultMaxRequestBytes,
}

// TestLimitsMatchSource fails when limits_gen.go was edited by hand or not regenerated (npm run gen).
func TestLimitsMatchSource(t *testing.T) {
	raw, err := os.ReadFile(limitsFile)
	if err != nil {
		t.Fatal(err)
	}
	var src struct {
		Limits, Defaults map[string]struct {
			Value int64 `json:"value"`
		}
	}
	if err := json.Unmarshal(raw, &src); err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{}
	for name, l := range src.Limits {
		want[name] = l.Value
	}
	for name, d := range src.Defaults {
		want["default_"+name] = d.Value
	}
	for name, w := range want {
		if got, ok := goLimits[name]; !ok {
			t.Errorf("%s: in %s, not in Go", name, limitsFile)
		} else if got != w {
			t.Errorf("%s = %d in Go, %d in %s", name, got, w, limitsFile)
		}
	}
	for name := range goLimits {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: in Go, not in %s", name, limitsFile)
		}
	}
}

// worstCommit is the largest CommitStroke frame a stroke within the limits can make: MaxPoints points
// whose every value takes the longest varint, and a pressure per point.
func worstCommit() *realtimev1.ClientFrame {
	points := make([]int32, 2*MaxPoints)
	pressures := make([]int32, MaxPoints)
	for i := range points {
		points[i] = -2 * MaxCoord // a full step across the coordinate range: 5 bytes as sint32
	}
	for i := range pressures {
		pressures[i] = -255
	}
	s := &strokev1.Stroke{Id: make([]byte, IDLen), Tool: strokev1.Tool_TOOL_PEN, Rgba: 0xffffffff, Width: MaxWidth,
		Quantum: 0xffffffff, Points: points, Pressures: pressures}
	return &realtimev1.ClientFrame{Messages: []*realtimev1.ClientMessage{
		{Body: &realtimev1.ClientMessage_CommitStroke{CommitStroke: &realtimev1.CommitStroke{Stroke: s}}}}}
}

// The size limits hold every stroke the stroke limits admit: a commit fits in a WebSocket frame of the
// default size (as its description in limitsFile says), and a page of events of the largest size plus
// one more stroke event (a page always holds at least one) fits in a reply the gateway accepts.
func TestSizeLimitsHoldTheLargestStroke(t *testing.T) {
	frame := proto.Size(worstCommit())
	if frame >= 128<<10 || frame > DefaultMaxFrameBytes {
		t.Errorf("the largest commit takes %d bytes; the frame limit is %d and its description says < 128 KiB", frame, DefaultMaxFrameBytes)
	}
	if MaxPageBytes+frame > RealtimeReplyBytes || DefaultPageBytes > MaxPageBytes {
		t.Errorf("pages of %d (default %d) bytes plus a %d-byte event do not fit in a %d-byte reply",
			MaxPageBytes, DefaultPageBytes, frame, RealtimeReplyBytes)
	}
}
