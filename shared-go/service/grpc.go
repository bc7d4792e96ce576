package service

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
)

// GRPCMetrics counts and times every RPC by method and status code.
type GRPCMetrics struct {
	handled *prometheus.HistogramVec
}

// NewGRPCMetrics registers the RPC histogram on reg.
func NewGRPCMetrics(reg prometheus.Registerer) *GRPCMetrics {
	m := &GRPCMetrics{handled: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "grpc_server_handling_seconds",
		Help:    "Time to handle an RPC, by method and status code.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
	}, []string{"method", "code"})}
	reg.MustRegister(m.handled)
	return m
}

func (m *GRPCMetrics) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	start := time.Now()
	resp, err := h(ctx, req)
	m.handled.WithLabelValues(info.FullMethod, status.Code(err).String()).Observe(time.Since(start).Seconds())
	return resp, err
}

func (m *GRPCMetrics) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	start := time.Now()
	err := h(srv, ss)
	m.handled.WithLabelValues(info.FullMethod, status.Code(err).String()).Observe(time.Since(start).Seconds())
	return err
}

// NewGRPCServer returns a server with metrics interceptors, grpc.health.v1 from readiness and server
// reflection, so that `grpcurl host:port list` works (with -plaintext, or -cacert under internal TLS).
// With mtls (non-nil) it speaks TLS and refuses infidraw methods to callers without a client
// certificate; refusals are counted like any other call.
func NewGRPCServer(m *GRPCMetrics, ready *Readiness, mtls *MutualTLS, opts ...grpc.ServerOption) *grpc.Server {
	opts = append(opts, grpc.ChainUnaryInterceptor(m.unary), grpc.ChainStreamInterceptor(m.stream))
	if mtls != nil {
		opts = append(opts, mtls.serverOptions()...)
	}
	s := grpc.NewServer(opts...)
	healthpb.RegisterHealthServer(s, ready.GRPC())
	reflection.Register(s)
	return s
}
