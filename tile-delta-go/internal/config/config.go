// Package config reads tile-delta-go's configuration from the environment (docs/contracts.md).
package config

import (
	"fmt"
	"time"

	"github.com/infidraw/infidraw/shared-go/service"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// Config of tile-delta-go.
type Config struct {
	LogLevel       string
	HTTPListen     string
	GRPCListen     string
	DatabaseURL    string
	SnapshotTarget string
	// SnapshotTimeout bounds one snapshot-rs call (SNAPSHOT_TIMEOUT).
	SnapshotTimeout time.Duration
	// BreakerFailures consecutive failures open the breaker in front of snapshot-rs
	// (SNAPSHOT_BREAKER_FAILURES); BreakerCoolDown later a probe call goes through
	// (SNAPSHOT_BREAKER_COOLDOWN).
	BreakerFailures int
	BreakerCoolDown time.Duration
	// ObjectStoreURL names the snapshot store (OBJECT_STORE_URL), with S3_ACCESS_KEY and S3_SECRET_KEY.
	ObjectStoreURL        string
	S3AccessKey, S3Secret string
	// Snapshot policy: a tile gets a new snapshot when its delta reaches SnapshotStrokes strokes or
	// SnapshotBytes bytes (TILE_DELTA_SNAPSHOT_STROKES, TILE_DELTA_SNAPSHOT_BYTES); SnapshotWorkers
	// render at once (TILE_DELTA_SNAPSHOT_WORKERS) and SnapshotQueue tiles may wait
	// (TILE_DELTA_SNAPSHOT_QUEUE).
	SnapshotStrokes, SnapshotBytes int
	SnapshotWorkers, SnapshotQueue int
	// The follower looks for rooms with new events every FollowInterval (TILE_DELTA_FOLLOW_INTERVAL),
	// holds a room for FollowLease at a time (TILE_DELTA_FOLLOW_LEASE), works through FollowRooms rooms
	// at once (TILE_DELTA_FOLLOW_ROOMS; 0: a replica that serves reads and follows no room), FollowPage events per step (TILE_DELTA_FOLLOW_PAGE), and one room
	// for FollowSlice before the rooms waiting for a turn (TILE_DELTA_FOLLOW_SLICE).
	FollowInterval, FollowLease, FollowSlice time.Duration
	FollowRooms, FollowPage                  int
	// SnapshotRetain is how long a superseded snapshot outlives its successor before it is deleted
	// (TILE_DELTA_SNAPSHOT_RETAIN), unless it is a checkpoint: at levels from CheckpointLevel up
	// (TILE_DELTA_SNAPSHOT_CHECKPOINT_LEVEL), the first snapshot of a tile in each stretch of
	// CheckpointSpacing index entries and the first after an erase or restore are kept for reads of the
	// past (TILE_DELTA_SNAPSHOT_CHECKPOINT_SPACING; 0 keeps none).
	SnapshotRetain                     time.Duration
	CheckpointLevel, CheckpointSpacing int
	// SnapshotURLTTL is how long a presigned snapshot URL that GetSnapshot hands out stays valid
	// (TILE_DELTA_SNAPSHOT_URL_TTL); 0 never presigns: GetSnapshot always answers the bytes.
	SnapshotURLTTL time.Duration
	// GetTiles answers a tile with more than MaxDeltaStrokes strokes or MaxDeltaBytes bytes since its
	// newest usable snapshot as pending (TILE_DELTA_MAX_DELTA_STROKES, TILE_DELTA_MAX_DELTA_BYTES).
	MaxDeltaStrokes, MaxDeltaBytes int
	// InternalTLS secures the gRPC port and the calls to snapshot-rs (INTERNAL_TLS_*).
	InternalTLS service.InternalTLS
	// HitStrokes reads at most HitScanPerTile tile_events entries per tile, newest first
	// (TILE_DELTA_HIT_SCAN_PER_TILE); a tile holding more makes the answer partial.
	HitScanPerTile int
	// ExportPixelBudget bounds width x height summed over the exports running at once
	// (TILE_DELTA_EXPORT_PIXEL_BUDGET, at least one largest export); beyond it ExportRegion answers
	// ResourceExhausted.
	ExportPixelBudget int
}

// Load reads and validates the configuration; the error names every bad value.
func Load(environ []string) (Config, error) {
	e := service.NewEnv(environ)
	// Both ports are internal (metrics, and gRPC that authenticates nobody without internal TLS): they
	// listen on loopback unless told otherwise (the chart binds them to the pod's interfaces).
	c := Config{
		LogLevel:        e.String("LOG_LEVEL", "info"),
		HTTPListen:      e.Addr("TILE_DELTA_HTTP_LISTEN", "127.0.0.1:9192"),
		GRPCListen:      e.Addr("TILE_DELTA_GRPC_LISTEN", "127.0.0.1:9092"),
		DatabaseURL:     e.String("DATABASE_URL", "postgres://infidraw:infidraw@127.0.0.1:55432/infidraw?sslmode=disable"),
		SnapshotTarget:  e.Target("SNAPSHOT_TARGET", "127.0.0.1:9093"),
		SnapshotTimeout: e.Duration("SNAPSHOT_TIMEOUT", 5*time.Second, 100*time.Millisecond, time.Minute),
		BreakerFailures: e.Int("SNAPSHOT_BREAKER_FAILURES", 3, 1, 1000),
		BreakerCoolDown: e.Duration("SNAPSHOT_BREAKER_COOLDOWN", 5*time.Second, 10*time.Millisecond, 10*time.Minute),
	}
	c.ObjectStoreURL = e.String("OBJECT_STORE_URL", "file://.data/objects")
	c.S3AccessKey, c.S3Secret = e.String("S3_ACCESS_KEY", ""), e.String("S3_SECRET_KEY", "")
	c.SnapshotStrokes = e.Int("TILE_DELTA_SNAPSHOT_STROKES", 64, 1, 1_000_000)
	c.SnapshotBytes = e.Int("TILE_DELTA_SNAPSHOT_BYTES", 256<<10, 1, 1<<30)
	c.SnapshotWorkers = e.Int("TILE_DELTA_SNAPSHOT_WORKERS", 2, 1, 256)
	c.SnapshotQueue = e.Int("TILE_DELTA_SNAPSHOT_QUEUE", 4096, 1, 1_000_000)
	c.FollowInterval = e.Duration("TILE_DELTA_FOLLOW_INTERVAL", 250*time.Millisecond, 10*time.Millisecond, time.Minute)
	c.FollowLease = e.Duration("TILE_DELTA_FOLLOW_LEASE", 30*time.Second, 3*time.Second, time.Hour)
	c.FollowRooms = e.Int("TILE_DELTA_FOLLOW_ROOMS", 8, 0, 1024)
	c.FollowPage = e.Int("TILE_DELTA_FOLLOW_PAGE", 1000, 1, 100_000)
	c.FollowSlice = e.Duration("TILE_DELTA_FOLLOW_SLICE", 2*time.Second, 10*time.Millisecond, time.Hour)
	c.SnapshotRetain = e.Duration("TILE_DELTA_SNAPSHOT_RETAIN", 10*time.Minute, time.Second, 30*24*time.Hour)
	c.CheckpointLevel = e.Int("TILE_DELTA_SNAPSHOT_CHECKPOINT_LEVEL", 6, 0, strokes.MaxLevel)
	c.CheckpointSpacing = e.Int("TILE_DELTA_SNAPSHOT_CHECKPOINT_SPACING", 2048, 0, 1_000_000)
	c.SnapshotURLTTL = snapshotURLTTL(e)
	c.MaxDeltaStrokes = e.Int("TILE_DELTA_MAX_DELTA_STROKES", 256, 1, 100_000)
	c.MaxDeltaBytes = e.Int("TILE_DELTA_MAX_DELTA_BYTES", 64<<10, 1024, 64<<20)
	c.HitScanPerTile = e.Int("TILE_DELTA_HIT_SCAN_PER_TILE", 2048, 1, 100_000)
	c.ExportPixelBudget = e.Int("TILE_DELTA_EXPORT_PIXEL_BUDGET", 2*strokes.ExportMaxPixels, strokes.ExportMaxPixels, 1<<31)
	c.InternalTLS = e.InternalTLS()
	if _, err := service.NewLogger(nil, c.LogLevel); err != nil {
		e.Fail(err)
	}
	return c, e.Err()
}

// Presigned URLs must outlive a browser's fetch and stay within what S3 signs (7 days); a day bounds how
// long a member who lost access can still use a URL they saw.
const minURLTTL, maxURLTTL = 10 * time.Second, 24 * time.Hour

func snapshotURLTTL(e *service.Env) time.Duration {
	ttl := e.Duration("TILE_DELTA_SNAPSHOT_URL_TTL", 0, 0, maxURLTTL)
	if ttl != 0 && ttl < minURLTTL {
		e.Fail(fmt.Errorf("TILE_DELTA_SNAPSHOT_URL_TTL=%s: want 0 (never presign) or %s..%s", ttl, minURLTTL, maxURLTTL))
		return 0
	}
	return ttl
}
