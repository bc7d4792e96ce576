// Package config reads tile-delta-go's configuration from the environment (docs/contracts.md).
package config

import (
	"time"

	"github.com/infidraw/infidraw/shared-go/service"
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
}

// Load reads and validates the configuration; the error names every bad value.
func Load(environ []string) (Config, error) {
	e := service.NewEnv(environ)
	c := Config{
		LogLevel:        e.String("LOG_LEVEL", "info"),
		HTTPListen:      e.Addr("TILE_DELTA_HTTP_LISTEN", ":9192"),
		GRPCListen:      e.Addr("TILE_DELTA_GRPC_LISTEN", ":9092"),
		DatabaseURL:     e.String("DATABASE_URL", "postgres://infidraw:infidraw@127.0.0.1:55432/infidraw?sslmode=disable"),
		SnapshotTarget:  e.Addr("SNAPSHOT_TARGET", "127.0.0.1:9093"),
		SnapshotTimeout: e.Duration("SNAPSHOT_TIMEOUT", 5*time.Second, 100*time.Millisecond, time.Minute),
		BreakerFailures: e.Int("SNAPSHOT_BREAKER_FAILURES", 3, 1, 1000),
		BreakerCoolDown: e.Duration("SNAPSHOT_BREAKER_COOLDOWN", 5*time.Second, 10*time.Millisecond, 10*time.Minute),
	}
	if _, err := service.NewLogger(nil, c.LogLevel); err != nil {
		e.Fail(err)
	}
	return c, e.Err()
}
