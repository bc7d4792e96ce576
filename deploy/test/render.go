package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// ReleaseName and Namespace are what every test render uses; deploy/k8s/base is rendered with them too.
const (
	ReleaseName = "infidraw"
	Namespace   = "infidraw"
)

// RepoRoot is the monorepo root (two levels above this file).
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// ChartDir is helm/infidraw.
func ChartDir() string { return filepath.Join(RepoRoot(), "helm", "infidraw") }

// Tool finds a binary on PATH and says how to install it when it is missing.
func Tool(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s not found on PATH: run deploy/install-tools.sh and put %s on PATH (%w)",
			name, filepath.Join(RepoRoot(), ".tools", "bin"), err)
	}
	return p, nil
}

// Run runs a tool and returns its stdout; stderr is part of the error.
func Run(name string, args ...string) ([]byte, error) {
	bin, err := Tool(name)
	if err != nil {
		return nil, err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Dir = RepoRoot()
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %w\n%s%s", name, strings.Join(args, " "), err, stderr.String(), stdout.String())
	}
	return stdout.Bytes(), nil
}

// HelmTemplate renders the chart with the given extra arguments (e.g. "-f", file, "--set", ...).
func HelmTemplate(extra ...string) ([]byte, error) {
	args := append([]string{"template", ReleaseName, ChartDir(), "--namespace", Namespace}, extra...)
	return Run("helm", args...)
}

// Scheme knows the built-in Kubernetes API types plus Gateway API, Prometheus Operator and cert-manager
// Certificate types.
func Scheme() *k8sruntime.Scheme {
	s := k8sruntime.NewScheme()
	for _, add := range []func(*k8sruntime.Scheme) error{
		clientgoscheme.AddToScheme, gatewayv1.Install, monitoringv1.AddToScheme, addCertManager,
	} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}

// Object is one decoded manifest with the source it came from.
type Object struct {
	Obj    k8sruntime.Object
	Source string // "# Source:" comment of helm, or the document index
	Raw    []byte
}

// SplitDocuments splits a multi-document YAML stream, dropping documents that hold only comments.
func SplitDocuments(data []byte) ([][]byte, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		if !hasContent(doc) {
			continue
		}
		docs = append(docs, doc)
	}
}

func hasContent(doc []byte) bool {
	for _, line := range strings.Split(string(doc), "\n") {
		t := strings.TrimSpace(line)
		if t != "" && !strings.HasPrefix(t, "#") && t != "---" {
			return true
		}
	}
	return false
}

// DecodeStrict decodes every document into its typed API object, rejecting unknown and duplicate fields
// and unknown kinds.
func DecodeStrict(data []byte) ([]Object, error) {
	docs, err := SplitDocuments(data)
	if err != nil {
		return nil, err
	}
	decoder := serializer.NewCodecFactory(Scheme(), serializer.EnableStrict).UniversalDeserializer()
	var out []Object
	var errs []error
	for i, doc := range docs {
		source := fmt.Sprintf("document %d", i)
		for _, line := range strings.Split(string(doc), "\n") {
			if s, ok := strings.CutPrefix(line, "# Source: "); ok {
				source = s
				break
			}
		}
		obj, gvk, err := decoder.Decode(doc, nil, nil)
		if err != nil {
			kind := "?"
			if gvk != nil {
				kind = gvk.String()
			}
			errs = append(errs, fmt.Errorf("%s (%s): %w", source, kind, err))
			continue
		}
		out = append(out, Object{Obj: obj, Source: source, Raw: doc})
	}
	return out, errors.Join(errs...)
}

// ReadFile reads a file relative to the repository root.
func ReadFile(rel string) ([]byte, error) { return os.ReadFile(filepath.Join(RepoRoot(), rel)) }
