package service

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// InternalTLS names the PEM files of a service's mutual TLS on internal gRPC (docs/contracts.md): its own
// certificate and key, and the CA that signs the certificates of every infidraw service. Without them
// (local development, tests) internal gRPC is plaintext and listens on loopback only.
type InternalTLS struct {
	CertFile, KeyFile, CAFile string
	// AllowedClients, when not empty, are the names a client certificate must carry (as a DNS
	// subjectAltName) to call infidraw methods; empty: any certificate the CA signed.
	AllowedClients []string
}

// Enabled reports whether the files are configured.
func (c InternalTLS) Enabled() bool { return c.CertFile != "" }

// InternalTLS reads INTERNAL_TLS_CERT_FILE, INTERNAL_TLS_KEY_FILE and INTERNAL_TLS_CA_FILE (all three or
// none) and INTERNAL_TLS_ALLOWED_CLIENTS (comma-separated, only with the files).
func (e *Env) InternalTLS() InternalTLS {
	c := InternalTLS{
		CertFile: e.String("INTERNAL_TLS_CERT_FILE", ""),
		KeyFile:  e.String("INTERNAL_TLS_KEY_FILE", ""),
		CAFile:   e.String("INTERNAL_TLS_CA_FILE", ""),
	}
	for _, name := range strings.Split(e.String("INTERNAL_TLS_ALLOWED_CLIENTS", ""), ",") {
		if name = strings.TrimSpace(name); name != "" {
			c.AllowedClients = append(c.AllowedClients, name)
		}
	}
	set := 0
	for _, f := range []string{c.CertFile, c.KeyFile, c.CAFile} {
		if f != "" {
			set++
		}
	}
	if set != 0 && set != 3 {
		e.Fail(errors.New("INTERNAL_TLS_CERT_FILE, INTERNAL_TLS_KEY_FILE and INTERNAL_TLS_CA_FILE: set all three or none"))
	}
	if set != 3 && len(c.AllowedClients) > 0 {
		e.Fail(errors.New("INTERNAL_TLS_ALLOWED_CLIENTS needs INTERNAL_TLS_CERT_FILE, INTERNAL_TLS_KEY_FILE and INTERNAL_TLS_CA_FILE"))
	}
	return c
}

// MutualTLS is a service's loaded internal TLS: server credentials that ask for a client certificate,
// client credentials that present one, and the check that infidraw methods got one. It re-reads the
// files whenever they change (cert-manager and the kubelet replace them in place), checked at every
// handshake: a rotated certificate or CA applies to the next connection; open connections keep theirs.
type MutualTLS struct {
	allowed []string
	log     *slog.Logger
	files   [3]string // cert, key, CA

	mu       sync.Mutex
	stamps   [3]os.FileInfo
	material *tlsMaterial
}

// tlsMaterial is one consistent reading of the three files.
type tlsMaterial struct {
	cert  tls.Certificate
	roots *x509.CertPool
}

// Load reads the files once (an error names the bad one), or returns nil when TLS is not configured.
func (c InternalTLS) Load(log *slog.Logger) (*MutualTLS, error) {
	if !c.Enabled() {
		return nil, nil
	}
	m := &MutualTLS{allowed: c.AllowedClients, log: log, files: [3]string{c.CertFile, c.KeyFile, c.CAFile}}
	if _, err := m.current(); err != nil {
		return nil, err
	}
	return m, nil
}

// current returns the material of the files as they are now, re-reading them when one changed. A
// rotation caught half-written (a new certificate with the old key) keeps the previous material and is
// retried at the next handshake.
func (m *MutualTLS) current() (*tlsMaterial, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var stamps [3]os.FileInfo
	changed := m.material == nil
	for i, f := range m.files {
		fi, err := os.Stat(f)
		if err != nil {
			return m.keep(fmt.Errorf("internal TLS: %w", err))
		}
		stamps[i] = fi
		old := m.stamps[i]
		changed = changed || old == nil || !os.SameFile(old, fi) || !old.ModTime().Equal(fi.ModTime()) || old.Size() != fi.Size()
	}
	if !changed {
		return m.material, nil
	}
	next, err := readMaterial(m.files)
	if err != nil {
		return m.keep(err)
	}
	if m.material != nil {
		m.log.Info("internal TLS files changed: new connections use them", "cert", m.files[0], "not_after", next.cert.Leaf.NotAfter)
	}
	m.material, m.stamps = next, stamps
	return next, nil
}

func (m *MutualTLS) keep(err error) (*tlsMaterial, error) {
	if m.material == nil {
		return nil, err
	}
	m.log.Warn("internal TLS files unreadable: keeping the previous certificates", "err", err)
	return m.material, nil
}

func readMaterial(files [3]string) (*tlsMaterial, error) {
	cert, err := tls.LoadX509KeyPair(files[0], files[1])
	if err != nil {
		return nil, fmt.Errorf("internal TLS: certificate %s with key %s: %w", files[0], files[1], err)
	}
	caPEM, err := os.ReadFile(files[2])
	if err != nil {
		return nil, fmt.Errorf("internal TLS: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("internal TLS: %s holds no PEM certificate", files[2])
	}
	return &tlsMaterial{cert: cert, roots: roots}, nil
}

// serverCredentials ask every client for a certificate signed by the CA but let the handshake succeed
// without one, so that health and reflection answer callers that hold only the CA (probes, grpcurl);
// the interceptors of serverOptions refuse everything else to them.
func (m *MutualTLS) serverCredentials() credentials.TransportCredentials {
	return credentials.NewTLS(&tls.Config{
		MinVersion: tls.VersionTLS13,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			cur, err := m.current()
			if err != nil {
				return nil, err
			}
			return &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cur.cert},
				ClientCAs: cur.roots, ClientAuth: tls.VerifyClientCertIfGiven}, nil
		},
	})
}

// serverOptions are the credentials and the per-method check; interceptors given to NewGRPCServer
// before them run first.
func (m *MutualTLS) serverOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.Creds(m.serverCredentials()),
		grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			if err := m.authorize(ctx, info.FullMethod); err != nil {
				return nil, err
			}
			return h(ctx, req)
		}),
		grpc.ChainStreamInterceptor(func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			if err := m.authorize(ss.Context(), info.FullMethod); err != nil {
				return err
			}
			return h(srv, ss)
		}),
	}
}

// openMethods answer without a client certificate: they reveal the API's shape and readiness, never data.
var openMethods = []string{"/grpc.health.v1.Health/", "/grpc.reflection.v1.ServerReflection/", "/grpc.reflection.v1alpha.ServerReflection/"}

// authorize lets a call through when its method is open or the caller presented a certificate the CA
// signed (verified in the handshake) that names an allowed client.
func (m *MutualTLS) authorize(ctx context.Context, method string) error {
	if slices.ContainsFunc(openMethods, func(p string) bool { return strings.HasPrefix(method, p) }) {
		return nil
	}
	p, _ := peer.FromContext(ctx)
	var info credentials.TLSInfo
	if p != nil {
		info, _ = p.AuthInfo.(credentials.TLSInfo)
	}
	if len(info.State.VerifiedChains) == 0 {
		return status.Error(codes.Unauthenticated, "internal gRPC needs a client certificate signed by the infidraw CA")
	}
	if len(m.allowed) == 0 {
		return nil
	}
	leaf := info.State.VerifiedChains[0][0]
	for _, name := range m.allowed {
		if leaf.VerifyHostname(name) == nil {
			return nil
		}
	}
	return status.Errorf(codes.PermissionDenied, "client certificate %q names none of the allowed clients %v", leaf.Subject.CommonName, m.allowed)
}

// clientCredentials present this service's certificate and trust servers whose certificate the CA
// signed for the name dialled.
func (m *MutualTLS) clientCredentials() credentials.TransportCredentials {
	return reloadingClientCreds{m}
}

// reloadingClientCreds hands each handshake to TLS credentials built from the files as they are then
// (a tls.Config's RootCAs cannot change once it is in use).
type reloadingClientCreds struct{ m *MutualTLS }

func (c reloadingClientCreds) ClientHandshake(ctx context.Context, authority string, conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	cur, err := c.m.current()
	if err != nil {
		return nil, nil, err
	}
	creds := credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cur.cert}, RootCAs: cur.roots})
	return creds.ClientHandshake(ctx, authority, conn)
}

func (reloadingClientCreds) ServerHandshake(net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return nil, nil, errors.New("internal TLS: client credentials cannot accept connections")
}

func (reloadingClientCreds) Info() credentials.ProtocolInfo {
	return credentials.ProtocolInfo{SecurityProtocol: "tls"}
}

func (c reloadingClientCreds) Clone() credentials.TransportCredentials { return c }

// OverrideServerName is deprecated in grpc-go and unused: the name dialled is the name verified.
func (reloadingClientCreds) OverrideServerName(string) error {
	return errors.New("internal TLS: the server name is the name dialled")
}

// DialCredentials are what a Go service dials internal gRPC with: m's client credentials, or
// plaintext when internal TLS is not configured (m is nil).
func DialCredentials(m *MutualTLS) credentials.TransportCredentials {
	if m == nil {
		return insecure.NewCredentials()
	}
	return m.clientCredentials()
}
