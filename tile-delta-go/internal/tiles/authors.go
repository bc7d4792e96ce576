package tiles

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/google/uuid"

	"github.com/infidraw/infidraw/shared-go/strokes"
)

// Bounds of a view-authors read (ViewAuthors).
const (
	// MaxAuthorsSpan is the widest window on each side of the point, in events.
	MaxAuthorsSpan = 10_000
	// AuthorsScanPerTile caps the tile_events entries read per tile, newest first in the window.
	AuthorsScanPerTile = 1024
)

// ErrBadAuthors is wrapped by every error about a view-authors request itself (not the database).
var ErrBadAuthors = errors.New("invalid view authors request")

// ViewAuthor is one author of events touching a view in a window.
type ViewAuthor struct {
	ID      uuid.UUID
	Events  uint64
	LastSeq uint64
}

// ViewAuthors is the answer of a view-authors read.
type ViewAuthors struct {
	// Authors, most events first (then the latest last event first).
	Authors []ViewAuthor
	// Partial: a tile held more than AuthorsScanPerTile entries in the window; its older ones were not counted.
	Partial bool
	// Tiles read (for logs).
	Tiles int
}

// AuthorsSQL reads, per tile of one level, its newest $7 tile_events entries in the window ($5, $6] (a
// backward seek on the tile_events primary key with a limit, so a tile's cost is bounded whatever it
// holds), counts each event once however many tiles or strokes it touches, and groups them by their
// author (stroke_events primary key). The last column says whether some tile held more than $7 entries:
// the lateral reads one more to know. Tests check its plan.
const AuthorsSQL = `with scan as (select d.seq, d.n
		from unnest($3::int[], $4::int[]) as want(tx, ty)
		cross join lateral (select t.seq, row_number() over (order by t.seq desc) as n from tile_events t
			where t.room_id = $1 and t.level = $2 and t.tx = want.tx and t.ty = want.ty and t.seq > $5 and t.seq <= $6
			order by t.seq desc
			limit $7::bigint + 1) d)
	select e.author_id, count(*), max(e.seq), exists (select from scan where n > $7)
	from (select distinct seq from scan where n <= $7) s
	join stroke_events e on e.room_id = $1 and e.seq = s.seq
	group by e.author_id`

// AuthorsWindow returns the bounds (lo, hi] of the window of span events on each side of at, as bigints.
func AuthorsWindow(at uint64, span int) (int64, int64) {
	const top = uint64(math.MaxInt64)
	at = min(at, top)
	lo := uint64(0)
	if at > uint64(span) {
		lo = at - uint64(span)
	}
	return int64(lo), int64(min(at+uint64(span), top)) // at+span cannot wrap: at <= MaxInt64, span <= 10,000
}

// ViewAuthors returns who drew in the viewport's tiles of the level around event at: the authors of the
// events in (at - span, at + span] touching them, each with their count of events and last one, reading
// at most AuthorsScanPerTile index entries per tile.
func (r *Reader) ViewAuthors(ctx context.Context, room uuid.UUID, level int, v strokes.Region, at uint64, span int) (ViewAuthors, error) {
	if span < 1 || span > MaxAuthorsSpan {
		return ViewAuthors{}, fmt.Errorf("%w: span %d is outside 1..%d", ErrBadAuthors, span, MaxAuthorsSpan)
	}
	ts, err := Viewport(level, v.MinX, v.MinY, v.MaxX, v.MaxY)
	if err != nil {
		return ViewAuthors{}, fmt.Errorf("%w: %v", ErrBadAuthors, err)
	}
	xs, ys := make([]int32, len(ts)), make([]int32, len(ts))
	for i, t := range ts {
		xs[i], ys[i] = t.X, t.Y
	}
	lo, hi := AuthorsWindow(at, span)
	rows, err := r.pool.Query(ctx, AuthorsSQL, room, level, xs, ys, lo, hi, int64(AuthorsScanPerTile))
	if err != nil {
		return ViewAuthors{}, fmt.Errorf("read tile index: %w", err)
	}
	out := ViewAuthors{Tiles: len(ts)}
	for rows.Next() {
		var a ViewAuthor
		var events, last int64
		if err := rows.Scan(&a.ID, &events, &last, &out.Partial); err != nil {
			rows.Close()
			return ViewAuthors{}, err
		}
		a.Events, a.LastSeq = uint64(events), uint64(last)
		out.Authors = append(out.Authors, a)
	}
	if err := rows.Err(); err != nil {
		return ViewAuthors{}, fmt.Errorf("read tile index: %w", err)
	}
	sort.Slice(out.Authors, func(i, j int) bool {
		a, b := out.Authors[i], out.Authors[j]
		if a.Events != b.Events {
			return a.Events > b.Events
		}
		return a.LastSeq > b.LastSeq
	})
	return out, nil
}
