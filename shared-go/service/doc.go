// Package service holds what every Go service of infidraw runs the same way: JSON logs, readiness
// checks that drive both /healthz and grpc.health.v1, a gRPC server with health, reflection and metrics,
// the HTTP endpoints /metrics and /healthz, and a graceful run loop.
package service
