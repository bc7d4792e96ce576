// Package config reads tile-delta-go's configuration from the environment (docs/contracts.md).
package config

import "github.com/infidraw/infidraw/shared-go/service"

// Config of tile-delta-go.
type Config struct {
	LogLevel       string
	HTTPListen     string
	GRPCListen     string
	DatabaseURL    string
	SnapshotTarget string
}

// Load reads and validates the configuration; the error names every bad value.
func Load(environ []string) (Config, error) {
	e := service.NewEnv(environ)
	c := Config{
		LogLevel:       e.String("LOG_LEVEL", "info"),
		HTTPListen:     e.Addr("TILE_DELTA_HTTP_LISTEN", ":9192"),
		GRPCListen:     e.Addr("TILE_DELTA_GRPC_LISTEN", ":9092"),
		DatabaseURL:    e.String("DATABASE_URL", "postgres://infidraw:infidraw@127.0.0.1:55432/infidraw?sslmode=disable"),
		SnapshotTarget: e.Addr("SNAPSHOT_TARGET", "127.0.0.1:9093"),
	}
	if _, err := service.NewLogger(nil, c.LogLevel); err != nil {
		e.Fail(err)
	}
	return c, e.Err()
}
