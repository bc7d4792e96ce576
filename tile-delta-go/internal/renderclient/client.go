// Package renderclient calls snapshot-rs over gRPC to turn strokes into PNG tiles.
package renderclient

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	renderv1 "github.com/infidraw/infidraw/gen/go/infidraw/render/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	tilev1 "github.com/infidraw/infidraw/gen/go/infidraw/tile/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// Client renders tiles with snapshot-rs.
type Client struct {
	conn   *grpc.ClientConn
	render renderv1.RenderServiceClient
	health healthpb.HealthClient
}

// Dial connects lazily to target (host:port) with creds (internal TLS, or plaintext on loopback).
func Dial(target string, creds credentials.TransportCredentials) (*Client, error) {
	// Reconnect quickly after snapshot-rs comes back (gRPC's default backoff grows to two minutes).
	bo := backoff.DefaultConfig
	bo.MaxDelay = 2 * time.Second
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(creds),
		grpc.WithConnectParams(grpc.ConnectParams{Backoff: bo, MinConnectTimeout: 2 * time.Second}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20), grpc.MaxCallSendMsgSize(64<<20)))
	if err != nil {
		return nil, fmt.Errorf("snapshot-rs %s: %w", target, err)
	}
	return &Client{conn: conn, render: renderv1.NewRenderServiceClient(conn), health: healthpb.NewHealthClient(conn)}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// RenderTile renders strokes onto base (nil for a transparent tile).
func (c *Client) RenderTile(ctx context.Context, t strokes.Tile, base []byte, ss []*strokev1.Stroke) ([]byte, error) {
	resp, err := c.render.RenderTile(ctx, &renderv1.RenderTileRequest{
		Coord: &tilev1.TileCoord{Level: uint32(t.Level), X: t.X, Y: t.Y}, BasePng: base, Strokes: ss, SizePx: strokes.TilePx})
	if err != nil {
		return nil, err
	}
	return resp.GetPng(), nil
}

// Healthy asks snapshot-rs's grpc.health.v1.
func (c *Client) Healthy(ctx context.Context) error {
	resp, err := c.health.Check(ctx, &healthpb.HealthCheckRequest{Service: renderv1.RenderService_ServiceDesc.ServiceName})
	if err != nil {
		return err
	}
	if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("snapshot-rs is %s", resp.GetStatus())
	}
	return nil
}
