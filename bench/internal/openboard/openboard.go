// Package openboard measures opening a board: the bytes and time to fill a 1920 x 1080 screen from
// tiles (tile-delta-go GetTiles, before any snapshot and after the follower worked through the log) versus the earlier design's
// full replay (every event from seq 0, realtime-go GetEvents paged to the end, rendered as JSON),
// uncached and cached (the second replay is served from realtime-go's Redis page cache), for a large
// room and a 1,000-stroke room of the same density.
package openboard

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/infidraw/infidraw/bench/internal/stack"
	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	tilev1 "github.com/infidraw/infidraw/gen/go/infidraw/tile/v1"
)

// Screen is 1920 x 1080 CSS pixels at a device pixel ratio of 1; Spread the side of the seeded square
// in world units; FarLevel the level at which that square fits the screen (1080 · 2^8 ≥ 200,000).
const (
	ScreenW, ScreenH = 1920, 1080
	Spread           = 200_000
	FarLevel         = 8
	threshold        = 64
)

// Config of a run.
type Config struct {
	Strokes                                      int // strokes of the large room
	Small                                        int // strokes of the small room
	Root                                         string
	Drawings                                     string
	RealtimeBin, TileDeltaBin, SnapshotBin, Seed string
	DatabaseURL, RedisURL                        string
	Keys                                         *stack.Keys
	CPUs                                         string
	// Seek also reads the large room at past points once the follower caught up, and plays the small room
	// as a timelapse (Result.History).
	Seek bool
}

// Read is one measured request.
type Read struct {
	Tiles     int     `json:"tiles,omitempty"`
	Snapshots int     `json:"snapshots,omitempty"`
	Pending   int     `json:"pending,omitempty"`
	Strokes   int     `json:"strokes"`
	Bytes     int     `json:"bytes"`
	PNGBytes  int     `json:"png_bytes,omitempty"` // the snapshot PNGs the browser fetches besides (once: they are immutable)
	Ms        float64 `json:"ms"`
}

// Room is one room's results.
type Room struct {
	Strokes    int     `json:"strokes"`
	SeedSec    float64 `json:"seed_seconds"`
	CatchUpSec float64 `json:"catch_up_seconds"` // tile-delta-go's follower, from its start to the room's head
	Level0     Read    `json:"level0_first"`
	Level0Warm Read    `json:"level0_settled"`
	Far        Read    `json:"far_first"`
	FarWarm    Read    `json:"far_settled"`
	Replay     Read    `json:"replay_uncached"`
	ReplayHot  Read    `json:"replay_cached"`
}

// Result of a run.
type Result struct {
	FarLevel int  `json:"far_level"`
	MaxTiles int  `json:"max_tiles"`
	Large    Room `json:"large"`
	Small    Room `json:"small"`
	// History is the seeks of Config.Seek, written apart (history.json).
	History *History `json:"-"`
}

// Screen is the viewport of the screen at the level's scale, centred on the origin (world units x100).
func Screen(level int) *tilev1.Viewport {
	return screenAt(level, 0, 0)
}

// screenAt is Screen moved by (i, j) screen widths and heights.
func screenAt(level int, i, j int64) *tilev1.Viewport {
	w, h := int64(ScreenW)<<level*100, int64(ScreenH)<<level*100
	return &tilev1.Viewport{MinX: -w/2 + i*w, MinY: -h/2 + j*h, MaxX: w - w/2 + i*w, MaxY: h - h/2 + j*h}
}

// NearScreens is how many level-0 screens a read covers: one screen of either room holds a few dozen
// drawings, so a single screen compares chance (how many drawings fell on it), not the rooms; a 3 x 3
// block of screens around the origin lies inside the small room's square and averages that out.
const NearScreens = 9

// screens of a level: the far level's one screen, or the level-0 block of NearScreens.
func screens(level int) []*tilev1.Viewport {
	if level != 0 {
		return []*tilev1.Viewport{Screen(level)}
	}
	var out []*tilev1.Viewport
	for j := int64(-1); j <= 1; j++ {
		for i := int64(-1); i <= 1; i++ {
			out = append(out, screenAt(0, i, j))
		}
	}
	return out
}

func (c Config) seed(ctx context.Context, room uuid.UUID, n, spread int) (time.Duration, error) {
	bin := c.Seed
	if bin == "" {
		bin = filepath.Join(os.TempDir(), "infidraw-bench-seed")
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./realtime-go/cmd/seed")
		build.Dir = c.Root
		if out, err := build.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("build seed: %v\n%s", err, out)
		}
	}
	t0 := time.Now()
	cmd := exec.CommandContext(ctx, bin, "-room", room.String(), "-strokes", strconv.Itoa(n), "-spread", strconv.Itoa(spread), "-drawings", c.Drawings, "-batch", "5000")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+c.DatabaseURL)
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("seed: %v\n%s", err, out)
	}
	return time.Since(t0), nil
}

// Run seeds both rooms, starts snapshot-rs, realtime-go and tile-delta-go, and measures.
func Run(ctx context.Context, c Config) (Result, error) {
	res := Result{FarLevel: FarLevel, MaxTiles: (ScreenW/256 + 2) * (ScreenH/256 + 2)}
	large, small := uuid.New(), uuid.New()
	d, err := c.seed(ctx, large, c.Strokes, Spread)
	if err != nil {
		return res, err
	}
	res.Large = Room{Strokes: c.Strokes, SeedSec: d.Seconds()}
	d, err = c.seed(ctx, small, c.Small, max(256, int(Spread*math.Sqrt(float64(c.Small)/float64(c.Strokes)))))
	if err != nil {
		return res, err
	}
	res.Small = Room{Strokes: c.Small, SeedSec: d.Seconds()}

	objects, err := os.MkdirTemp("", "bench-objects-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(objects)
	snapHTTP, snapGRPC := stack.FreeAddr(), stack.FreeAddr()
	snap, err := stack.Start([]string{c.SnapshotBin}, c.CPUs, snapHTTP, "SNAPSHOT_HTTP_LISTEN="+snapHTTP, "SNAPSHOT_GRPC_LISTEN="+snapGRPC, "LOG_LEVEL=warn")
	if err != nil {
		return res, err
	}
	defer snap.Stop()
	rt, err := stack.StartRealtime(c.RealtimeBin, c.DatabaseURL, c.RedisURL, c.Keys, c.CPUs)
	if err != nil {
		return res, err
	}
	defer rt.Stop()
	pool, err := pgxpool.New(ctx, c.DatabaseURL)
	if err != nil {
		return res, err
	}
	defer pool.Close()
	opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(1 << 30))}
	rconn, err := grpc.NewClient(rt.GRPC, opts...)
	if err != nil {
		return res, err
	}
	defer rconn.Close()
	rooms := []struct {
		id  uuid.UUID
		out *Room
	}{{large, &res.Large}, {small, &res.Small}}

	// First reads, before any snapshot: a read replica (it follows no room), so that nothing else runs.
	m, stop, err := c.startTileDelta(pool, rconn, snapGRPC, objects, "TILE_DELTA_FOLLOW_ROOMS=0")
	if err != nil {
		return res, err
	}
	for _, r := range rooms {
		if r.out.Level0, _, err = m.get(ctx, r.id, 0, nil); err != nil {
			stop()
			return res, err
		}
		if r.out.Far, _, err = m.get(ctx, r.id, FarLevel, nil); err != nil {
			stop()
			return res, err
		}
	}
	stop()

	// A replica that follows: the time it takes to snapshot the bulk-seeded logs, then settled reads on a
	// quiet stack.
	m, stop, err = c.startTileDelta(pool, rconn, snapGRPC, objects)
	if err != nil {
		return res, err
	}
	defer stop()
	if err := m.caughtUp(ctx, rooms[0].id, rooms[1].id, &res.Large.CatchUpSec, &res.Small.CatchUpSec); err != nil {
		return res, err
	}
	for _, r := range rooms {
		if r.out.Level0Warm, err = m.settled(ctx, r.id, 0, nil); err != nil {
			return res, err
		}
		if r.out.FarWarm, err = m.settled(ctx, r.id, FarLevel, nil); err != nil {
			return res, err
		}
		if r.out.Replay, err = m.replay(ctx, r.id); err != nil {
			return res, err
		}
		if r.out.ReplayHot, err = m.replay(ctx, r.id); err != nil {
			return res, err
		}
	}
	if c.Seek {
		h, err := m.seekAll(ctx, large, c.Strokes, map[int]Read{0: res.Large.Level0Warm, FarLevel: res.Large.FarWarm})
		if err != nil {
			return res, fmt.Errorf("seek: %w", err)
		}
		if h.Timelapse, err = m.timelapse(ctx, small, c.Small); err != nil {
			return res, err
		}
		res.History = &h
	}
	return res, nil
}

// SettledReads is how many reads "settled" is the median of: the reads take milliseconds, so a
// burst of other work on the 2-core machine moves a median of a few of them by tens of percent.
const SettledReads = 15

type meter struct {
	tiles  tilev1.TileDeltaServiceClient
	events realtimev1.RealtimeServiceClient
	pool   *pgxpool.Pool
}

// get reads every screen of the level, one GetTiles each, and sums them; it returns every tile read. at,
// when set, reads the room as it was right after that event.
func (m meter) get(ctx context.Context, room uuid.UUID, level int, at *uint64) (Read, []*tilev1.TileDelta, error) {
	var r Read
	var all []*tilev1.TileDelta
	for _, screen := range screens(level) {
		t0 := time.Now()
		resp, err := m.tiles.GetTiles(ctx, &tilev1.GetTilesRequest{RoomId: room.String(), Level: uint32(level),
			Selection: &tilev1.GetTilesRequest_Viewport{Viewport: screen}, AtSeq: at})
		if err != nil {
			return Read{}, nil, fmt.Errorf("GetTiles: %w", err)
		}
		r.Ms += float64(time.Since(t0).Microseconds()) / 1000
		r.Tiles += len(resp.GetTiles())
		r.Bytes += proto.Size(resp)
		for _, d := range resp.GetTiles() {
			if d.GetSnapshot() != nil {
				r.Snapshots++
				r.PNGBytes += int(d.GetSnapshot().GetSizeBytes())
			}
			if d.GetPending() {
				r.Pending++
			}
			r.Strokes += len(d.GetStrokes())
		}
		all = append(all, resp.GetTiles()...)
	}
	return r, all, nil
}

// startTileDelta starts tile-delta-go with env added and returns a meter on it and the function that
// stops it.
func (c Config) startTileDelta(pool *pgxpool.Pool, rconn *grpc.ClientConn, snapGRPC, objects string, env ...string) (meter, func(), error) {
	tdHTTP, tdGRPC := stack.FreeAddr(), stack.FreeAddr()
	td, err := stack.Start([]string{c.TileDeltaBin}, c.CPUs, tdHTTP, append([]string{"DATABASE_URL=" + c.DatabaseURL, "SNAPSHOT_TARGET=" + snapGRPC,
		"TILE_DELTA_HTTP_LISTEN=" + tdHTTP, "TILE_DELTA_GRPC_LISTEN=" + tdGRPC, "LOG_LEVEL=warn", "OBJECT_STORE_URL=file://" + objects,
		"TILE_DELTA_SNAPSHOT_STROKES=" + strconv.Itoa(threshold)}, env...)...)
	if err != nil {
		return meter{}, nil, err
	}
	tconn, err := grpc.NewClient(tdGRPC, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(1<<30)))
	if err != nil {
		td.Stop()
		return meter{}, nil, err
	}
	stop := func() {
		tconn.Close()
		td.Stop()
	}
	return meter{tiles: tilev1.NewTileDeltaServiceClient(tconn), events: realtimev1.NewRealtimeServiceClient(rconn), pool: pool}, stop, nil
}

// CatchUpLimit bounds the wait for the follower to work through the seeded logs.
const CatchUpLimit = 30 * time.Minute

// caughtUp polls tile_follow until the follower has looked at every event of both rooms (every tile
// at the threshold has its snapshot), and records how long each took.
func (m meter) caughtUp(ctx context.Context, large, small uuid.UUID, largeSec, smallSec *float64) error {
	t0 := time.Now()
	for _, w := range []struct {
		room uuid.UUID
		sec  *float64
	}{{small, smallSec}, {large, largeSec}} {
		for {
			var done bool
			if err := m.pool.QueryRow(ctx, `select coalesce((select f.followed_seq >= h.head_seq from room_heads h join tile_follow f using (room_id)
				where h.room_id = $1), false)`, w.room).Scan(&done); err != nil {
				return err
			}
			if done {
				*w.sec = time.Since(t0).Seconds()
				break
			}
			if time.Since(t0) > CatchUpLimit {
				return fmt.Errorf("the follower did not work through room %s in %s", w.room, CatchUpLimit)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return nil
}

// settled is the median of SettledReads reads of the level's screens (at a past point when at is set).
func (m meter) settled(ctx context.Context, room uuid.UUID, level int, at *uint64) (Read, error) {
	var reads []Read
	for range SettledReads {
		r, _, err := m.get(ctx, room, level, at)
		if err != nil {
			return Read{}, err
		}
		reads = append(reads, r)
	}
	slices.SortFunc(reads, func(a, b Read) int { return cmp.Compare(a.Ms, b.Ms) })
	return reads[len(reads)/2], nil
}

// replay is the earlier design's open: every event from seq 0, page by page. Bytes are the pages as JSON
// (what that design sends); the time is the reads alone: the benchmark's own JSON conversion is not counted.
func (m meter) replay(ctx context.Context, room uuid.UUID) (Read, error) {
	t0 := time.Now()
	var r Read
	var converting time.Duration
	after := uint64(0)
	for {
		page, err := m.events.GetEvents(ctx, &realtimev1.GetEventsRequest{RoomId: room.String(), AfterSeq: after})
		if err != nil {
			return r, fmt.Errorf("GetEvents: %w", err)
		}
		c0 := time.Now()
		b, err := protojson.Marshal(page)
		if err != nil {
			return r, err
		}
		converting += time.Since(c0)
		r.Bytes += len(b)
		r.Strokes += len(page.GetEvents())
		if n := len(page.GetEvents()); n > 0 {
			after = page.GetEvents()[n-1].GetSeq()
		}
		if !page.GetHasMore() || len(page.GetEvents()) == 0 {
			break
		}
	}
	r.Ms = float64((time.Since(t0) - converting).Microseconds()) / 1000
	return r, nil
}
