package deploy

// The migration Job and, under helm, its hook ordering.

import (
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

func checkMigrations(t *testing.T, s set, want expect) {
	job, ok := byName[*batchv1.Job](s, objName("migrations"))
	if !ok {
		t.Fatalf("migration Job missing; jobs: %v", names(ofType[*batchv1.Job](s)))
	}
	ctr := job.Spec.Template.Spec.Containers[0]
	if !strings.Contains(ctr.Image, "/migrations") || !slices.Equal(ctr.Args, []string{"up"}) {
		t.Errorf("Job %s: runs %s %v, want the migration image with `up`", job.Name, ctr.Image, ctr.Args)
	}
	for name, value := range map[string]string{"GOOSE_DRIVER": "postgres", "GOOSE_DBSTRING": "$(DATABASE_URL)", "GOOSE_MIGRATION_DIR": "/migrations"} {
		if v, _ := envValue(ctr, name); v != value {
			t.Errorf("Job %s: %s=%q, want %q", job.Name, name, v, value)
		}
	}
	if job.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever || job.Spec.BackoffLimit == nil || job.Spec.ActiveDeadlineSeconds == nil {
		t.Errorf("Job %s: want restartPolicy Never, a backoffLimit and a deadline", job.Name)
	}
	a := job.Annotations
	if !want.helm {
		for k := range a {
			if strings.HasPrefix(k, "helm.sh/") {
				t.Errorf("Job %s: plain manifests carry helm annotation %s", job.Name, k)
			}
		}
		return
	}
	if a["helm.sh/hook"] != want.hook {
		t.Errorf("Job %s: helm.sh/hook %q, want %q", job.Name, a["helm.sh/hook"], want.hook)
	}
	if a["helm.sh/hook-delete-policy"] != "before-hook-creation,hook-succeeded" {
		t.Errorf("Job %s: hook-delete-policy %q", job.Name, a["helm.sh/hook-delete-policy"])
	}
	if a["helm.sh/hook-weight"] == "" {
		t.Errorf("Job %s: no hook-weight", job.Name)
	}
	// A pre-install hook runs before the release's ordinary objects exist: everything it reads must be a
	// hook of the same phase with a lower weight, or not created by the release at all.
	if !strings.HasPrefix(want.hook, "pre-install") {
		return
	}
	if sa := job.Spec.Template.Spec.ServiceAccountName; sa != "" {
		if _, ok := byName[*corev1.ServiceAccount](s, sa); ok {
			t.Errorf("Job %s uses ServiceAccount %s, which the release creates after the hook", job.Name, sa)
		}
	}
	refs := map[string]bool{}
	for _, c := range allContainers(job.Spec.Template.Spec) {
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				refs["Secret/"+e.ValueFrom.SecretKeyRef.Name] = true
			}
			if e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil {
				refs["ConfigMap/"+e.ValueFrom.ConfigMapKeyRef.Name] = true
			}
		}
		for _, ef := range c.EnvFrom {
			if ef.SecretRef != nil {
				refs["Secret/"+ef.SecretRef.Name] = true
			}
			if ef.ConfigMapRef != nil {
				refs["ConfigMap/"+ef.ConfigMapRef.Name] = true
			}
		}
	}
	for _, v := range job.Spec.Template.Spec.Volumes {
		if v.Secret != nil {
			refs["Secret/"+v.Secret.SecretName] = true
		}
		if v.ConfigMap != nil {
			refs["ConfigMap/"+v.ConfigMap.Name] = true
		}
	}
	for ref := range refs {
		for _, o := range s.objs {
			m := meta(o.Obj)
			if kindOf(o.Obj)+"/"+m.GetName() != ref {
				continue
			}
			hook := m.GetAnnotations()["helm.sh/hook"]
			if !strings.Contains(hook, "pre-install") {
				t.Errorf("Job %s (pre-install hook) depends on %s, which is not a pre-install hook", job.Name, ref)
			} else if m.GetAnnotations()["helm.sh/hook-weight"] >= a["helm.sh/hook-weight"] {
				t.Errorf("Job %s depends on hook %s, which does not run before it (weight)", job.Name, ref)
			}
		}
	}
}
