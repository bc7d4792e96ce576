package deploy

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// flow is a connection between two workloads of the release (by app.kubernetes.io/component).
type flow struct {
	from, to string
	port     int32
}

// A model of NetworkPolicy semantics for pods of one namespace: a connection is allowed when the sender's
// egress and the receiver's ingress both allow it (a direction no policy selects is open).
type netModel struct {
	t        *testing.T
	policies []*networkingv1.NetworkPolicy
	pods     map[string]podTemplate // by component
}

func newNetModel(t *testing.T, s set) netModel {
	m := netModel{t: t, policies: ofType[*networkingv1.NetworkPolicy](s), pods: map[string]podTemplate{}}
	for _, p := range podTemplates(s) {
		m.pods[p.labels["app.kubernetes.io/component"]] = p
	}
	return m
}

func (m netModel) selects(sel metav1.LabelSelector, p podTemplate) bool {
	return selectorOf(m.t, &sel).Matches(labels.Set(p.labels))
}

// peerMatches: a peer selects a pod of the release's namespace only through a podSelector alone;
// namespaceSelector and ipBlock peers stand for other namespaces and the outside.
func (m netModel) peerMatches(peers []networkingv1.NetworkPolicyPeer, p podTemplate) bool {
	if len(peers) == 0 {
		return true
	}
	for _, peer := range peers {
		if peer.PodSelector != nil && peer.NamespaceSelector == nil && peer.IPBlock == nil && m.selects(*peer.PodSelector, p) {
			return true
		}
	}
	return false
}

func (m netModel) portMatches(ports []networkingv1.NetworkPolicyPort, dst podTemplate, port int32) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		if p.Protocol != nil && *p.Protocol != corev1.ProtocolTCP {
			continue
		}
		if p.Port == nil {
			return true
		}
		if p.Port.StrVal != "" {
			if n, ok := containerPort(dst.spec, p.Port.StrVal); ok && n == port {
				return true
			}
			continue
		}
		end := p.Port.IntVal
		if p.EndPort != nil {
			end = *p.EndPort
		}
		if port >= p.Port.IntVal && port <= end {
			return true
		}
	}
	return false
}

func (m netModel) allowed(f flow) bool {
	src, ok1 := m.pods[f.from]
	dst, ok2 := m.pods[f.to]
	if !ok1 || !ok2 {
		m.t.Fatalf("flow %v: unknown workload (have %v)", f, keys(m.pods))
	}
	egressOK, egressSelected := false, false
	ingressOK, ingressSelected := false, false
	for _, np := range m.policies {
		types := np.Spec.PolicyTypes
		if m.selects(np.Spec.PodSelector, src) && slices.Contains(types, networkingv1.PolicyTypeEgress) {
			egressSelected = true
			for _, r := range np.Spec.Egress {
				if m.peerMatches(r.To, dst) && m.portMatches(r.Ports, dst, f.port) {
					egressOK = true
				}
			}
		}
		if m.selects(np.Spec.PodSelector, dst) && slices.Contains(types, networkingv1.PolicyTypeIngress) {
			ingressSelected = true
			for _, r := range np.Spec.Ingress {
				if m.peerMatches(r.From, src) && m.portMatches(r.Ports, dst, f.port) {
					ingressOK = true
				}
			}
		}
	}
	return (egressOK || !egressSelected) && (ingressOK || !ingressSelected)
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func checkNetworkPolicies(t *testing.T, s set, want expect) {
	m := newNetModel(t, s)
	for _, c := range append([]string{"migrations"}, "gateway", "realtime", "tile-delta", "snapshot") {
		p, ok := m.pods[c]
		if !ok {
			t.Fatalf("no workload %s", c)
		}
		var ingress, egress bool
		for _, np := range m.policies {
			if m.selects(np.Spec.PodSelector, p) {
				ingress = ingress || slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress)
				egress = egress || slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
			}
		}
		if !ingress || !egress {
			t.Errorf("%s: not isolated for ingress and egress by a NetworkPolicy", c)
		}
	}
	allow := []flow{
		{"gateway", "realtime", 9091}, {"gateway", "tile-delta", 9092}, {"gateway", "snapshot", 9093},
		{"tile-delta", "snapshot", 9093}, {"realtime", "gateway", 8080},
	}
	deny := []flow{
		{"realtime", "tile-delta", 9092}, {"realtime", "snapshot", 9093}, {"tile-delta", "realtime", 9091},
		{"snapshot", "gateway", 8080}, {"snapshot", "realtime", 9091}, {"snapshot", "tile-delta", 9092},
		{"tile-delta", "gateway", 8080}, {"gateway", "realtime", 8081}, {"migrations", "gateway", 8080},
		{"gateway", "tile-delta", 9192}, {"realtime", "realtime", 9091},
	}
	if want.helm {
		for _, c := range []struct {
			name string
			port int32
		}{{"realtime", 9091}, {"tile-delta", 9092}, {"snapshot", 9093}} {
			allow = append(allow, flow{"test", c.name, c.port})
		}
		deny = append(deny, flow{"test", "gateway", 9999}, flow{"test", "realtime", 8081})
	}
	if want.evaluation {
		allow = append(allow,
			flow{"gateway", "postgresql", 5432}, flow{"realtime", "postgresql", 5432}, flow{"tile-delta", "postgresql", 5432},
			flow{"migrations", "postgresql", 5432}, flow{"gateway", "redis", 6379}, flow{"realtime", "redis", 6379},
			flow{"tile-delta", "s3", 8333})
		deny = append(deny,
			flow{"snapshot", "postgresql", 5432}, flow{"snapshot", "redis", 6379}, flow{"snapshot", "s3", 8333},
			flow{"tile-delta", "redis", 6379}, flow{"gateway", "s3", 8333}, flow{"realtime", "s3", 8333},
			flow{"migrations", "redis", 6379}, flow{"postgresql", "gateway", 8080}, flow{"redis", "realtime", 9091},
			flow{"s3", "tile-delta", 9092})
	}
	for _, f := range allow {
		if !m.allowed(f) {
			t.Errorf("%s -> %s:%d is needed but blocked", f.from, f.to, f.port)
		}
	}
	for _, f := range deny {
		if m.allowed(f) {
			t.Errorf("%s -> %s:%d is not needed but allowed", f.from, f.to, f.port)
		}
	}
	// The internal HTTP ports (metrics) admit only networkPolicy.metricsPeers: nobody by default. (The
	// kubelet's probes come from the node, which NetworkPolicies never block.)
	for _, c := range []struct {
		name string
		port int32
	}{{"tile-delta", 9192}, {"snapshot", 9193}} {
		for _, np := range m.policies {
			if !m.selects(np.Spec.PodSelector, m.pods[c.name]) {
				continue
			}
			for _, r := range np.Spec.Ingress {
				switch {
				case !m.portMatches(r.Ports, m.pods[c.name], c.port):
				case !want.metricsPeers:
					t.Errorf("%s:%d is open to %v although metricsPeers is empty (nobody)", c.name, c.port, r.From)
				case len(r.From) == 0:
					t.Errorf("%s:%d is open to everyone", c.name, c.port)
				}
			}
		}
	}
	// snapshot is a pure renderer: DNS is its only egress.
	for _, np := range m.policies {
		if m.selects(np.Spec.PodSelector, m.pods["snapshot"]) {
			for _, r := range np.Spec.Egress {
				for _, p := range r.Ports {
					if p.Port == nil || p.Port.IntVal != 53 {
						t.Errorf("snapshot may send to %v; it needs DNS only", r)
					}
				}
			}
		}
	}
}
