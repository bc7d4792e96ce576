package localtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// PKI is a throwaway certificate authority for tests of internal mutual TLS: its certificate is written
// to CAFile, and Issue signs certificates for servers and clients with it.
type PKI struct {
	CAFile string
	dir    string
	cert   *x509.Certificate
	key    *ecdsa.PrivateKey
}

// CertFiles are the PEM files of one issued certificate.
type CertFiles struct {
	Cert, Key string
	// Serial identifies this certificate (a reissue under the same name has a new one).
	Serial *big.Int
}

// NewPKI creates a CA in a fresh temporary directory.
func NewPKI(t testing.TB) *PKI {
	t.Helper()
	p := &PKI{dir: t.TempDir()}
	p.CAFile = filepath.Join(p.dir, "ca.crt")
	p.RenewCA(t)
	return p
}

// RenewCA replaces the CA by a new one (new key) in the same CAFile, as an operator rotating the
// CA would: certificates issued from now on are signed by the new CA only.
func (p *PKI) RenewCA(t testing.TB) {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          serial(t),
		Subject:               pkix.Name{CommonName: "infidraw test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	p.cert, p.key = cert, key
	writePEM(t, p.CAFile, "CERTIFICATE", der)
}

// Issue signs a certificate for name, usable as a server certificate on 127.0.0.1 and localhost and
// as a client certificate: its DNS names are name and localhost, its IP address 127.0.0.1. Issuing the
// same name again replaces the files (a rotation).
func (p *PKI) Issue(t testing.TB, name string) CertFiles {
	t.Helper()
	files := CertFiles{Cert: filepath.Join(p.dir, name+".crt"), Key: filepath.Join(p.dir, name+".key"), Serial: serial(t)}
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: files.Serial,
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name, "localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.cert, &key.PublicKey, p.key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	// Key first: a reader that sees the new certificate finds its key already there (one that sees the
	// new key with the old certificate must retry).
	writePEM(t, files.Key, "PRIVATE KEY", pkcs8)
	writePEM(t, files.Cert, "CERTIFICATE", der)
	return files
}

// Env is the INTERNAL_TLS_* environment of a service using files, accepting the allowed client names.
func (p *PKI) Env(files CertFiles, allowed ...string) []string {
	env := []string{"INTERNAL_TLS_CERT_FILE=" + files.Cert, "INTERNAL_TLS_KEY_FILE=" + files.Key, "INTERNAL_TLS_CA_FILE=" + p.CAFile}
	if len(allowed) > 0 {
		env = append(env, "INTERNAL_TLS_ALLOWED_CLIENTS="+strings.Join(allowed, ","))
	}
	return env
}

// ClientTLS is a TLS configuration trusting this CA (as it is now) and presenting files, if given.
func (p *PKI) ClientTLS(t testing.TB, files *CertFiles) *tls.Config {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(p.cert)
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13}
	if files != nil {
		cert, err := tls.LoadX509KeyPair(files.Cert, files.Key)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func serial(t testing.TB) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// writePEM replaces path atomically (write, then rename), as Kubernetes swaps a mounted Secret.
func writePEM(t testing.TB, path, blockType string, der []byte) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}
