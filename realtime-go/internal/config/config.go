// Package config reads realtime-go's configuration from the environment (docs/contracts.md).
package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/infidraw/infidraw/shared-go/service"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// Config of realtime-go.
type Config struct {
	LogLevel    string
	HTTPListen  string
	GRPCListen  string
	DatabaseURL string
	RedisURL    string
	// RedisClusterURL, when set, puts the bus on a Redis Cluster instead of REDIS_URL's single Redis.
	RedisClusterURL string
	JWKSURL         string
	DevJWKS         string
	AllowedOrigins  []string
	Replica         string
	// InternalTLS secures the gRPC port (INTERNAL_TLS_*); without it the port should stay on loopback.
	InternalTLS service.InternalTLS

	Tick           time.Duration
	WriteShards    int
	WriteQueue     int
	WriteBatch     int
	QueueFrames    int
	MaxFrameBytes  int
	MessagesPerSec int
	PageSize       int
	PageBytes      int // at most 3 MiB: under gRPC's default 4 MiB message limit, whatever a client's settings
	PageCacheTTL   time.Duration
	// AccessPoll is how often the access versions are polled: live connections whose access ended close
	// within about this long.
	AccessPoll time.Duration
	// Interest filters each client's output by its view (REALTIME_INTEREST=on, the default); off sends
	// every client everything, as before views existed.
	Interest bool
	// CrowdSize: from this many people listed in a room, viewers who join are counted, not listed.
	CrowdSize int
	// ViewerTick: the least time between two frames of live strokes and cursors to a crowd viewer.
	ViewerTick time.Duration
}

// Load reads and validates the configuration; the error names every bad value.
func Load(environ []string) (Config, error) {
	e := service.NewEnv(environ)
	// The gRPC port authenticates nobody without internal TLS: it listens on loopback unless told
	// otherwise (the chart binds it to the pod's interfaces and sets INTERNAL_TLS_*).
	c := Config{
		LogLevel:        e.String("LOG_LEVEL", "info"),
		HTTPListen:      e.Addr("REALTIME_HTTP_LISTEN", ":8081"),
		GRPCListen:      e.Addr("REALTIME_GRPC_LISTEN", "127.0.0.1:9091"),
		DatabaseURL:     e.String("DATABASE_URL", "postgres://infidraw:infidraw@127.0.0.1:55432/infidraw?sslmode=disable"),
		RedisURL:        e.String("REDIS_URL", "redis://127.0.0.1:56379/0"),
		RedisClusterURL: e.String("REDIS_CLUSTER_URL", ""),
		JWKSURL:         e.String("REALTIME_JWKS_URL", "http://127.0.0.1:8080/.well-known/jwks.json"),
		DevJWKS:         e.String("REALTIME_DEV_JWKS", ""),
		Replica:         e.String("REALTIME_REPLICA_ID", ""),
		Tick:            e.Duration("REALTIME_TICK", 16*time.Millisecond, time.Millisecond, time.Second),
		WriteShards:     e.Int("REALTIME_WRITE_SHARDS", 4, 1, 64),
		WriteQueue:      e.Int("REALTIME_WRITE_QUEUE", 4096, 1, 1<<20),
		WriteBatch:      e.Int("REALTIME_WRITE_BATCH", 512, 1, 10000),
		QueueFrames:     e.Int("REALTIME_CLIENT_QUEUE_FRAMES", 64, 4, 4096),
		MaxFrameBytes:   e.Int("REALTIME_MAX_FRAME_BYTES", strokes.DefaultMaxFrameBytes, 1<<10, 16<<20),
		MessagesPerSec:  e.Int("REALTIME_MESSAGES_PER_SECOND", 200, 1, 100000),
		PageSize:        e.Int("REALTIME_PAGE_SIZE", 1000, 1, 100000),
		PageBytes:       e.Int("REALTIME_PAGE_BYTES", strokes.DefaultPageBytes, 16<<10, strokes.MaxPageBytes),
		PageCacheTTL:    e.Duration("REALTIME_PAGE_CACHE_TTL", 10*time.Second, time.Second, time.Hour),
		// At most 2 s: access taken away must end live connections within 2 s (docs/security.md).
		AccessPoll:  e.Duration("REALTIME_ACCESS_POLL", 500*time.Millisecond, 50*time.Millisecond, 2*time.Second),
		InternalTLS: e.InternalTLS(),
		CrowdSize:   e.Int("REALTIME_CROWD_SIZE", 50, 0, 1<<20),
		ViewerTick:  e.Duration("REALTIME_VIEWER_TICK", 100*time.Millisecond, 0, time.Second),
	}
	switch v := e.String("REALTIME_INTEREST", "on"); v {
	case "on":
		c.Interest = true
	case "off":
	default:
		e.Fail(fmt.Errorf("REALTIME_INTEREST: %q is neither on nor off", v))
	}
	origins := e.String("REALTIME_ALLOWED_ORIGINS", "http://localhost:8080,http://127.0.0.1:8080")
	for _, o := range strings.Split(origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			if !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://") {
				e.Fail(fmt.Errorf("REALTIME_ALLOWED_ORIGINS: %q is not an http(s) origin", o))
			}
			c.AllowedOrigins = append(c.AllowedOrigins, o)
		}
	}
	if c.RedisClusterURL != "" {
		if _, err := redis.ParseClusterURL(c.RedisClusterURL); err != nil {
			e.Fail(fmt.Errorf("REDIS_CLUSTER_URL: %w", err))
		}
	} else if _, err := redis.ParseURL(c.RedisURL); err != nil {
		e.Fail(fmt.Errorf("REDIS_URL: %w", err))
	}
	if _, err := service.NewLogger(nil, c.LogLevel); err != nil {
		e.Fail(err)
	}
	return c, e.Err()
}
