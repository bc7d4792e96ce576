package deploy

// Secrets read and created, and the generated gateway signing key.

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

func checkSecrets(t *testing.T, s set, want expect) {
	rendered := map[string]*corev1.Secret{}
	for _, sec := range ofType[*corev1.Secret](s) {
		rendered[sec.Name] = sec
	}
	used := map[string]bool{}
	for _, p := range podTemplates(s) {
		for _, c := range allContainers(p.spec) {
			for _, e := range c.Env {
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
					ref := e.ValueFrom.SecretKeyRef
					used[ref.Name] = true
					if sec, ok := rendered[ref.Name]; ok {
						_, inData := sec.Data[ref.Key]
						_, inString := sec.StringData[ref.Key]
						if !inData && !inString {
							t.Errorf("%s: Secret %s has no key %s", p.owner, ref.Name, ref.Key)
						}
					}
				}
			}
		}
		for _, v := range p.spec.Volumes {
			if v.Secret != nil {
				used[v.Secret.SecretName] = true
			}
		}
	}
	for _, ing := range ofType[*networkingv1.Ingress](s) {
		for _, tls := range ing.Spec.TLS {
			used[tls.SecretName] = true
		}
	}
	var external []string
	for name := range used {
		if _, ok := rendered[name]; !ok {
			external = append(external, name)
		}
	}
	slices.Sort(external)
	wantExternal := slices.Sorted(slices.Values(want.externalSecrets))
	if !slices.Equal(external, wantExternal) {
		t.Errorf("Secrets read but not created: %v, want %v", external, wantExternal)
	}
	keys, ok := rendered[objName("gateway-keys")]
	if ok != want.generatedKeys {
		t.Fatalf("gateway key Secret rendered=%v, want %v", ok, want.generatedKeys)
	}
	if ok {
		if len(keys.StringData) != 1 {
			t.Fatalf("gateway key Secret: want one generated key, got %d", len(keys.StringData))
		}
		for file, value := range keys.StringData {
			// The format the gateway's CLI writes, stamped in UTC: the newest stamp signs.
			stamp, found := strings.CutPrefix(strings.TrimSuffix(file, ".pem"), "ed25519-")
			if at, err := time.Parse("20060102T150405Z", stamp); !found || err != nil || time.Since(at).Abs() > time.Hour {
				t.Errorf("gateway key file %s is not ed25519-<UTC YYYYMMDDTHHMMSSZ of now>.pem", file)
			}
			block, _ := pem.Decode([]byte(value))
			if block == nil {
				t.Fatalf("gateway key %s is not PEM", file)
			}
			key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if _, isEd := key.(ed25519.PrivateKey); err != nil || !isEd {
				t.Errorf("gateway key %s is not an Ed25519 PKCS#8 key (%T, %v)", file, key, err)
			}
		}
	}
}
