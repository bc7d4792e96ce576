package main

import (
	"context"
	"crypto/tls"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/realtime-go/client"
	"github.com/infidraw/infidraw/shared-go/localtest"
)

// dialTLS opens a gRPC connection to addr with cfg (a CA to trust, perhaps a client certificate).
func dialTLS(t *testing.T, addr string, cfg *tls.Config) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func plaintext(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func ingestOne(ctx context.Context, conn *grpc.ClientConn, room uuid.UUID, opts ...grpc.CallOption) error {
	_, err := realtimev1.NewRealtimeServiceClient(conn).IngestStrokes(ctx, &realtimev1.IngestStrokesRequest{RoomId: room.String(),
		AuthorId: uuid.NewString(), Strokes: []*strokev1.Stroke{client.PenStroke(scribble(0, 0, 4), 300, 0xff)}}, opts...)
	return err
}

// Under internal TLS, IngestStrokes and CloseRoom(purge) need a client certificate signed by the CA that
// names an allowed client (here the gateway); without one nothing is written or deleted. Health and
// reflection answer anyone who trusts the CA, as grpcurl -cacert and probes do.
func TestInternalGRPCNeedsAnAllowedClientCertificate(t *testing.T) {
	pki := localtest.NewPKI(t)
	r := startReplica(t, pki.Env(pki.Issue(t, "realtime"), "gateway")...)
	gatewayCert, snapshotCert := pki.Issue(t, "gateway"), pki.Issue(t, "snapshot")
	stranger := localtest.NewPKI(t)
	strangerCert := stranger.Issue(t, "gateway") // the right name from another CA
	strangerTLS := stranger.ClientTLS(t, &strangerCert)
	strangerTLS.RootCAs = pki.ClientTLS(t, nil).RootCAs // it trusts the server; the server must not trust it
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	gateway := dialTLS(t, r.grpcAddr, pki.ClientTLS(t, &gatewayCert))
	api := realtimev1.NewRealtimeServiceClient(gateway)
	room := uuid.New()
	if err := ingestOne(ctx, gateway, room); err != nil {
		t.Fatalf("the gateway's certificate: %v", err)
	}

	refused := []struct {
		name string
		conn *grpc.ClientConn
		want codes.Code
	}{
		{"no client certificate", dialTLS(t, r.grpcAddr, pki.ClientTLS(t, nil)), codes.Unauthenticated},
		{"a client that is not allowed", dialTLS(t, r.grpcAddr, pki.ClientTLS(t, &snapshotCert)), codes.PermissionDenied},
		{"a certificate of another CA", dialTLS(t, r.grpcAddr, strangerTLS), codes.Unavailable}, // refused in the handshake
		{"plaintext", plaintext(t, r.grpcAddr), codes.Unavailable},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			if err := ingestOne(ctx, tc.conn, uuid.New()); status.Code(err) != tc.want {
				t.Errorf("IngestStrokes: %v, want %s", err, tc.want)
			}
			_, err := realtimev1.NewRealtimeServiceClient(tc.conn).CloseRoom(ctx, &realtimev1.CloseRoomRequest{RoomId: room.String(), Purge: true})
			if status.Code(err) != tc.want {
				t.Errorf("CloseRoom(purge): %v, want %s", err, tc.want)
			}
		})
	}
	if page, err := api.GetEvents(ctx, &realtimev1.GetEventsRequest{RoomId: room.String()}); err != nil || len(page.GetEvents()) != 1 {
		t.Fatalf("the refused purges must have deleted nothing: %v %+v", err, page)
	}
	if _, err := api.CloseRoom(ctx, &realtimev1.CloseRoomRequest{RoomId: room.String(), Purge: true}); err != nil {
		t.Fatalf("the gateway's purge: %v", err)
	}

	// Health and reflection with the CA alone.
	anonymous := dialTLS(t, r.grpcAddr, pki.ClientTLS(t, nil))
	for _, service := range []string{"", realtimev1.RealtimeService_ServiceDesc.ServiceName} {
		h, err := healthpb.NewHealthClient(anonymous).Check(ctx, &healthpb.HealthCheckRequest{Service: service})
		if err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("health %q without a client certificate: %v %v", service, err, h.GetStatus())
		}
	}
	if got := localtest.ListServices(ctx, t, anonymous); !slices.Contains(got, realtimev1.RealtimeService_ServiceDesc.ServiceName) {
		t.Errorf("reflection without a client certificate lists %v", got)
	}
}

// serverSerial makes one call on a new connection and returns the serial number of the certificate the
// server presented.
func serverSerial(ctx context.Context, t *testing.T, addr string, cfg *tls.Config) (*big.Int, error) {
	t.Helper()
	var p peer.Peer
	if err := ingestOne(ctx, dialTLS(t, addr, cfg), uuid.New(), grpc.Peer(&p)); err != nil {
		return nil, err
	}
	return p.AuthInfo.(credentials.TLSInfo).State.PeerCertificates[0].SerialNumber, nil
}

// Rotated files (cert-manager renewing a certificate, an operator renewing the CA) apply to the next
// connection without a restart.
func TestInternalTLSFollowsRotatedFiles(t *testing.T) {
	pki := localtest.NewPKI(t)
	serverCert := pki.Issue(t, "realtime")
	r := startReplica(t, pki.Env(serverCert, "gateway")...)
	oldGateway := pki.Issue(t, "gateway")
	oldGatewayTLS := pki.ClientTLS(t, &oldGateway)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	if got, err := serverSerial(ctx, t, r.grpcAddr, oldGatewayTLS); err != nil || got.Cmp(serverCert.Serial) != 0 {
		t.Fatalf("first certificate: serial %v, %v", got, err)
	}
	renewed := pki.Issue(t, "realtime")
	if got, err := serverSerial(ctx, t, r.grpcAddr, oldGatewayTLS); err != nil || got.Cmp(renewed.Serial) != 0 {
		t.Fatalf("after renewal a new connection got serial %v (%v), want %v", got, err, renewed.Serial)
	}

	pki.RenewCA(t)
	onNewCA := pki.Issue(t, "realtime")
	newGateway := pki.Issue(t, "gateway")
	if got, err := serverSerial(ctx, t, r.grpcAddr, pki.ClientTLS(t, &newGateway)); err != nil || got.Cmp(onNewCA.Serial) != 0 {
		t.Fatalf("after the CA's renewal a client of the new CA got serial %v (%v), want %v", got, err, onNewCA.Serial)
	}
	stale := pki.ClientTLS(t, nil)
	stale.Certificates = oldGatewayTLS.Certificates // signed by the CA that was replaced
	if _, err := serverSerial(ctx, t, r.grpcAddr, stale); status.Code(err) != codes.Unavailable {
		t.Fatalf("a client certificate of the replaced CA: %v, want a failed handshake", err)
	}
}

// Bad internal TLS files stop the service at start, naming the file.
func TestBadInternalTLSFilesRefuseToStart(t *testing.T) {
	pki := localtest.NewPKI(t)
	cert := pki.Issue(t, "realtime")
	mismatched := localtest.CertFiles{Cert: cert.Cert, Key: pki.Issue(t, "other").Key}
	missing := localtest.CertFiles{Cert: cert.Cert + ".missing", Key: cert.Key}
	for _, files := range []localtest.CertFiles{mismatched, missing} {
		err := run(context.Background(), nil, replicaEnv(freeAddr(t), freeAddr(t), pki.Env(files)...))
		if err == nil || !strings.Contains(err.Error(), files.Cert) {
			t.Errorf("start with %+v: %v, want an error naming %s", files, err, files.Cert)
		}
	}
}
