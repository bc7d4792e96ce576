package timelapse

import (
	"slices"
	"sort"

	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
)

// Frame changes which strokes are visible, by index into Plan.Strokes.
type Frame struct {
	Show, Hide []uint32
}

// Plan is a timelapse's frames over a history.
type Plan struct {
	From, To uint64
	// Events is E, how many events in (From, To] change the visibility of a stroke meeting the region.
	Events int
	// Strokes are those visible in some frame, in drawing order (by the seq of the event that added
	// them); Added holds those seqs.
	Strokes []*strokev1.Stroke
	Added   []uint64
	Frames  []Frame
	// Ends[k] is the event frame k shows the region right after: the last of the first
	// ceil((k + 1) * E / frames) events, or From when there are none.
	Ends   []uint64
	Points int
}

// PlanFrames spreads the history's events over at most maxFrames frames (TimelapseRequest.max_frames):
// with E events, min(E, maxFrames) frames (1 when E is 0), frame k showing the region right after the
// first ceil((k + 1) * E / frames) of them, frame 0 also every stroke visible right after From. A stroke
// shown and hidden again between two frames is in none, and left out.
func PlanFrames(h History, maxFrames int) Plan {
	p := Plan{From: h.From, To: h.To}
	var events []uint64
	for _, s := range h.Strokes {
		for _, c := range s.Changes {
			events = append(events, c.Seq)
		}
	}
	slices.Sort(events)
	events = slices.Compact(events)
	p.Events = len(events)
	frames := max(1, min(len(events), maxFrames))
	p.Ends = make([]uint64, frames)
	for k := range p.Ends {
		p.Ends[k] = h.From
		if n := ((k+1)*len(events) + frames - 1) / frames; n > 0 {
			p.Ends[k] = events[n-1]
		}
	}
	p.Frames = make([]Frame, frames)
	// frameOf is the first frame showing the region after the event at seq.
	frameOf := func(seq uint64) int { return sort.Search(frames, func(k int) bool { return p.Ends[k] >= seq }) }

	type step struct {
		frame int
		show  bool
	}
	var steps []step
	for _, s := range h.Strokes {
		// The stroke's visibility at the end of each frame against the frame before (nothing before frame 0).
		steps = steps[:0]
		shown, visible, frame := false, s.VisibleAtFrom, 0
		flush := func() {
			if visible != shown {
				steps = append(steps, step{frame, visible})
				shown = visible
			}
		}
		for _, c := range s.Changes {
			if f := frameOf(c.Seq); f != frame {
				flush()
				frame = f
			}
			visible = c.Visible
		}
		flush()
		if len(steps) == 0 {
			continue
		}
		i := uint32(len(p.Strokes))
		p.Strokes, p.Added, p.Points = append(p.Strokes, s.Stroke), append(p.Added, s.Added), p.Points+s.Points
		for _, st := range steps {
			f := &p.Frames[st.frame]
			if st.show {
				f.Show = append(f.Show, i)
			} else {
				f.Hide = append(f.Hide, i)
			}
		}
	}
	return p
}
