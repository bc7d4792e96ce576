package timelapse

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
)

// stroke is a history of one stroke named by its Added seq: "5" added at 5 and visible ever since (from
// before the span when 5 <= from), "5 +9 -12" also shown again at 9 and hidden at 12 (a leading "-"
// hides one visible at from).
func stroke(from uint64, spec string) StrokeHistory {
	fields := strings.Fields(spec)
	var added uint64
	fmt.Sscan(fields[0], &added)
	s := StrokeHistory{Stroke: &strokev1.Stroke{Id: []byte(fields[0])}, Added: added, Points: 2, VisibleAtFrom: added <= from}
	if added > from {
		s.Changes = append(s.Changes, Change{Seq: added, Visible: true})
	}
	for _, f := range fields[1:] {
		var seq uint64
		fmt.Sscan(f[1:], &seq)
		s.Changes = append(s.Changes, Change{Seq: seq, Visible: f[0] == '+'})
	}
	return s
}

// PlanFrames on histories written by hand: the grouping of E events into frames (ceil((k + 1) * E / frames)),
// what frame 0 shows, strokes visible in no frame, the drawing order.
func TestPlanFrames(t *testing.T) {
	tests := []struct {
		name      string
		from      uint64
		strokes   []string
		maxFrames int
		ends      []uint64
		frames    []string // "+1 -3": shows the stroke added at 1, hides the one added at 3
	}{
		{"seven events in three frames of 3, 2 and 2", 0, []string{"1", "2", "3", "4", "5", "6", "7"}, 3,
			[]uint64{3, 5, 7}, []string{"+1 +2 +3", "+4 +5", "+6 +7"}},
		{"an event per frame", 0, []string{"1 -3", "2"}, 10, []uint64{1, 2, 3}, []string{"+1", "+2", "-1"}},
		{"shown and hidden within one frame: never drawn", 0, []string{"1 -2", "3"}, 1, []uint64{3}, []string{"+3"}},
		{"hidden and shown again within one frame: drawn throughout", 0, []string{"1 -3 +4", "2"}, 2, []uint64{2, 4}, []string{"+1 +2", ""}},
		{"frame 0 shows what was visible at from, less what its events hide", 10, []string{"1", "2 -12", "3 -14", "11"}, 300,
			[]uint64{11, 12, 14}, []string{"+1 +2 +3 +11", "-2", "-3"}},
		{"an event hiding two strokes counts once", 0, []string{"1 -5", "2 -5", "3"}, 300, []uint64{1, 2, 3, 5}, []string{"+1", "+2", "+3", "-1 -2"}},
		{"no event: one frame of the region at from", 10, []string{"1", "2"}, 300, []uint64{10}, []string{"+1 +2"}},
		{"nothing at all: one empty frame", 0, nil, 300, []uint64{0}, []string{""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := History{From: tc.from, To: 100}
			for _, s := range tc.strokes {
				h.Strokes = append(h.Strokes, stroke(tc.from, s))
			}
			p := PlanFrames(h, tc.maxFrames)
			var frames []string
			for _, f := range p.Frames {
				var parts []string
				for _, i := range f.Show {
					parts = append(parts, "+"+string(p.Strokes[i].GetId()))
				}
				for _, i := range f.Hide {
					parts = append(parts, "-"+string(p.Strokes[i].GetId()))
				}
				frames = append(frames, strings.Join(parts, " "))
			}
			if !slices.Equal(p.Ends, tc.ends) || !slices.Equal(frames, tc.frames) {
				t.Fatalf("ends %v frames %q, want %v %q", p.Ends, frames, tc.ends, tc.frames)
			}
			if !slices.IsSorted(p.Added) || p.Points != 2*len(p.Strokes) || len(p.Added) != len(p.Strokes) {
				t.Fatalf("strokes %v (added %v, %d points) out of drawing order or miscounted", len(p.Strokes), p.Added, p.Points)
			}
		})
	}
}
