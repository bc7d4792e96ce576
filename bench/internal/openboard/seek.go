package openboard

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// SeekFractions are the past points a seek reads the large room at, as fractions of its head.
var SeekFractions = []float64{0.1, 0.5, 0.9}

// SeekLimit bounds the wait for the snapshots of one past point.
const SeekLimit = 10 * time.Minute

// Seek is reading the large room's screens of one level at a past point (issue 16): the first read, the
// wait until none of its tiles is pending (tile-delta-go renders the pending ones at that point), and the
// settled read, next to the same screens now.
type Seek struct {
	AtSeq     uint64  `json:"at_seq"`
	Fraction  float64 `json:"fraction"`
	Level     int     `json:"level"`
	First     Read    `json:"first"`
	SettleSec float64 `json:"settle_seconds"`
	Settled   Read    `json:"settled"`
	Live      Read    `json:"live_settled"`
	// BytesRatio is what the browser fetches for the settled past screens (answers and PNGs) over the same
	// for the screens now.
	BytesRatio float64 `json:"bytes_ratio"`
}

// History is every seek of a run, what the snapshots of the past points added to storage, and a timelapse.
type History struct {
	Strokes int    `json:"strokes"`
	Head    uint64 `json:"head_seq"`
	Seeks   []Seek `json:"seeks"`
	// Snapshot bytes of the large room (tile_snapshots.size_bytes) before the seeks and after them.
	SnapshotBytesBefore int64   `json:"snapshot_bytes_before"`
	SnapshotBytesAfter  int64   `json:"snapshot_bytes_after"`
	StorageRatio        float64 `json:"storage_ratio"`
	// NewestBytesBefore is the part of SnapshotBytesBefore that is each tile's newest snapshot, all that
	// would be kept without checkpoints (docs/tiles.md); KeptRatio is SnapshotBytesBefore over it.
	NewestBytesBefore int64   `json:"newest_snapshot_bytes_before"`
	KeptRatio         float64 `json:"kept_ratio"`
	// Timelapse plays the small room's whole square (timelapse.go).
	Timelapse Timelapse `json:"timelapse"`
}

// seekAll reads the room at every SeekFraction of its head, at level 0 and FarLevel.
func (m meter) seekAll(ctx context.Context, room uuid.UUID, strokes int, live map[int]Read) (History, error) {
	h := History{Strokes: strokes}
	if err := m.pool.QueryRow(ctx, `select head_seq from room_heads where room_id = $1`, room).Scan(&h.Head); err != nil {
		return h, err
	}
	var err error
	if h.SnapshotBytesBefore, err = m.snapshotBytes(ctx, room); err != nil {
		return h, err
	}
	if err := m.pool.QueryRow(ctx, `select coalesce(sum(size_bytes), 0) from (select size_bytes,
		covers_seq = max(covers_seq) over (partition by level, tx, ty) as newest from tile_snapshots where room_id = $1) s where newest`,
		room).Scan(&h.NewestBytesBefore); err != nil {
		return h, err
	}
	h.KeptRatio = float64(h.SnapshotBytesBefore) / float64(max(1, h.NewestBytesBefore))
	for _, f := range SeekFractions {
		at := uint64(f * float64(h.Head))
		for _, level := range []int{0, FarLevel} {
			s := Seek{AtSeq: at, Fraction: f, Level: level, Live: live[level]}
			if s.First, _, err = m.get(ctx, room, level, &at); err != nil {
				return h, err
			}
			t0 := time.Now()
			for r := s.First; r.Pending > 0; {
				if time.Since(t0) > SeekLimit {
					return h, fmt.Errorf("the screens of level %d at seq %d were still pending after %s", level, at, SeekLimit)
				}
				select {
				case <-ctx.Done():
					return h, ctx.Err()
				case <-time.After(250 * time.Millisecond):
				}
				if r, _, err = m.get(ctx, room, level, &at); err != nil {
					return h, err
				}
			}
			s.SettleSec = time.Since(t0).Seconds()
			if s.Settled, err = m.settled(ctx, room, level, &at); err != nil {
				return h, err
			}
			s.BytesRatio = float64(s.Settled.Bytes+s.Settled.PNGBytes) / float64(max(1, s.Live.Bytes+s.Live.PNGBytes))
			h.Seeks = append(h.Seeks, s)
		}
	}
	if h.SnapshotBytesAfter, err = m.snapshotBytes(ctx, room); err != nil {
		return h, err
	}
	h.StorageRatio = float64(h.SnapshotBytesAfter) / float64(max(1, h.SnapshotBytesBefore))
	return h, nil
}

func (m meter) snapshotBytes(ctx context.Context, room uuid.UUID) (int64, error) {
	var n int64
	err := m.pool.QueryRow(ctx, `select coalesce(sum(size_bytes), 0) from tile_snapshots where room_id = $1`, room).Scan(&n)
	return n, err
}
