package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	"github.com/infidraw/infidraw/realtime-go/internal/access"
	"github.com/infidraw/infidraw/realtime-go/internal/auth"
	"github.com/infidraw/infidraw/realtime-go/internal/config"
	"github.com/infidraw/infidraw/realtime-go/internal/events"
	"github.com/infidraw/infidraw/realtime-go/internal/grpcapi"
	"github.com/infidraw/infidraw/realtime-go/internal/hub"
	"github.com/infidraw/infidraw/realtime-go/internal/postgres"
	"github.com/infidraw/infidraw/realtime-go/internal/redisbus"
	"github.com/infidraw/infidraw/realtime-go/internal/ws"
	"github.com/infidraw/infidraw/shared-go/service"
	"github.com/infidraw/infidraw/shared-go/strokes"
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
	if cfg.Replica == "" {
		cfg.Replica = uuid.NewString()
	}
	log = log.With("service", "realtime-go", "replica", cfg.Replica)

	poolCfg, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	// Each write shard holds a connection for the length of a batch; reads (FetchEvents, GetEvents, the
	// access poll) need their own, or they queue behind the writes. pgx's default is max(4, cores).
	poolCfg.MaxConns = max(poolCfg.MaxConns, int32(cfg.WriteShards)+4)
	pool, err := pgxpool.NewWithConfig(ctx, poolCfg)
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	defer pool.Close()
	rdb, err := redisbus.NewClient(cfg.RedisURL, cfg.RedisClusterURL)
	if err != nil {
		return err
	}
	defer func() { _ = rdb.Close() }()

	var keys auth.KeySource
	checks := map[string]service.Check{}
	if cfg.DevJWKS != "" {
		static, err := auth.ParseJWKS([]byte(cfg.DevJWKS))
		if err != nil {
			return fmt.Errorf("REALTIME_DEV_JWKS: %w", err)
		}
		keys = auth.StaticKeys(static)
	} else {
		remote := &auth.RemoteKeys{URL: cfg.JWKSURL, Client: &http.Client{Timeout: 5 * time.Second}, Log: log,
			RefreshEvery: 5 * time.Minute, MinRefetch: 10 * time.Second}
		keys = remote
		checks["jwks"] = remote.Ready
	}

	reg := service.NewRegistry()
	store := postgres.NewStore(pool, log)
	cache := redisbus.NewPageCache(rdb, cfg.PageCacheTTL)
	h := hub.New(cfg.Replica, store, log, hub.NewMetrics(reg), hub.Options{
		Tick: cfg.Tick, GapWait: 250 * time.Millisecond, PageSize: cfg.PageSize, PageBytes: cfg.PageBytes, WriteTimeout: 10 * time.Second,
		BrokerTimeout: 500 * time.Millisecond,
		Publisher:     hub.PublisherOptions{QueueBytes: 32 << 20, Timeout: time.Second, Retry: time.Second},
		Interest:      cfg.Interest, CrowdSize: cfg.CrowdSize, ViewersEvery: 2 * time.Second, ViewerTick: cfg.ViewerTick})
	broker := redisbus.NewBroker(rdb, cfg.Replica, log, h.Receive, h.Resync)
	h.SetBroker(broker)
	// Acks wait for the commit hook, which must not wait on Redis: the hub queues what it publishes.
	writer := events.NewWriter(store, h.Committed, log, reg, events.WriterOptions{Shards: cfg.WriteShards, QueueLen: cfg.WriteQueue, MaxBatch: cfg.WriteBatch})

	// Redis is not a readiness dependency: without it a replica still stores and acknowledges every
	// commit and serves its own clients; only fan-out to other replicas and presence degrade
	// (realtime_bus_dropped_total), and they catch up from PostgreSQL when Redis is back.
	checks["postgres"] = store.Ping
	ready := service.NewReadiness(log, checks, realtimev1.RealtimeService_ServiceDesc.ServiceName)

	// Access versions are polled over a 10 s window: far more than one poll, so that slow or failed polls
	// miss nothing (after a longer gap the guard reads every watched scope instead).
	guard := access.NewGuard(postgres.NewAccessVersions(pool), log, access.NewMetrics(reg), access.Options{Poll: cfg.AccessPoll, Window: 10 * time.Second})
	wsHandler := &ws.Handler{Hub: h, Writer: writer, Verifier: &auth.Verifier{Keys: keys, Now: time.Now}, Access: guard, Origins: cfg.AllowedOrigins, Log: log,
		Limits: ws.Limits{MaxFrameBytes: int64(cfg.MaxFrameBytes), MessagesPerSecond: float64(cfg.MessagesPerSec), Burst: 2 * float64(cfg.MessagesPerSec),
			QueueFrames: cfg.QueueFrames, JoinTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, MaxLivePoints: strokes.MaxLivePoints}}
	wsHandler.RegisterMetrics(reg)
	mux := service.HTTPMux(reg, ready)
	mux.Handle("GET /ws", wsHandler)

	mtls, err := cfg.InternalTLS.Load(log)
	if err != nil {
		return err
	}
	gs := service.NewGRPCServer(service.NewGRPCMetrics(reg), ready, mtls)
	realtimev1.RegisterRealtimeServiceServer(gs, &grpcapi.Server{Store: store, Writer: writer, Hub: h, Cache: cache, Log: log,
		DefaultPage: cfg.PageSize, MaxPage: 10 * cfg.PageSize, PageBytes: cfg.PageBytes, MaxIngest: 1000, CacheTimeout: 250 * time.Millisecond})

	servers := &service.Servers{Log: log, HTTPAddr: cfg.HTTPListen, HTTP: mux, GRPCAddr: cfg.GRPCListen, GRPC: gs, Readiness: ready}
	httpLn, grpcLn, err := servers.Listen()
	if err != nil {
		return err
	}

	// The writer outlives the listeners: requests accepted before shutdown are still committed.
	writerCtx, stopWriter := context.WithCancel(context.Background())
	writerDone := make(chan struct{})
	go func() { defer close(writerDone); writer.Run(writerCtx) }()
	var bg sync.WaitGroup
	bg.Add(3)
	brokerCtx, stopBroker := context.WithCancel(context.Background())
	go func() { defer bg.Done(); broker.Run(brokerCtx) }()
	go func() { defer bg.Done(); h.Run(brokerCtx) }()
	go func() { defer bg.Done(); guard.Run(brokerCtx) }()
	servers.Drain = func(ctx context.Context) {
		h.Shutdown()
		wsHandler.Wait(ctx)
		stopWriter()
	}
	err = servers.Serve(ctx, httpLn, grpcLn)
	stopWriter()
	<-writerDone // its last commits are published before the bus stops
	stopBroker()
	bg.Wait()
	log.Info("stopped")
	return err
}
