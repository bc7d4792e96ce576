package service

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// Check reports whether one dependency is usable.
type Check func(ctx context.Context) error

// Readiness evaluates named checks periodically and publishes the result to grpc.health.v1 (the
// overall service "" and each named gRPC service) and to GET /healthz.
type Readiness struct {
	checks   map[string]Check
	services []string
	grpc     *health.Server
	log      *slog.Logger

	mu     sync.RWMutex
	failed map[string]string
}

// NewReadiness starts NOT_SERVING until the first evaluation passes.
func NewReadiness(log *slog.Logger, checks map[string]Check, services ...string) *Readiness {
	r := &Readiness{checks: checks, services: services, grpc: health.NewServer(), log: log,
		failed: map[string]string{"startup": "not evaluated yet"}}
	r.publish(false)
	return r
}

// GRPC is the health service to register on the gRPC server.
func (r *Readiness) GRPC() healthpb.HealthServer { return r.grpc }

// Evaluate runs every check once and publishes the result.
func (r *Readiness) Evaluate(ctx context.Context) {
	failed := map[string]string{}
	for name, check := range r.checks {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		if err := check(cctx); err != nil {
			failed[name] = err.Error()
		}
		cancel()
	}
	r.mu.Lock()
	was := len(r.failed) == 0
	r.failed = failed
	r.mu.Unlock()
	ok := len(failed) == 0
	if ok != was {
		r.log.Info("readiness changed", "serving", ok, "failed", failed)
	}
	r.publish(ok)
}

// Run evaluates every interval until ctx ends, then reports NOT_SERVING for good (draining).
func (r *Readiness) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	r.Evaluate(ctx)
	for {
		select {
		case <-ctx.Done():
			r.grpc.Shutdown()
			return
		case <-t.C:
			r.Evaluate(ctx)
		}
	}
}

func (r *Readiness) publish(ok bool) {
	st := healthpb.HealthCheckResponse_NOT_SERVING
	if ok {
		st = healthpb.HealthCheckResponse_SERVING
	}
	r.grpc.SetServingStatus("", st)
	for _, s := range r.services {
		r.grpc.SetServingStatus(s, st)
	}
}

// ServeHTTP answers /healthz: 200 {"status":"ok"} or 503 with the failing checks.
func (r *Readiness) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	r.mu.RLock()
	failed := r.failed
	r.mu.RUnlock()
	w.Header().Set("Content-Type", "application/json")
	if len(failed) == 0 {
		_, _ = w.Write([]byte(`{"status":"ok"}`))
		return
	}
	w.WriteHeader(http.StatusServiceUnavailable)
	_ = json.NewEncoder(w).Encode(map[string]any{"status": "unavailable", "failed": failed})
}
