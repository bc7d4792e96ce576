package main

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	renderv1 "github.com/infidraw/infidraw/gen/go/infidraw/render/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	tilev1 "github.com/infidraw/infidraw/gen/go/infidraw/tile/v1"
	"github.com/infidraw/infidraw/shared-go/localtest"
)

// Under internal TLS every hop is mutual TLS: the gateway's certificate ingests and reads tiles, which
// tile-delta-go renders through snapshot-rs with its own certificate (snapshot-rs admits tile-delta
// only); calls without a certificate, from a client that is not allowed or in plaintext are refused
// and change nothing; health and reflection answer with the CA alone.
func TestInternalTLSAcrossTheStack(t *testing.T) {
	pki := localtest.NewPKI(t)
	gateway, realtimeCert := pki.Issue(t, "gateway"), pki.Issue(t, "realtime")
	gatewayCreds := credentials.NewTLS(pki.ClientTLS(t, &gateway))
	s := startStackWith(t, stackOptions{
		snapshot:  pki.Env(pki.Issue(t, "snapshot"), "tile-delta"),
		realtime:  pki.Env(realtimeCert, "gateway"),
		tileDelta: pki.Env(pki.Issue(t, "tile-delta"), "gateway"),
		creds:     gatewayCreds,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	room := uuid.New()
	stroke := line(20, 128, 236, 128, 8)
	if _, err := s.realtime.IngestStrokes(ctx, &realtimev1.IngestStrokesRequest{RoomId: room.String(), AuthorId: uuid.NewString(),
		Strokes: []*strokev1.Stroke{stroke}}); err != nil {
		t.Fatalf("ingest with the gateway's certificate: %v", err)
	}
	tile := &tilev1.RenderTileRequest{RoomId: room.String(), Coord: &tilev1.TileCoord{}}
	r, err := s.tiles.RenderTile(ctx, tile)
	if err != nil || r.GetRenderer() != "snapshot-rs" {
		t.Fatalf("RenderTile: %v, renderer %q (snapshot-rs must have accepted tile-delta's certificate)", err, r.GetRenderer())
	}
	viewport := &tilev1.GetTilesRequest{RoomId: room.String(), Selection: &tilev1.GetTilesRequest_Viewport{
		Viewport: &tilev1.Viewport{MinX: 0, MinY: 0, MaxX: 25600, MaxY: 25600}}}

	for _, tc := range []struct {
		name  string
		creds credentials.TransportCredentials
		want  codes.Code
	}{
		{"no client certificate", credentials.NewTLS(pki.ClientTLS(t, nil)), codes.Unauthenticated},
		{"a client that is not allowed", credentials.NewTLS(pki.ClientTLS(t, &realtimeCert)), codes.PermissionDenied},
		{"plaintext", insecure.NewCredentials(), codes.Unavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tiles := tilev1.NewTileDeltaServiceClient(dial(t, s.tileGRPC, tc.creds))
			if _, err := tiles.GetTiles(ctx, viewport); status.Code(err) != tc.want {
				t.Errorf("GetTiles: %v, want %s", err, tc.want)
			}
			if _, err := tiles.PurgeRoom(ctx, &tilev1.PurgeRoomRequest{RoomId: room.String()}); status.Code(err) != tc.want {
				t.Errorf("PurgeRoom: %v, want %s", err, tc.want)
			}
		})
	}
	if got, err := s.tiles.GetTiles(ctx, viewport); err != nil || len(got.GetTiles()) != 1 {
		t.Fatalf("the room must be intact after the refused purges: %v %+v", err, got)
	}

	// snapshot-rs renders for tile-delta only, not for the gateway.
	_, err = renderv1.NewRenderServiceClient(dial(t, s.snapshot, gatewayCreds)).RenderTile(ctx,
		&renderv1.RenderTileRequest{Coord: &tilev1.TileCoord{}, Strokes: []*strokev1.Stroke{stroke}})
	if status.Code(err) != codes.PermissionDenied {
		t.Fatalf("snapshot-rs rendering for the gateway: %v, want PermissionDenied", err)
	}

	// Operators and probes with the CA alone.
	anonymous := credentials.NewTLS(pki.ClientTLS(t, nil))
	for addr, service := range map[string]string{s.tileGRPC: tilev1.TileDeltaService_ServiceDesc.ServiceName,
		s.snapshot: renderv1.RenderService_ServiceDesc.ServiceName} {
		conn := dial(t, addr, anonymous)
		h, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: service})
		if err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("%s health without a client certificate: %v %v", service, err, h.GetStatus())
		}
		if got := localtest.ListServices(ctx, t, conn); !slices.Contains(got, service) {
			t.Errorf("%s reflection without a client certificate lists %v", service, got)
		}
	}
}
