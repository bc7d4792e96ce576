package deploy

// Ingress and HTTPRoute: /ws to realtime-go, the rest to the gateway.

import (
	"fmt"
	"slices"
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func checkRouting(t *testing.T, s set, want expect) {
	ingresses := ofType[*networkingv1.Ingress](s)
	if want.ingress != (len(ingresses) == 1) {
		t.Fatalf("want ingress=%v, got %v", want.ingress, names(ingresses))
	}
	routes := ofType[*gatewayv1.HTTPRoute](s)
	if want.httpRoute != (len(routes) == 1) {
		t.Fatalf("want httpRoute=%v, got %v", want.httpRoute, names(routes))
	}
	backendPort := func(svcName string, name string, number int32) int32 {
		svc, ok := byName[*corev1.Service](s, svcName)
		if !ok {
			t.Errorf("route backend %s is no Service of the release", svcName)
			return 0
		}
		for _, p := range svc.Spec.Ports {
			if (name != "" && p.Name == name) || (name == "" && p.Port == number) {
				return p.Port
			}
		}
		t.Errorf("route backend %s has no port %q/%d", svcName, name, number)
		return 0
	}
	for _, ing := range ingresses {
		if len(ing.Spec.Rules) != 1 || ing.Spec.Rules[0].HTTP == nil {
			t.Fatalf("Ingress %s: want one HTTP rule", ing.Name)
		}
		if ing.Spec.Rules[0].Host != want.host {
			t.Errorf("Ingress %s host %q, want %q", ing.Name, ing.Spec.Rules[0].Host, want.host)
		}
		routes := map[string]string{}
		for _, p := range ing.Spec.Rules[0].HTTP.Paths {
			b := p.Backend.Service
			routes[p.Path] = fmt.Sprintf("%s:%d", b.Name, backendPort(b.Name, b.Port.Name, b.Port.Number))
		}
		if routes["/ws"] != "infidraw-realtime:8081" {
			t.Errorf("Ingress %s: /ws goes to %q, want infidraw-realtime:8081", ing.Name, routes["/ws"])
		}
		if routes["/"] != "infidraw-gateway:8080" {
			t.Errorf("Ingress %s: / goes to %q, want infidraw-gateway:8080", ing.Name, routes["/"])
		}
		for _, k := range []string{"nginx.ingress.kubernetes.io/proxy-read-timeout", "nginx.ingress.kubernetes.io/proxy-send-timeout"} {
			if secs, err := strconv.Atoi(ing.Annotations[k]); err != nil || secs < 3600 {
				t.Errorf("Ingress %s: %s = %q, WebSockets need at least an hour", ing.Name, k, ing.Annotations[k])
			}
		}
		if want.host != "" && (len(ing.Spec.TLS) != 1 || !slices.Contains(ing.Spec.TLS[0].Hosts, want.host)) {
			t.Errorf("Ingress %s: no TLS for %s", ing.Name, want.host)
		}
	}
	for _, r := range routes {
		got := map[string]string{}
		for _, rule := range r.Spec.Rules {
			for _, m := range rule.Matches {
				b := rule.BackendRefs[0]
				got[*m.Path.Value] = fmt.Sprintf("%s:%d", b.Name, backendPort(string(b.Name), "", int32(*b.Port)))
				if *m.Path.Value == "/ws" && (rule.Timeouts == nil || rule.Timeouts.Request == nil || *rule.Timeouts.Request != "0s") {
					t.Errorf("HTTPRoute %s: /ws must disable the request timeout", r.Name)
				}
			}
		}
		if got["/ws"] != "infidraw-realtime:8081" || got["/"] != "infidraw-gateway:8080" {
			t.Errorf("HTTPRoute %s routes %v", r.Name, got)
		}
		if len(r.Spec.ParentRefs) == 0 {
			t.Errorf("HTTPRoute %s has no parentRefs", r.Name)
		}
	}
}
