package service

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/infidraw/infidraw/shared-go/localtest"
)

// echoServer serves every method but health and reflection by echoing one message, behind the internal
// TLS of m.
func echoServer(t *testing.T, m *MutualTLS) string {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := NewGRPCServer(NewGRPCMetrics(prometheus.NewRegistry()), NewReadiness(log, nil), m,
		grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
			var msg emptypb.Empty
			if err := stream.RecvMsg(&msg); err != nil {
				return err
			}
			return stream.SendMsg(&msg)
		}))
	ln, err := net.Listen("tcp", localtest.FreeAddr(t))
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(s.Stop)
	return ln.Addr().String()
}

// call makes one call to an infidraw-like method over a new connection dialled with m's credentials.
func call(ctx context.Context, t *testing.T, addr string, m *MutualTLS) error {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(DialCredentials(m)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.Invoke(ctx, "/infidraw.test.v1.Echo/Echo", &emptypb.Empty{}, &emptypb.Empty{})
}

func load(t *testing.T, pki *localtest.PKI, files localtest.CertFiles, allowed ...string) *MutualTLS {
	t.Helper()
	m, err := InternalTLS{CertFile: files.Cert, KeyFile: files.Key, CAFile: pki.CAFile, AllowedClients: allowed}.Load(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A client (tile-delta-go dialling snapshot-rs) re-reads its files too: after the CA and every
// certificate were renewed, its next connection presents the new certificate and trusts the new CA.
func TestClientCredentialsFollowRotatedFiles(t *testing.T) {
	pki := localtest.NewPKI(t)
	addr := echoServer(t, load(t, pki, pki.Issue(t, "server"), "client"))
	client := load(t, pki, pki.Issue(t, "client"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := call(ctx, t, addr, client); err != nil {
		t.Fatalf("before the rotation: %v", err)
	}
	if err := call(ctx, t, addr, nil); status.Code(err) != codes.Unavailable {
		t.Fatalf("plaintext to a TLS port: %v", err)
	}

	pki.RenewCA(t)
	pki.Issue(t, "server")
	pki.Issue(t, "client")
	// Both sides must have re-read: the old CA does not verify the new server certificate, and the new CA
	// does not verify the old client certificate.
	if err := call(ctx, t, addr, client); err != nil {
		t.Fatalf("after the rotation: %v", err)
	}
}
