package deploy

// helm test pods check every gRPC service's health with grpcurl.

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func checkHelmTests(t *testing.T, s set, want expect) {
	seen := map[string]bool{}
	for _, pod := range ofType[*corev1.Pod](s) {
		if pod.Annotations["helm.sh/hook"] != "test" {
			t.Errorf("Pod %s is not a helm test hook", pod.Name)
			continue
		}
		script := strings.Join(append(append([]string{}, pod.Spec.Containers[0].Command...), pod.Spec.Containers[0].Args...), " ")
		if !strings.Contains(pod.Spec.Containers[0].Image, "grpcurl") || !strings.Contains(script, "grpcurl") {
			t.Errorf("test Pod %s does not use grpcurl", pod.Name)
		}
		// Under internal TLS health and reflection need the CA alone: the test pod holds no key.
		if tls := want.internalTLS != ""; tls != strings.Contains(script, "-cacert /etc/infidraw/tls/ca.crt") || tls == strings.Contains(script, "-plaintext") {
			t.Errorf("test Pod %s: internal TLS %v but script %q", pod.Name, tls, script)
		}
		for _, v := range pod.Spec.Volumes {
			if v.Secret != nil && (len(v.Secret.Items) != 1 || v.Secret.Items[0].Key != "ca.crt") {
				t.Errorf("test Pod %s mounts more of Secret %s than ca.crt", pod.Name, v.Secret.SecretName)
			}
		}
		for _, c := range components {
			if c.grpcPort == 0 {
				continue
			}
			target := fmt.Sprintf("%s:%d", objName(c.name), c.grpcPort)
			if strings.Contains(script, target) && strings.Contains(script, "grpc.health.v1.Health/Check") &&
				strings.Contains(script, c.grpcService) && strings.Contains(script, `"status": "SERVING"`) {
				seen[c.name] = true
			}
		}
	}
	for _, c := range components {
		if c.grpcPort != 0 && !seen[c.name] {
			t.Errorf("no helm test checks %s's gRPC health (%s) with grpcurl", c.name, c.grpcService)
		}
	}
}
