package deploy

// helm lint --strict on every example, and values the schema must refuse.

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func TestHelmLintStrict(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"-f", filepath.Join(ChartDir(), "examples", "evaluation.yaml")},
		{"-f", filepath.Join(ChartDir(), "examples", "production.yaml")},
		{"-f", filepath.Join(ChartDir(), "examples", "gateway-api.yaml")},
	} {
		t.Run(fmt.Sprint(args), func(t *testing.T) {
			out, err := Run("helm", append([]string{"lint", "--strict", ChartDir()}, args...)...)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(out), "0 chart(s) failed") {
				t.Fatalf("helm lint: %s", out)
			}
		})
	}
}

func TestSchemaRejectsBadValues(t *testing.T) {
	for _, set := range []string{
		"unknownKey=1",
		"gateway.unknown=1",
		"logLevel=verbose",
		"postgresql.password=p@ss/word",
		"postgresql.sslMode=sometimes",
		"realtime.ports.grpc=70000",
		"objectStore.s3.bucket=Not_A_Bucket",
		"gateway.trustedProxies={ingress-nginx}",
		"gateway.extraAllowedOrigins={https://draw.example.com/app}",
		"gateway.guestRetentionDays=0",
		"tileDelta.snapshotUrlTTL=soon",
		// Keys are named as the gateway's CLI names them, so that the newest UTC stamp signs.
		"gateway.signingKeys.keys.signing-key\\.pem=-----BEGIN PRIVATE KEY-----",
		"internalTLS.source=vault",
		"internalTLS.certManager.issuerRef.kind=Vault",
		"internalTLS.source=certManager",     // no issuerRef.name
		"internalTLS.source=existingSecrets", // no Secret names
	} {
		t.Run(set, func(t *testing.T) {
			if _, err := HelmTemplate("--set", set); err == nil {
				t.Fatalf("helm template --set %s succeeded; values.schema.json (or a required value) should refuse it", set)
			}
		})
	}
}
