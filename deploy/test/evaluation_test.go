package deploy

// The in-cluster stores of the evaluation example.

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

func checkEvaluation(t *testing.T, s set, want expect) {
	stores := []string{"postgresql", "redis", "s3"}
	for _, st := range stores {
		_, ok := byName[*corev1.Service](s, objName(st))
		if ok != want.evaluation {
			t.Errorf("evaluation store Service %s rendered=%v, want %v", objName(st), ok, want.evaluation)
		}
	}
	if !want.evaluation {
		return
	}
	for _, name := range []string{objName("postgresql"), objName("s3")} {
		sts, ok := byName[*appsv1.StatefulSet](s, name)
		if !ok || sts.Spec.Replicas == nil || *sts.Spec.Replicas != 1 {
			t.Errorf("StatefulSet %s: want a single replica", name)
		}
	}
	if d, ok := byName[*appsv1.Deployment](s, objName("redis")); !ok || d.Spec.Replicas == nil || *d.Spec.Replicas != 1 {
		t.Errorf("redis: want a single replica Deployment")
	}
	sec, ok := byName[*corev1.Secret](s, objName("evaluation"))
	if !ok || sec.Annotations["helm.sh/resource-policy"] != "keep" {
		t.Errorf("evaluation Secret missing or not kept on uninstall")
	}
	for k, v := range sec.Data {
		if len(v) < 24 {
			t.Errorf("evaluation credential %s is only %d bytes", k, len(v))
		}
	}
	job, _ := byName[*batchv1.Job](s, objName("migrations"))
	if job == nil || len(job.Spec.Template.Spec.InitContainers) != 1 {
		t.Errorf("evaluation migration Job must wait for PostgreSQL in an init container")
	}
}
