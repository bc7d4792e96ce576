package deploy

import (
	"crypto/x509"
	"encoding/pem"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// admitted are the client components each service admits for its infidraw methods (docs/contracts.md):
// realtime and tile-delta are called by the gateway, snapshot renders for tile-delta.
var admitted = map[string][]string{"gateway": nil, "realtime": {"gateway"}, "tile-delta": {"gateway"}, "snapshot": {"tile-delta"}}

// dnsNames a component's certificate must carry: the names its clients dial (Services, headless included).
func dnsNames(component string) []string {
	svc := objName(component)
	return []string{svc, svc + ".infidraw", svc + ".infidraw.svc", svc + "-headless", svc + "-headless.infidraw", svc + "-headless.infidraw.svc"}
}

const tlsDir = "/etc/infidraw/tls"

func checkInternalTLS(t *testing.T, s set, want expect) {
	secretOf := map[string]string{} // component -> Secret mounted as its internal TLS
	for _, c := range components {
		d := deployment(t, s, c)
		ctr := d.Spec.Template.Spec.Containers[0]
		files := map[string]string{"INTERNAL_TLS_CERT_FILE": tlsDir + "/tls.crt", "INTERNAL_TLS_KEY_FILE": tlsDir + "/tls.key", "INTERNAL_TLS_CA_FILE": tlsDir + "/ca.crt"}
		mount := slices.IndexFunc(ctr.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == tlsDir })
		if want.internalTLS == "" {
			for name := range files {
				if _, ok := envVar(ctr, name); ok {
					t.Errorf("%s: %s set although internal TLS is off", d.Name, name)
				}
			}
			if mount >= 0 {
				t.Errorf("%s: mounts %s although internal TLS is off", d.Name, tlsDir)
			}
			continue
		}
		for name, path := range files {
			if v, _ := envValue(ctr, name); v != path {
				t.Errorf("%s: %s=%q, want %s", d.Name, name, v, path)
			}
		}
		allowed, _ := envValue(ctr, "INTERNAL_TLS_ALLOWED_CLIENTS")
		var wantAllowed []string
		for _, client := range admitted[c.name] {
			wantAllowed = append(wantAllowed, objName(client))
		}
		if allowed != strings.Join(wantAllowed, ",") {
			t.Errorf("%s: INTERNAL_TLS_ALLOWED_CLIENTS=%q, want %q", d.Name, allowed, strings.Join(wantAllowed, ","))
		}
		if mount < 0 || !ctr.VolumeMounts[mount].ReadOnly || ctr.VolumeMounts[mount].SubPath != "" {
			t.Errorf("%s: %s must be a read-only mount of the whole Secret (a subPath never sees renewals)", d.Name, tlsDir)
			continue
		}
		for _, v := range d.Spec.Template.Spec.Volumes {
			if v.Name == ctr.VolumeMounts[mount].Name && v.Secret != nil && len(v.Secret.Items) == 0 {
				secretOf[c.name] = v.Secret.SecretName
			}
		}
		if secretOf[c.name] == "" {
			t.Errorf("%s: %s is not a whole Secret", d.Name, tlsDir)
		}
	}
	switch want.internalTLS {
	case "generate":
		checkGeneratedCertificates(t, s, secretOf)
	case "certManager":
		for _, c := range components {
			cert, ok := byName[*Certificate](s, secretOf[c.name])
			if !ok {
				t.Errorf("%s: no cert-manager Certificate for Secret %s", c.name, secretOf[c.name])
				continue
			}
			sp := cert.Spec
			if sp.SecretName != secretOf[c.name] || !slices.Equal(sp.DNSNames, dnsNames(c.name)) || sp.IssuerRef.Name == "" ||
				!slices.Contains(sp.Usages, "server auth") || !slices.Contains(sp.Usages, "client auth") ||
				sp.PrivateKey == nil || sp.PrivateKey.RotationPolicy != "Always" || sp.RenewBefore == nil || sp.Duration == nil ||
				sp.RenewBefore.Duration >= sp.Duration.Duration {
				t.Errorf("Certificate %s: %+v", cert.Name, sp)
			}
		}
	default: // Secrets made outside the release: nothing rendered.
		if certs := ofType[*Certificate](s); len(certs) > 0 {
			t.Errorf("Certificates rendered: %v", names(certs))
		}
	}
}

// checkGeneratedCertificates: one CA, and per service a certificate it signed for the service's names, for
// serving and calling, whose name each admitted client list accepts.
func checkGeneratedCertificates(t *testing.T, s set, secretOf map[string]string) {
	caSecret, ok := byName[*corev1.Secret](s, objName("internal-ca"))
	if !ok {
		t.Fatalf("no Secret %s", objName("internal-ca"))
	}
	ca := parseCert(t, caSecret.Name, caSecret.Data["tls.crt"])
	if !ca.IsCA {
		t.Fatalf("%s is not a CA", caSecret.Name)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	leaves := map[string]*x509.Certificate{}
	for _, c := range components {
		sec, ok := byName[*corev1.Secret](s, secretOf[c.name])
		if !ok {
			t.Errorf("%s: Secret %s not rendered", c.name, secretOf[c.name])
			continue
		}
		if string(sec.Data["ca.crt"]) != string(caSecret.Data["tls.crt"]) || len(sec.Data["tls.key"]) == 0 {
			t.Errorf("Secret %s: want tls.key and the CA as ca.crt", sec.Name)
		}
		leaf := parseCert(t, sec.Name, sec.Data["tls.crt"])
		leaves[c.name] = leaf
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}); err != nil {
			t.Errorf("Secret %s: certificate does not verify for serving and calling: %v", sec.Name, err)
		}
		for _, name := range dnsNames(c.name) {
			if leaf.VerifyHostname(name) != nil {
				t.Errorf("Secret %s: certificate is not valid for %s", sec.Name, name)
			}
		}
	}
	// The name each service admits its clients by is in the clients' certificates (and in nobody else's).
	for server, clients := range admitted {
		for _, c := range components {
			leaf := leaves[c.name]
			if leaf == nil {
				continue
			}
			accepted := false
			for _, client := range clients {
				accepted = accepted || leaf.VerifyHostname(objName(client)) == nil
			}
			if accepted != slices.Contains(clients, c.name) {
				t.Errorf("%s admits the certificate of %s: %v, want %v", server, c.name, accepted, !accepted)
			}
		}
	}
}

func parseCert(t *testing.T, what string, data []byte) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatalf("%s: not PEM", what)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return cert
}
