package deploy

// Deployments and their probes, Services, autoscalers and disruption budgets.

import (
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
)

func deployment(t *testing.T, s set, c component) *appsv1.Deployment {
	t.Helper()
	d, ok := byName[*appsv1.Deployment](s, objName(c.name))
	if !ok {
		t.Fatalf("Deployment %s missing; have %v", objName(c.name), names(ofType[*appsv1.Deployment](s)))
	}
	return d
}

func checkDeployments(t *testing.T, s set, want expect) {
	for _, c := range components {
		d := deployment(t, s, c)
		spec := d.Spec.Template.Spec
		if len(spec.Containers) != 1 {
			t.Fatalf("%s: want one container, got %d", d.Name, len(spec.Containers))
		}
		ctr := spec.Containers[0]
		if got, _ := containerPort(spec, "http"); got != c.httpPort {
			t.Errorf("%s: http port %d, want %d", d.Name, got, c.httpPort)
		}
		if c.grpcPort != 0 {
			if got, _ := containerPort(spec, "grpc"); got != c.grpcPort {
				t.Errorf("%s: grpc port %d, want %d", d.Name, got, c.grpcPort)
			}
		}
		if ctr.LivenessProbe == nil || ctr.ReadinessProbe == nil || ctr.StartupProbe == nil {
			t.Fatalf("%s: liveness, readiness and startup probes must all be set", d.Name)
		}
		// HTTP probes for every service: kubelet gRPC probes cannot speak TLS, and /healthz reports the same
		// readiness as grpc.health.v1.
		for what, p := range map[string]*corev1.Probe{"readiness": ctr.ReadinessProbe, "startup": ctr.StartupProbe} {
			if p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" || p.HTTPGet.Port.String() != "http" {
				t.Errorf("%s: %s probe is not HTTP GET /healthz on the http port: %+v", d.Name, what, p.ProbeHandler)
			}
		}
		if ctr.LivenessProbe.HTTPGet == nil && ctr.LivenessProbe.TCPSocket == nil {
			t.Errorf("%s: liveness probe is neither HTTP nor TCP", d.Name)
		}
		if want.autoscaling && d.Spec.Replicas != nil {
			t.Errorf("%s: sets replicas although an HPA owns them (helm upgrade would fight the HPA)", d.Name)
		}
		if !want.autoscaling && (d.Spec.Replicas == nil || *d.Spec.Replicas < 1) {
			t.Errorf("%s: no replicas without HPA", d.Name)
		}
		if d.Spec.Strategy.RollingUpdate == nil || d.Spec.Strategy.RollingUpdate.MaxUnavailable.IntValue() != 0 {
			t.Errorf("%s: rolling updates must not take pods down before new ones are ready", d.Name)
		}
		if ctr.Lifecycle == nil || ctr.Lifecycle.PreStop == nil || ctr.Lifecycle.PreStop.Sleep == nil {
			t.Errorf("%s: no preStop sleep (endpoints must drop the pod before SIGTERM)", d.Name)
		}
		if !slices.ContainsFunc(ctr.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == "/tmp" }) {
			t.Errorf("%s: read-only root filesystem without a writable /tmp", d.Name)
		}
		if len(spec.TopologySpreadConstraints) == 0 {
			t.Errorf("%s: no topology spread constraints", d.Name)
		}
	}
}

func checkServices(t *testing.T, s set) {
	for _, svc := range ofType[*corev1.Service](s) {
		if len(svc.Spec.Selector) == 0 {
			t.Errorf("Service %s has no selector", svc.Name)
			continue
		}
		pods := podsSelectedBy(s, labels.SelectorFromSet(svc.Spec.Selector))
		if len(pods) != 1 {
			t.Errorf("Service %s selects %d workloads, want 1", svc.Name, len(pods))
			continue
		}
		for _, p := range svc.Spec.Ports {
			if p.Name == "" {
				t.Errorf("Service %s: unnamed port %d", svc.Name, p.Port)
			}
			if p.TargetPort.StrVal == "" {
				t.Errorf("Service %s port %s: targetPort should name the container port", svc.Name, p.Name)
				continue
			}
			if _, ok := containerPort(pods[0].spec, p.TargetPort.StrVal); !ok {
				t.Errorf("Service %s port %s: %s has no container port %q", svc.Name, p.Name, pods[0].owner, p.TargetPort.StrVal)
			}
		}
	}
	for _, c := range components {
		svc, ok := byName[*corev1.Service](s, objName(c.name))
		if !ok {
			t.Errorf("Service %s missing", objName(c.name))
			continue
		}
		wantPorts := map[string]int32{"http": c.httpPort}
		if c.grpcPort != 0 {
			wantPorts["grpc"] = c.grpcPort
			h, ok := byName[*corev1.Service](s, objName(c.name)+"-headless")
			if !ok || h.Spec.ClusterIP != corev1.ClusterIPNone {
				t.Errorf("%s: headless Service for client-side gRPC balancing missing", c.name)
			}
		}
		for _, p := range svc.Spec.Ports {
			if wantPorts[p.Name] != p.Port {
				t.Errorf("Service %s: port %s=%d, want %d", svc.Name, p.Name, p.Port, wantPorts[p.Name])
			}
			delete(wantPorts, p.Name)
		}
		if len(wantPorts) > 0 {
			t.Errorf("Service %s lacks ports %v", svc.Name, wantPorts)
		}
	}
}

func checkHPAAndPDB(t *testing.T, s set, want expect) {
	for _, c := range components {
		d := deployment(t, s, c)
		podLabels := labels.Set(d.Spec.Template.Labels)
		pdb, ok := byName[*policyv1.PodDisruptionBudget](s, d.Name)
		if !ok {
			t.Errorf("%s: no PodDisruptionBudget", d.Name)
		} else {
			if !selectorOf(t, pdb.Spec.Selector).Matches(podLabels) {
				t.Errorf("PDB %s does not select the pods of %s", pdb.Name, d.Name)
			}
			if pdb.Spec.MaxUnavailable == nil && pdb.Spec.MinAvailable == nil {
				t.Errorf("PDB %s sets neither maxUnavailable nor minAvailable", pdb.Name)
			}
		}
		hpa, ok := byName[*autoscalingv2.HorizontalPodAutoscaler](s, d.Name)
		if !want.autoscaling {
			if ok {
				t.Errorf("%s: HPA rendered although autoscaling is off", d.Name)
			}
			continue
		}
		if !ok {
			t.Errorf("%s: no HorizontalPodAutoscaler", d.Name)
			continue
		}
		ref := hpa.Spec.ScaleTargetRef
		if ref.Kind != "Deployment" || ref.Name != d.Name || ref.APIVersion != "apps/v1" {
			t.Errorf("HPA %s targets %+v", hpa.Name, ref)
		}
		if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas < 2 || hpa.Spec.MaxReplicas <= *hpa.Spec.MinReplicas {
			t.Errorf("HPA %s: replicas %v..%d: want at least 2 and room to grow", hpa.Name, hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas)
		}
		cpu := slices.ContainsFunc(hpa.Spec.Metrics, func(m autoscalingv2.MetricSpec) bool {
			return m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource.Name == corev1.ResourceCPU &&
				m.Resource.Target.Type == autoscalingv2.UtilizationMetricType && m.Resource.Target.AverageUtilization != nil
		})
		if !cpu {
			t.Errorf("HPA %s does not scale on CPU utilization", hpa.Name)
		}
		if c.name == "realtime" {
			conns := slices.ContainsFunc(hpa.Spec.Metrics, func(m autoscalingv2.MetricSpec) bool {
				return m.Type == autoscalingv2.PodsMetricSourceType && m.Pods.Metric.Name == "realtime_connections"
			})
			if conns != want.connectionsMetric {
				t.Errorf("HPA %s: connections metric %v, want %v", hpa.Name, conns, want.connectionsMetric)
			}
			b := hpa.Spec.Behavior
			if b == nil || b.ScaleDown == nil || b.ScaleDown.StabilizationWindowSeconds == nil || *b.ScaleDown.StabilizationWindowSeconds < 300 {
				t.Errorf("HPA %s: scaling in drops WebSockets and must be slow (scaleDown stabilization >= 300 s)", hpa.Name)
			}
		}
	}
}
