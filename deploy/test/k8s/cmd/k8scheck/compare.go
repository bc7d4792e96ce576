package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// defaults checks that the server filled in what it defaults for the kinds it knows, and says how many
// fields it added.
func (c *checker) defaults(want, got *unstructured.Unstructured) error {
	added := countAdded(want.Object["spec"], got.Object["spec"])
	var missing []string
	need := func(path ...string) {
		if _, ok, _ := unstructured.NestedFieldNoCopy(got.Object, path...); !ok {
			missing = append(missing, strings.Join(path, "."))
		}
	}
	podSpec := func(prefix ...string) {
		p := func(s ...string) []string { return append(slices.Clone(prefix), s...) }
		for _, f := range []string{"restartPolicy", "dnsPolicy", "schedulerName", "terminationGracePeriodSeconds", "securityContext", "enableServiceLinks"} {
			need(p(f)...)
		}
		containers, _, _ := unstructured.NestedSlice(got.Object, p("containers")...)
		inits, _, _ := unstructured.NestedSlice(got.Object, p("initContainers")...)
		for i, ct := range append(containers, inits...) {
			m, _ := ct.(map[string]any)
			for _, f := range []string{"terminationMessagePath", "terminationMessagePolicy", "imagePullPolicy"} {
				if _, ok := m[f]; !ok {
					missing = append(missing, fmt.Sprintf("%s[%d].%s", strings.Join(p("containers"), "."), i, f))
				}
			}
			for _, probe := range []string{"livenessProbe", "readinessProbe", "startupProbe"} {
				if pr, ok := m[probe].(map[string]any); ok {
					for _, f := range []string{"timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"} {
						if _, ok := pr[f]; !ok {
							missing = append(missing, fmt.Sprintf("%s.%s", probe, f))
						}
					}
				}
			}
			ports, _ := m["ports"].([]any)
			for _, pt := range ports {
				if pm, _ := pt.(map[string]any); pm["protocol"] == nil {
					missing = append(missing, "ports[].protocol")
				}
			}
		}
	}
	switch want.GetKind() {
	case "Deployment":
		need("spec", "strategy", "type")
		need("spec", "revisionHistoryLimit")
		need("spec", "progressDeadlineSeconds")
		podSpec("spec", "template", "spec")
	case "StatefulSet":
		need("spec", "podManagementPolicy")
		need("spec", "updateStrategy", "type")
		need("spec", "persistentVolumeClaimRetentionPolicy")
		podSpec("spec", "template", "spec")
	case "Job":
		need("spec", "backoffLimit")
		need("spec", "completions")
		need("spec", "parallelism")
		need("spec", "completionMode")
		podSpec("spec", "template", "spec")
	case "Pod":
		podSpec("spec")
		need("spec", "serviceAccountName")
		need("spec", "priority") // the Priority admission plugin
		tol, _, _ := unstructured.NestedSlice(got.Object, "spec", "tolerations")
		if !slices.ContainsFunc(tol, func(t any) bool {
			m, _ := t.(map[string]any)
			return m["key"] == "node.kubernetes.io/not-ready"
		}) {
			missing = append(missing, "spec.tolerations[node.kubernetes.io/not-ready] (DefaultTolerationSeconds admission plugin)")
		}
	case "Service":
		need("spec", "sessionAffinity")
		need("spec", "ipFamilies")
		need("spec", "internalTrafficPolicy")
		if ip, _, _ := unstructured.NestedString(got.Object, "spec", "clusterIP"); ip == "" {
			missing = append(missing, "spec.clusterIP (allocated)")
		}
		ports, _, _ := unstructured.NestedSlice(got.Object, "spec", "ports")
		for _, pt := range ports {
			pm, _ := pt.(map[string]any)
			if pm["protocol"] == nil || pm["targetPort"] == nil {
				missing = append(missing, "spec.ports[].protocol/targetPort")
			}
		}
	case "NetworkPolicy":
		need("spec", "policyTypes")
	case "Secret":
		need("type")
	case "HorizontalPodAutoscaler":
		need("spec", "minReplicas")
	}
	if len(missing) > 0 {
		return fmt.Errorf("not defaulted: %s", strings.Join(missing, ", "))
	}
	c.added += added
	fmt.Printf("     %s %s: %d spec fields added by the server\n", want.GetKind(), want.GetName(), added)
	return nil
}

// kept reports fields that were sent but are not stored with the same value. Empty values the server
// omits, quantities it normalises (0.5 -> 500m) and a Secret's stringData (stored as data) are not
// differences.
func kept(want, got *unstructured.Unstructured) error {
	w := normalise(want.Object)
	g := normalise(got.Object)
	wm := w.(map[string]any)
	gm := g.(map[string]any)
	if want.GetKind() == "Secret" {
		if sd, ok := wm["stringData"].(map[string]any); ok {
			data, _ := wm["data"].(map[string]any)
			if data == nil {
				data = map[string]any{}
			}
			for k, v := range sd {
				data[k] = base64.StdEncoding.EncodeToString([]byte(fmt.Sprint(v)))
			}
			wm["data"] = data
			delete(wm, "stringData")
		}
	}
	// Of the metadata only what the chart sets is compared; the namespace is helm's -n.
	wmd, _ := wm["metadata"].(map[string]any)
	gmd, _ := gm["metadata"].(map[string]any)
	for _, k := range []string{"namespace", "creationTimestamp"} {
		delete(wmd, k)
	}
	for k := range gmd {
		if _, ok := wmd[k]; !ok {
			delete(gmd, k)
		}
	}
	var diffs []string
	diff("", w, g, &diffs)
	if len(diffs) > 0 {
		sort.Strings(diffs)
		return errors.New(strings.Join(diffs, "; "))
	}
	return nil
}

func diff(path string, want, got any, out *[]string) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: sent an object, stored %v", path, got))
			return
		}
		for k, v := range w {
			gv, present := g[k]
			if !present {
				if isEmpty(v) {
					continue
				}
				*out = append(*out, fmt.Sprintf("%s.%s: sent %v, not stored", path, k, v))
				continue
			}
			diff(path+"."+k, v, gv, out)
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			*out = append(*out, fmt.Sprintf("%s: sent %d items, stored %v", path, len(w), got))
			return
		}
		for i := range w {
			diff(fmt.Sprintf("%s[%d]", path, i), w[i], g[i], out)
		}
	default:
		if fmt.Sprint(want) == fmt.Sprint(got) {
			return
		}
		ws, wok := want.(string)
		gs, gok := got.(string)
		if wok && gok {
			wq, err1 := resource.ParseQuantity(ws)
			gq, err2 := resource.ParseQuantity(gs)
			if err1 == nil && err2 == nil && wq.Cmp(gq) == 0 {
				return
			}
		}
		if f, ok := want.(float64); ok && gok { // a number sent where the API takes a quantity
			if q, err := resource.ParseQuantity(gs); err == nil && q.AsApproximateFloat64() == f {
				return
			}
		}
		*out = append(*out, fmt.Sprintf("%s: sent %v, stored %v", path, want, got))
	}
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	case string:
		return x == ""
	case bool:
		return !x
	}
	return false
}

// countAdded counts the leaf fields present in got but not in want.
func countAdded(want, got any) int {
	switch g := got.(type) {
	case map[string]any:
		w, _ := want.(map[string]any)
		n := 0
		for k, v := range g {
			n += countAdded(w[k], v)
		}
		return n
	case []any:
		w, _ := want.([]any)
		n := 0
		for i, v := range g {
			var wi any
			if i < len(w) {
				wi = w[i]
			}
			n += countAdded(wi, v)
		}
		return n
	default:
		if want == nil {
			return 1
		}
		return 0
	}
}

// normalise turns an object into plain JSON values (numbers as float64) so that YAML and API values compare.
func normalise(v any) any {
	data, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(data, &out)
	return out
}
