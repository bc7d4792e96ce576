package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	tilev1 "github.com/infidraw/infidraw/gen/go/infidraw/tile/v1"
	"github.com/infidraw/infidraw/shared-go/service"
	"github.com/infidraw/infidraw/tile-delta-go/internal/config"
	"github.com/infidraw/infidraw/tile-delta-go/internal/export"
	"github.com/infidraw/infidraw/tile-delta-go/internal/ggrender"
	"github.com/infidraw/infidraw/tile-delta-go/internal/grpcapi"
	"github.com/infidraw/infidraw/tile-delta-go/internal/objstore"
	"github.com/infidraw/infidraw/tile-delta-go/internal/renderclient"
	"github.com/infidraw/infidraw/tile-delta-go/internal/snapshots"
	"github.com/infidraw/infidraw/tile-delta-go/internal/tilerender"
	"github.com/infidraw/infidraw/tile-delta-go/internal/tiles"
	"github.com/infidraw/infidraw/tile-delta-go/internal/timelapse"
)

func run(ctx context.Context, args []string, environ []string) error {
	if len(args) > 0 {
		return fmt.Errorf("unexpected arguments %q: configure through the environment (docs/contracts.md)", args)
	}
	cfg, err := config.Load(environ)
	if err != nil {
		return err
	}
	log, _ := service.NewLogger(os.Stdout, cfg.LogLevel)
	log = log.With("service", "tile-delta-go")

	pool, err := pgxpool.New(ctx, cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	defer pool.Close()
	mtls, err := cfg.InternalTLS.Load(log)
	if err != nil {
		return err
	}
	renderer, err := renderclient.Dial(cfg.SnapshotTarget, service.DialCredentials(mtls))
	if err != nil {
		return err
	}
	defer renderer.Close()

	reg := service.NewRegistry()
	router := tilerender.New(renderer, ggrender.Renderer{}, tilerender.Options{Timeout: cfg.SnapshotTimeout,
		Failures: cfg.BreakerFailures, CoolDown: cfg.BreakerCoolDown}, reg, log)
	store, err := objstore.Open(ctx, cfg.ObjectStoreURL, objstore.Credentials{AccessKey: cfg.S3AccessKey, SecretKey: cfg.S3Secret})
	if err != nil {
		return err
	}
	snaps := snapshots.New(pool, store, router, snapshots.Policy{Workers: cfg.SnapshotWorkers, Queue: cfg.SnapshotQueue,
		Timeout: time.Minute, Retain: cfg.SnapshotRetain,
		Checkpoints: snapshots.Checkpoints{MinLevel: cfg.CheckpointLevel, Spacing: cfg.CheckpointSpacing}}, reg, log)
	// A tile gets a snapshot at the policy's threshold, and at the latest when reads would answer it
	// pending (over the delta bound).
	follower := snapshots.NewFollower(pool, snaps, snapshots.FollowOptions{Owner: replicaName(), Interval: cfg.FollowInterval,
		Lease: cfg.FollowLease, Rooms: cfg.FollowRooms, Page: cfg.FollowPage, Slice: cfg.FollowSlice,
		MinStrokes: min(cfg.SnapshotStrokes, cfg.MaxDeltaStrokes+1), MinBytes: min(cfg.SnapshotBytes, cfg.MaxDeltaBytes+1)}, reg, log)
	snapCtx, stopSnaps := context.WithCancel(context.Background())
	var snapsDone sync.WaitGroup
	snapsDone.Add(1)
	go func() { defer snapsDone.Done(); snaps.Run(snapCtx) }()
	if cfg.FollowRooms > 0 { // else a read replica: it renders on demand (RenderTile, export) only
		snapsDone.Add(1)
		go func() { defer snapsDone.Done(); follower.Run(snapCtx) }()
	}
	defer func() { stopSnaps(); snapsDone.Wait() }()
	reader := tiles.NewReader(pool)
	reader.Sink = follower
	// Readiness follows the database only: tiles are still read when snapshot-rs is down.
	ready := service.NewReadiness(log, map[string]service.Check{"postgres": reader.Ping}, tilev1.TileDeltaService_ServiceDesc.ServiceName)
	gs := service.NewGRPCServer(service.NewGRPCMetrics(reg), ready, mtls)
	tilev1.RegisterTileDeltaServiceServer(gs, &grpcapi.Server{Tiles: reader, Renderer: router, Objects: store, Snapshots: snaps, Log: log,
		Bound:        tiles.Bound{Strokes: cfg.MaxDeltaStrokes, Bytes: cfg.MaxDeltaBytes},
		Hits:         reader,
		Regions:      reader,
		Authors:      reader,
		Timelapses:   timelapse.New(pool, renderer, reg),
		HitBound:     tiles.HitBound{ScanPerTile: cfg.HitScanPerTile, Strokes: tiles.MaxHitStrokes},
		SnapshotRows: reader, SnapshotURLTTL: cfg.SnapshotURLTTL,
		Exporter: &export.Exporter{Tiles: reader, Renderer: router, Objects: store, Workers: 4,
			Pixels: export.NewPixelBudget(int64(cfg.ExportPixelBudget))}})

	servers := &service.Servers{Log: log, HTTPAddr: cfg.HTTPListen, HTTP: service.HTTPMux(reg, ready), GRPCAddr: cfg.GRPCListen, GRPC: gs, Readiness: ready}
	httpLn, grpcLn, err := servers.Listen()
	if err != nil {
		return err
	}
	err = servers.Serve(ctx, httpLn, grpcLn)
	log.Info("stopped")
	return err
}

// replicaName names this process in tile_follow: the host (the pod) and a random suffix, so that a
// restarted process never renews its predecessor's leases.
func replicaName() string {
	host, _ := os.Hostname()
	return host + "/" + uuid.NewString()[:8]
}
