package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
)

// NewRegistry returns a Prometheus registry with the Go runtime and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// HTTPMux serves /metrics and /healthz; services add their own routes to it.
func HTTPMux(reg *prometheus.Registry, ready *Readiness) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.Handle("GET /healthz", ready)
	return mux
}

// Servers is what a service runs until its context ends.
type Servers struct {
	Log       *slog.Logger
	HTTPAddr  string
	HTTP      http.Handler
	GRPCAddr  string
	GRPC      *grpc.Server
	Readiness *Readiness
	// Drain runs after the listeners stop accepting, before Serve returns (close hubs, flush queues).
	Drain func(ctx context.Context)
}

// Listen binds both ports; an error names the address that could not be bound.
func (s *Servers) Listen() (httpLn, grpcLn net.Listener, err error) {
	httpLn, err = net.Listen("tcp", s.HTTPAddr)
	if err != nil {
		return nil, nil, fmt.Errorf("listen http %s: %w", s.HTTPAddr, err)
	}
	grpcLn, err = net.Listen("tcp", s.GRPCAddr)
	if err != nil {
		_ = httpLn.Close()
		return nil, nil, fmt.Errorf("listen grpc %s: %w", s.GRPCAddr, err)
	}
	return httpLn, grpcLn, nil
}

// Serve serves on the listeners until ctx ends, then shuts down gracefully within 15 s.
func (s *Servers) Serve(ctx context.Context, httpLn, grpcLn net.Listener) error {
	hs := &http.Server{Handler: s.HTTP, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 2)
	go func() { errc <- hs.Serve(httpLn) }()
	go func() { errc <- s.GRPC.Serve(grpcLn) }()
	readyCtx, stopReady := context.WithCancel(ctx)
	defer stopReady()
	go s.Readiness.Run(readyCtx, 2*time.Second)
	s.Log.Info("serving", "http", httpLn.Addr().String(), "grpc", grpcLn.Addr().String())

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-errc:
		runErr = err
	}
	s.Log.Info("shutting down")
	stopReady()
	shutCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_ = hs.Shutdown(shutCtx)
	if s.Drain != nil {
		s.Drain(shutCtx)
	}
	stopped := make(chan struct{})
	go func() { s.GRPC.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-shutCtx.Done():
		s.GRPC.Stop()
	}
	if runErr != nil && !errors.Is(runErr, http.ErrServerClosed) && !errors.Is(runErr, grpc.ErrServerStopped) {
		return runErr
	}
	return nil
}
