// Package renderclient calls snapshot-rs over gRPC to turn strokes into PNG tiles and timelapses into
// videos.
package renderclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	renderv1 "github.com/infidraw/infidraw/gen/go/infidraw/render/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	tilev1 "github.com/infidraw/infidraw/gen/go/infidraw/tile/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
	"github.com/infidraw/infidraw/tile-delta-go/internal/timelapse"
)

// Client renders tiles and timelapses with snapshot-rs.
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

// RenderTimelapse has snapshot-rs draw and encode a timelapse (RenderTimelapse), calling send with each
// part of its stream in order; returning (an error of send, or a cancelled ctx) cancels the render. Its
// error wraps timelapse.ErrRenderUnavailable when snapshot-rs did not answer or lacks the RPC, and
// timelapse.ErrRenderRefused when it refused the job.
func (c *Client) RenderTimelapse(ctx context.Context, job timelapse.Job, send func(timelapse.Part) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req := &renderv1.RenderTimelapseRequest{
		Region:  &tilev1.Viewport{MinX: job.Region.MinX, MinY: job.Region.MinY, MaxX: job.Region.MaxX, MaxY: job.Region.MaxY},
		WidthPx: uint32(job.Width), HeightPx: uint32(job.Height), FrameRate: uint32(job.FrameRate), Strokes: job.Strokes,
		Frames: make([]*renderv1.TimelapseFrame, len(job.Frames)), BackgroundRgba: job.Background, FromSeq: job.From, ToSeq: job.To}
	for i, f := range job.Frames {
		req.Frames[i] = &renderv1.TimelapseFrame{Show: f.Show, Hide: f.Hide}
	}
	stream, err := c.render.RenderTimelapse(ctx, req)
	if err != nil {
		return timelapseError(err)
	}
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return timelapseError(err)
		}
		var p timelapse.Part
		switch part := resp.GetPart().(type) {
		case *renderv1.RenderTimelapseResponse_Header:
			h := part.Header
			p.Header = &timelapse.Header{ContentType: h.GetContentType(), Frames: int(h.GetFrames()), FrameRate: int(h.GetFrameRate()),
				Width: int(h.GetWidthPx()), Height: int(h.GetHeightPx()), From: h.GetFromSeq(), To: h.GetToSeq(), Strokes: int(h.GetStrokes())}
		case *renderv1.RenderTimelapseResponse_Progress:
			p.Progress = &timelapse.Progress{Done: int(part.Progress.GetFramesDone()), Frames: int(part.Progress.GetFrames())}
		case *renderv1.RenderTimelapseResponse_Video:
			p.Video = part.Video
		default:
			return fmt.Errorf("snapshot-rs sent an empty timelapse part")
		}
		if err := send(p); err != nil {
			return err
		}
	}
}

// timelapseError names what a RenderTimelapse error means to a timelapse.
func timelapseError(err error) error {
	switch status.Code(err) {
	case codes.Unavailable, codes.Unimplemented:
		return fmt.Errorf("%w: %v", timelapse.ErrRenderUnavailable, err)
	case codes.InvalidArgument, codes.FailedPrecondition, codes.ResourceExhausted, codes.OutOfRange:
		return fmt.Errorf("%w: %v", timelapse.ErrRenderRefused, status.Convert(err).Message())
	}
	return err
}
