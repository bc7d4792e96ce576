package deploy

// The ServiceMonitor scrapes every service's /metrics.

import (
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

func checkServiceMonitor(t *testing.T, s set, want expect) {
	sms := ofType[*monitoringv1.ServiceMonitor](s)
	if want.serviceMonitor != (len(sms) == 1) {
		t.Fatalf("want serviceMonitor=%v, got %v", want.serviceMonitor, names(sms))
	}
	for _, sm := range sms {
		sel := selectorOf(t, &sm.Spec.Selector)
		scraped := map[string]bool{}
		for _, svc := range ofType[*corev1.Service](s) {
			if !sel.Matches(labels.Set(svc.Labels)) {
				continue
			}
			for _, p := range svc.Spec.Ports {
				for _, ep := range sm.Spec.Endpoints {
					if ep.Port == p.Name && ep.Path == "/metrics" {
						scraped[svc.Labels["app.kubernetes.io/component"]] = true
					}
				}
			}
		}
		for _, c := range components {
			if !scraped[c.name] {
				t.Errorf("ServiceMonitor %s does not scrape %s /metrics", sm.Name, c.name)
			}
		}
	}
}
