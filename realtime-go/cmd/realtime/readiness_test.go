package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// A replica whose database is unreachable is up but not ready: /healthz answers 503 naming postgres and
// grpc.health.v1 says NOT_SERVING, for the server and for the service.
func TestReadinessFollowsTheDatabase(t *testing.T) {
	httpAddr, grpcAddr := freeAddr(t), freeAddr(t)
	deadDB := "postgres://infidraw:infidraw@" + freeAddr(t) + "/infidraw?sslmode=disable&connect_timeout=1"
	env := replicaEnv(httpAddr, grpcAddr, "DATABASE_URL="+deadDB)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, env) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("replica exited: %v", err)
		}
	}()

	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	health := healthpb.NewHealthClient(conn)
	// Wait for the first evaluation to have happened (the HTTP answer names the failing check).
	deadline := time.Now().Add(20 * time.Second)
	var body string
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + httpAddr + "/healthz")
		if err == nil {
			b := make([]byte, 512)
			n, _ := resp.Body.Read(b)
			resp.Body.Close()
			body = string(b[:n])
			if resp.StatusCode == http.StatusServiceUnavailable && strings.Contains(body, "postgres") {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(body, "postgres") {
		t.Fatalf("/healthz never named the database: %q", body)
	}
	for _, svc := range []string{"", "infidraw.realtime.v1.RealtimeService"} {
		hctx, hcancel := context.WithTimeout(context.Background(), 5*time.Second)
		resp, err := health.Check(hctx, &healthpb.HealthCheckRequest{Service: svc})
		hcancel()
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
			t.Fatalf("health of %q: %v %v, want NOT_SERVING", svc, resp.GetStatus(), err)
		}
	}
}
