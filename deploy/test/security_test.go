package deploy

// Pod and container security contexts, resources and pinned images.

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func checkSecurity(t *testing.T, s set) {
	pods := podTemplates(s)
	if len(pods) == 0 {
		t.Fatal("no pod templates")
	}
	for _, p := range pods {
		psc := p.spec.SecurityContext
		if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
			t.Errorf("%s: pod securityContext.runAsNonRoot is not true", p.owner)
		}
		if psc == nil || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
			t.Errorf("%s: pod securityContext.runAsUser is not a non-zero uid", p.owner)
		}
		if psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("%s: seccompProfile is not RuntimeDefault", p.owner)
		}
		if p.spec.AutomountServiceAccountToken == nil || *p.spec.AutomountServiceAccountToken {
			t.Errorf("%s: service account token is mounted", p.owner)
		}
		if p.spec.HostNetwork || p.spec.HostPID || p.spec.HostIPC {
			t.Errorf("%s: uses a host namespace", p.owner)
		}
		for _, c := range allContainers(p.spec) {
			sc := c.SecurityContext
			where := p.owner + " container " + c.Name
			switch {
			case sc == nil:
				t.Errorf("%s: no securityContext", where)
				continue
			case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
				t.Errorf("%s: allowPrivilegeEscalation is not false", where)
			case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
				t.Errorf("%s: readOnlyRootFilesystem is not true", where)
			case sc.Privileged != nil && *sc.Privileged:
				t.Errorf("%s: privileged", where)
			case sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0:
				t.Errorf("%s: capabilities are not drop [ALL]", where)
			case sc.RunAsUser != nil && *sc.RunAsUser == 0:
				t.Errorf("%s: runs as root", where)
			}
		}
	}
}

func checkResourcesAndImages(t *testing.T, s set) {
	pinned := regexp.MustCompile(`^[^@]+(:[A-Za-z0-9_][A-Za-z0-9_.-]*|@sha256:[a-f0-9]{64})$`)
	for _, p := range podTemplates(s) {
		for _, c := range allContainers(p.spec) {
			where := p.owner + " container " + c.Name
			r := c.Resources
			if r.Requests.Cpu().IsZero() || r.Requests.Memory().IsZero() {
				t.Errorf("%s: cpu and memory requests must be set, got %v", where, r.Requests)
			}
			if r.Limits.Memory().IsZero() {
				t.Errorf("%s: memory limit must be set", where)
			}
			if !pinned.MatchString(c.Image) || strings.HasSuffix(c.Image, ":latest") {
				t.Errorf("%s: image %q is not pinned to a tag or digest", where, c.Image)
			}
		}
	}
}
