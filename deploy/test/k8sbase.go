package deploy

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// BaseDir is the kustomize base generated from the chart.
func BaseDir() string { return filepath.Join(RepoRoot(), "deploy", "k8s", "base") }

const baseHeader = "# Generated from helm/infidraw (default values) by `cd deploy/test && go run ./cmd/k8sbase`.\n" +
	"# Do not edit: change the chart, then regenerate. deploy/test checks that this file is up to date.\n"

// baseFileOrder lists the files of the base in the order kustomization.yaml names them.
var baseFileOrder = []string{"serviceaccount", "migrations", "gateway", "realtime", "tile-delta", "snapshot"}

// KustomizeBase renders the chart with its default values and turns the result into plain manifests:
// helm's own labels, annotations and hooks removed, no namespace (the overlay sets it), and without what
// only Helm can do: the generated signing-key and internal TLS Secrets (made by the operator instead) and
// the `helm test` pods. It returns file name -> content, kustomization.yaml included.
func KustomizeBase() (map[string][]byte, error) {
	rendered, err := HelmTemplate()
	if err != nil {
		return nil, err
	}
	docs, err := PlainDocuments(rendered)
	if err != nil {
		return nil, err
	}
	byFile := map[string][]*yaml.Node{}
	for _, doc := range docs {
		component := scalarAt(doc, "metadata", "labels", "app.kubernetes.io/component")
		if !slices.Contains(baseFileOrder, component) {
			return nil, fmt.Errorf("%s/%s: component %q has no file in the base", scalarAt(doc, "kind"), scalarAt(doc, "metadata", "name"), component)
		}
		byFile[component] = append(byFile[component], doc)
	}
	files := map[string][]byte{}
	var resources []string
	for _, name := range baseFileOrder {
		if len(byFile[name]) == 0 {
			continue
		}
		var buf bytes.Buffer
		buf.WriteString(baseHeader)
		for _, doc := range byFile[name] {
			buf.WriteString("---\n")
			enc := yaml.NewEncoder(&buf)
			enc.SetIndent(2)
			if err := enc.Encode(doc); err != nil {
				return nil, err
			}
			enc.Close()
		}
		files[name+".yaml"] = buf.Bytes()
		resources = append(resources, name+".yaml")
	}
	var k bytes.Buffer
	k.WriteString(baseHeader)
	k.WriteString("# Plain manifests equal to `helm template infidraw helm/infidraw` with default values. It expects the\n" +
		"# Secrets infidraw-postgresql, infidraw-redis, infidraw-s3, infidraw-gateway-keys and the internal TLS\n" +
		"# Secrets infidraw-{gateway,realtime,tile-delta,snapshot}-internal-tls (see deploy/README.md);\n" +
		"# overlays set the namespace, images, host names and settings (see overlays/example).\n")
	k.WriteString("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n")
	for _, r := range resources {
		k.WriteString("  - " + r + "\n")
	}
	files["kustomization.yaml"] = k.Bytes()
	return files, nil
}

// PlainDocuments applies the Helm-to-plain transformation to a rendered stream, returning one YAML node
// per kept object.
func PlainDocuments(rendered []byte) ([]*yaml.Node, error) {
	raw, err := SplitDocuments(rendered)
	if err != nil {
		return nil, err
	}
	var out []*yaml.Node
	for _, r := range raw {
		var doc yaml.Node
		if err := yaml.Unmarshal(r, &doc); err != nil {
			return nil, err
		}
		root := doc.Content[0]
		root.HeadComment = dropSourceComment(root.HeadComment)
		doc.HeadComment = dropSourceComment(doc.HeadComment)
		if len(root.Content) > 0 {
			root.Content[0].HeadComment = dropSourceComment(root.Content[0].HeadComment)
		}
		kind, name := scalarAt(root, "kind"), scalarAt(root, "metadata", "name")
		hook := scalarAt(root, "metadata", "annotations", "helm.sh/hook")
		switch {
		case hook == "test":
			continue // helm test pods
		case kind == "NetworkPolicy" && scalarAt(root, "metadata", "labels", "app.kubernetes.io/component") == "test":
			continue // their NetworkPolicy
		case kind == "Secret" && (name == ReleaseName+"-gateway-keys" || name == ReleaseName+"-internal-ca" ||
			strings.HasSuffix(name, "-internal-tls")):
			continue // generated key material: the operator (or cert-manager) creates these Secrets
		case hook != "" && kind != "Job":
			return nil, fmt.Errorf("%s/%s: hook %q has no plain equivalent", kind, name, hook)
		}
		for _, m := range []*yaml.Node{mapAt(root, "metadata"), mapAt(root, "spec", "template", "metadata")} {
			if m == nil {
				continue
			}
			deleteKey(m, "namespace")
			if l := mapAt(m, "labels"); l != nil {
				deleteKey(l, "helm.sh/chart")
				if v := mapAt(l, "app.kubernetes.io/managed-by"); v != nil {
					v.Value = "kustomize"
				}
			}
			if a := mapAt(m, "annotations"); a != nil {
				for i := 0; i < len(a.Content); i += 2 {
					k := a.Content[i].Value
					if strings.HasPrefix(k, "helm.sh/") || strings.HasPrefix(k, "checksum/") {
						a.Content = slices.Delete(a.Content, i, i+2)
						i -= 2
					}
				}
				if len(a.Content) == 0 {
					deleteKey(m, "annotations")
				}
			}
		}
		out = append(out, root)
	}
	return out, nil
}

func dropSourceComment(c string) string {
	var keep []string
	for _, line := range strings.Split(c, "\n") {
		if !strings.HasPrefix(line, "# Source: ") && line != "" {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

// mapAt walks mapping keys and returns the value node, or nil.
func mapAt(n *yaml.Node, path ...string) *yaml.Node {
	for _, key := range path {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	return n
}

func scalarAt(n *yaml.Node, path ...string) string {
	if v := mapAt(n, path...); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

func deleteKey(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = slices.Delete(m.Content, i, i+2)
			return
		}
	}
}
