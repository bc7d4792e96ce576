package deploy

// Every object and pod template carries the recommended labels.

import (
	"testing"
)

var recommendedLabels = []string{"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component",
	"app.kubernetes.io/part-of", "app.kubernetes.io/version", "app.kubernetes.io/managed-by"}

func checkLabels(t *testing.T, s set, want expect) {
	managedBy := "kustomize"
	if want.helm {
		managedBy = "Helm"
	}
	check := func(what string, l map[string]string) {
		for _, k := range recommendedLabels {
			if l[k] == "" {
				t.Errorf("%s: label %s missing", what, k)
			}
		}
		if l["app.kubernetes.io/managed-by"] != managedBy {
			t.Errorf("%s: managed-by %q, want %q", what, l["app.kubernetes.io/managed-by"], managedBy)
		}
		if l["app.kubernetes.io/part-of"] != "infidraw" {
			t.Errorf("%s: part-of %q", what, l["app.kubernetes.io/part-of"])
		}
	}
	for _, o := range s.objs {
		check(kindOf(o.Obj)+"/"+meta(o.Obj).GetName(), meta(o.Obj).GetLabels())
	}
	for _, p := range podTemplates(s) {
		check(p.owner+" pod template", p.labels)
	}
}
