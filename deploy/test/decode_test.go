package deploy

import (
	"strings"
	"testing"
)

// The strict decoder is what every render test relies on: prove that it refuses what it must.
func TestDecodeStrictRejects(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown field": `apiVersion: apps/v1
kind: Deployment
metadata: {name: x}
spec:
  replicas: 1
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      containers: [{name: c, image: i:1, readinessProbe: {grpc: {port: 1}, periodSecond: 5}}]
`,
		"duplicate field":      "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec:\n  type: ClusterIP\n  type: NodePort\n",
		"unknown kind":         "apiVersion: v1\nkind: Servic\nmetadata: {name: x}\n",
		"wrong type":           "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: [{port: http}]}\n",
		"unknown group":        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: x}\n",
		"gateway-api field":    "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: x}\nspec: {rules: [{timeout: {request: 0s}}]}\n",
		"servicemonitor field": "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: x}\nspec: {selector: {}, endpoint: []}\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := DecodeStrict([]byte(doc)); err == nil {
				t.Fatalf("accepted:\n%s", doc)
			}
		})
	}
	objs, err := DecodeStrict([]byte("# only a comment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n"))
	if err != nil || len(objs) != 1 || !strings.Contains(kindOf(objs[0].Obj), "ConfigMap") {
		t.Fatalf("a valid stream: %v %v", objs, err)
	}
}
