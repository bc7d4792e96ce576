package timelapse

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/eventkind"
	"github.com/infidraw/infidraw/shared-go/strokes"
	"github.com/infidraw/infidraw/tile-delta-go/internal/tiles"
)

// Bound caps what one timelapse reads and renders.
type Bound struct {
	// Entries bounds the tile index entries read: every event up to the end on the region's tiles.
	Entries int
	// Candidates bounds the strokes of those tiles visible at the start or changed in the span, whose
	// bodies are read to test them against the region.
	Candidates int
	// Strokes bounds the strokes among them that meet the region; Points their points (snapshot-rs refuses
	// more than strokes.TimelapseMaxPoints) and Bytes their stored size, in all (what the render request
	// carries: snapshot-rs refuses a request over strokes.DefaultMaxRequestBytes unless configured otherwise).
	Strokes, Points, Bytes int
}

// DefaultBound is Timelapse's bound.
var DefaultBound = Bound{Entries: 2_000_000, Candidates: 200_000, Strokes: 50_000, Points: strokes.TimelapseMaxPoints, Bytes: strokes.DefaultMaxRequestBytes / 2}

// Change is an event that changed a stroke's visibility, and the visibility it left.
type Change struct {
	Seq     uint64
	Visible bool
}

// StrokeHistory is a stroke meeting the region and how its visibility changed in the span.
type StrokeHistory struct {
	Stroke *strokev1.Stroke
	// Added is the seq of the event that added it (the drawing order).
	Added  uint64
	Points int
	// VisibleAtFrom is its visibility right after History.From.
	VisibleAtFrom bool
	// Changes are its events in (From, To], in order: each one flips its visibility.
	Changes []Change
}

// History is what the tile index says of a region between two points.
type History struct {
	// Head is the room's head when read; From and To the span, clamped to it.
	Head, From, To uint64
	// Level whose tiles were read, how many, and the index entries read (for logs).
	Level, Tiles, Scanned int
	// Strokes meeting the region that were visible right after From or changed in (From, To], by Added.
	Strokes []StrokeHistory
	// Skipped lists the strokes left out because they exceed the stroke limits (stored before the limits
	// existed), for logs.
	Skipped []tiles.SkippedStroke
}

// entry is one event of a stroke, as the tile index lists it.
type entry struct {
	seq  uint64
	kind eventkind.Kind
}

// indexed is what the index says of one stroke: its events, and whether one of its entries lies in a tile
// the region holds whole (then it meets the region without a test).
type indexed struct {
	entries []entry
	held    bool
}

// ReadHistory reads, inside the caller's transaction (which should be repeatable read), the strokes meeting
// the region that are visible right after from or change visibility in (from, to], to clamped to the head
// (nil: the head) and from to it.
//
// Like RegionChanges it reads the tile index of the tiles of tiles.RegionLevel the region meets (tiles.RegionSQL),
// here every entry up to to: the index lists each event of a stroke under every tile of it, so the entries
// of any one of its tiles are its whole history, and its visibility after each is tiles.VisibleAfter. The
// strokes visible at from or changed since are read by primary key (tiles.StoredStrokes) and tested with
// strokes.Meets, except those listed under a tile the region holds whole, which meet it.
func ReadHistory(ctx context.Context, q tiles.Querier, room uuid.UUID, reg strokes.Region, from uint64, to *uint64, b Bound) (History, error) {
	level := tiles.RegionLevel(reg)
	ts, err := tiles.Viewport(level, reg.MinX, reg.MinY, reg.MaxX, reg.MaxY)
	if err != nil {
		return History{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	head, err := tiles.Head(ctx, q, room)
	if err != nil {
		return History{}, err
	}
	h := History{Head: head, To: tiles.Point(to, head), Level: level, Tiles: len(ts)}
	h.From = min(from, h.To)
	if h.To == 0 {
		return h, nil
	}
	byStroke := map[[16]byte]*indexed{}
	h.Scanned, err = tiles.ScanRegionIndex(ctx, q, room, reg, level, ts, 0, h.To, b.Entries, func(e tiles.RegionEntry) {
		s, ok := byStroke[e.ID]
		if !ok {
			s = &indexed{}
			byStroke[e.ID] = s
		}
		s.entries = append(s.entries, entry{uint64(e.Seq), e.Kind})
		s.held = s.held || e.Held
	})
	if errors.Is(err, tiles.ErrTooManyEntries) {
		return History{}, fmt.Errorf("%w (more than %d tile index entries at level %d up to seq %d)", ErrTooLarge, b.Entries, level, h.To)
	}
	if err != nil {
		return History{}, err
	}

	spans := map[[16]byte]*StrokeHistory{}
	var ids [][16]byte
	for id, s := range byStroke {
		if sh := s.span(h.From); sh.VisibleAtFrom || len(sh.Changes) > 0 {
			spans[id] = sh
			ids = append(ids, id)
		}
	}
	if len(ids) > b.Candidates {
		return History{}, fmt.Errorf("%w (%d strokes of the %d tiles read at level %d are visible in the span; at most %d)",
			ErrTooLarge, len(ids), len(ts), level, b.Candidates)
	}
	points, bytes := 0, 0
	err = tiles.StoredStrokes(ctx, q, room, ids, func(id [16]byte, seq uint64, s *strokev1.Stroke) {
		pts, err := strokes.Decode(s)
		met := byStroke[id].held
		if err == nil && !met {
			met, err = strokes.Meets(s.GetWidth(), pts, reg)
		}
		if err != nil {
			h.Skipped = append(h.Skipped, tiles.SkippedStroke{Seq: seq, Err: err})
			return
		}
		if met {
			sh := spans[id]
			sh.Stroke, sh.Added, sh.Points = s, seq, len(pts)
			h.Strokes = append(h.Strokes, *sh)
			points += len(pts)
			bytes += proto.Size(s)
		}
	})
	if err != nil {
		return History{}, err
	}
	switch {
	case len(h.Strokes) > b.Strokes:
		return History{}, fmt.Errorf("%w (%d strokes meeting the region are visible in the span; at most %d)", ErrTooLarge, len(h.Strokes), b.Strokes)
	case points > b.Points:
		return History{}, fmt.Errorf("%w (the strokes visible in the span have %d points; at most %d)", ErrTooLarge, points, b.Points)
	case bytes > b.Bytes:
		return History{}, fmt.Errorf("%w (the strokes visible in the span take %d bytes; at most %d)", ErrTooLarge, bytes, b.Bytes)
	}
	slices.SortFunc(h.Strokes, func(a, b StrokeHistory) int { return cmp.Compare(a.Added, b.Added) })
	return h, nil
}

// span is the stroke's visibility right after from and the events after it that changed it. The index
// lists an event once per tile of the stroke, so the entries are sorted and each seq taken once.
func (s *indexed) span(from uint64) *StrokeHistory {
	slices.SortFunc(s.entries, func(a, b entry) int { return cmp.Compare(a.seq, b.seq) })
	sh := &StrokeHistory{}
	visible := false
	for i, e := range s.entries {
		if i > 0 && e.seq == s.entries[i-1].seq {
			continue
		}
		next := tiles.VisibleAfter(e.kind)
		if e.seq <= from {
			sh.VisibleAtFrom = next
		} else if next != visible {
			sh.Changes = append(sh.Changes, Change{Seq: e.seq, Visible: next})
		}
		visible = next
	}
	return sh
}
