package deploy

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	sigsyaml "sigs.k8s.io/yaml"
)

// deploy/k8s/base is exactly what the generator makes from the chart now.
func TestKustomizeBaseUpToDate(t *testing.T) {
	want, err := KustomizeBase()
	if err != nil {
		t.Fatal(err)
	}
	have, _ := filepath.Glob(filepath.Join(BaseDir(), "*"))
	for _, f := range have {
		if _, ok := want[filepath.Base(f)]; !ok {
			t.Errorf("%s is not generated from the chart; remove it", f)
		}
	}
	for name, content := range want {
		got, err := os.ReadFile(filepath.Join(BaseDir(), name))
		if err != nil || !bytes.Equal(got, content) {
			t.Errorf("deploy/k8s/base/%s is out of date with helm/infidraw: run `cd deploy/test && go run ./cmd/k8sbase`", name)
		}
	}
}

// objectsByKey parses a YAML stream into generic objects keyed by kind/name.
func objectsByKey(t *testing.T, docs [][]byte) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, d := range docs {
		var m map[string]any
		if err := sigsyaml.Unmarshal(d, &m); err != nil {
			t.Fatal(err)
		}
		md, _ := m["metadata"].(map[string]any)
		out[m["kind"].(string)+"/"+md["name"].(string)] = m
	}
	return out
}

// `kustomize build deploy/k8s/base` is the chart's default render, object for object and field for field,
// less what only Helm does (hooks, tests, generated keys, its own labels).
func TestKustomizeBaseEqualsChartDefaults(t *testing.T) {
	rendered, err := HelmTemplate()
	if err != nil {
		t.Fatal(err)
	}
	plain, err := PlainDocuments(rendered)
	if err != nil {
		t.Fatal(err)
	}
	var chartDocs [][]byte
	for _, n := range plain {
		b, err := yaml.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		chartDocs = append(chartDocs, b)
	}
	built, err := Run("kustomize", "build", "deploy/k8s/base")
	if err != nil {
		t.Fatal(err)
	}
	baseDocs, err := SplitDocuments(built)
	if err != nil {
		t.Fatal(err)
	}
	chart, base := objectsByKey(t, chartDocs), objectsByKey(t, baseDocs)
	for k, want := range chart {
		got, ok := base[k]
		if !ok {
			t.Errorf("%s: in the chart, not in the base", k)
		} else if !reflect.DeepEqual(got, want) {
			g, _ := sigsyaml.Marshal(got)
			w, _ := sigsyaml.Marshal(want)
			t.Errorf("%s differs:\nbase:\n%s\nchart:\n%s", k, g, w)
		}
	}
	for k := range base {
		if _, ok := chart[k]; !ok {
			t.Errorf("%s: in the base, not in the chart", k)
		}
	}
	if len(base) < 20 {
		t.Errorf("base has only %d objects", len(base))
	}
}

// The example overlay reaches every workload: a setting missed by a replacement would silently keep the
// base's value.
func TestKustomizeOverlaySettings(t *testing.T) {
	built, err := Run("kustomize", "build", "deploy/k8s/overlays/example")
	if err != nil {
		t.Fatal(err)
	}
	objs, err := DecodeStrict(built)
	if err != nil {
		t.Fatal(err)
	}
	s := set{objs}
	want := map[string]string{
		"DATABASE_HOST":            "infidraw-pg-rw.databases.svc",
		"DATABASE_SSLMODE":         "verify-full",
		"REDIS_HOST":               "infidraw-redis.databases.svc",
		"OBJECT_STORE_URL":         "s3://infidraw-tiles?endpoint=s3.eu-central-1.amazonaws.com:443&region=eu-central-1",
		"GATEWAY_PUBLIC_ORIGIN":    "https://draw.example.com",
		"REALTIME_ALLOWED_ORIGINS": "https://draw.example.com",
	}
	seen := map[string]int{}
	for _, p := range podTemplates(s) {
		for _, c := range allContainers(p.spec) {
			for name, value := range want {
				if v, ok := envVar(c, name); ok {
					seen[name]++
					if v.Value != value {
						t.Errorf("%s container %s: %s=%q, want the overlay's %q", p.owner, c.Name, name, v.Value, value)
					}
				}
			}
			if !strings.HasSuffix(c.Image, ":0.1.0") {
				t.Errorf("%s: image %s not set by the overlay", p.owner, c.Image)
			}
		}
	}
	for name := range want {
		if seen[name] == 0 {
			t.Errorf("no container reads %s", name)
		}
	}
	for _, o := range s.objs {
		m := meta(o.Obj)
		if _, isNS := o.Obj.(*corev1.Namespace); !isNS && m.GetNamespace() != "infidraw" {
			t.Errorf("%s/%s: namespace %q, want infidraw", kindOf(o.Obj), m.GetName(), m.GetNamespace())
		}
		if _, isCM := o.Obj.(*corev1.ConfigMap); isCM {
			t.Errorf("the local-config settings ConfigMap %s is emitted", m.GetName())
		}
	}
}
