// Command k8scheck checks a Helm release against a real kube-apiserver (scripts/test-k8s.sh):
//
//	k8scheck crds      -kubeconfig K -gateway-api DIR   install the CRDs the chart's optional kinds need
//	k8scheck namespace -kubeconfig K -namespace NS      a namespace enforcing the restricted Pod Security
//	                                                    Standard, with the ServiceAccount "default" that
//	                                                    kube-controller-manager would create
//	k8scheck release   -kubeconfig K -namespace NS -manifest F -hooks F
//	k8scheck reject    -kubeconfig K -namespace NS      broken objects the server must refuse
//	k8scheck secrets   -kubeconfig K -namespace NS      one line per Secret: name and a hash of its data
//	k8scheck ports     -n N                             N free localhost TCP ports
//
// "release" creates the release's hooks (helm installs with --no-hooks: there is no kubelet, so a hook Job
// would never complete), then checks every object the release rendered: it exists, the server kept every
// field that was sent, the server defaulted what it defaults, a strict server-side dry-run apply accepts it,
// and each pod template would be admitted as a Pod under the restricted Pod Security Standard.
//
// Every check prints one line ("ok" or "FAIL"); the last line is "k8scheck: N objects, M checks, F failed,
// D fields defaulted", which the script adds up. The exit status is 1 when a check failed.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"
)

type checker struct {
	ctx     context.Context
	dyn     dynamic.Interface
	mapper  meta.ResettableRESTMapper
	ns      string
	objects int
	checks  int
	failed  int
	added   int // spec fields the server filled in
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: k8scheck crds|namespace|release|reject|secrets|ports -kubeconfig FILE [flags]")
		os.Exit(2)
	}
	cmd := os.Args[1]
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig of the API server")
	ns := fs.String("namespace", "", "namespace of the release")
	manifest := fs.String("manifest", "", "output of helm get manifest")
	hooks := fs.String("hooks", "", "output of helm get hooks")
	gatewayAPI := fs.String("gateway-api", "", "directory of the Gateway API module (config/crd/standard)")
	count := fs.Int("n", 3, "ports: how many")
	_ = fs.Parse(os.Args[2:])
	if cmd == "ports" {
		freePorts(*count)
		return
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := newChecker(ctx, *kubeconfig, *ns)
	if err != nil {
		fmt.Fprintln(os.Stderr, "k8scheck:", err)
		os.Exit(2)
	}
	switch cmd {
	case "crds":
		c.crds(*gatewayAPI)
	case "namespace":
		c.namespace()
	case "release":
		c.release(*manifest, *hooks)
	case "reject":
		c.reject()
	case "secrets":
		c.secrets()
		return
	default:
		fmt.Fprintln(os.Stderr, "k8scheck: unknown command", cmd)
		os.Exit(2)
	}
	fmt.Printf("k8scheck: %d objects, %d checks, %d failed, %d fields defaulted\n", c.objects, c.checks, c.failed, c.added)
	if c.failed > 0 {
		os.Exit(1)
	}
}

func newChecker(ctx context.Context, kubeconfig, ns string) (*checker, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, err
	}
	cfg.WarningHandler = rest.NoWarnings{} // warnings are turned into checks where they matter
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))
	return &checker{ctx: ctx, dyn: dyn, mapper: mapper, ns: ns}, nil
}

// check records one check; err == nil passes.
func (c *checker) check(what string, err error) bool {
	c.checks++
	if err != nil {
		c.failed++
		fmt.Printf("FAIL %s: %v\n", what, err)
		return false
	}
	fmt.Printf("ok   %s\n", what)
	return true
}

func (c *checker) resource(obj *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	gvk := obj.GroupVersionKind()
	m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, err
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		ns := obj.GetNamespace()
		if ns == "" {
			ns = c.ns
		}
		return c.dyn.Resource(m.Resource).Namespace(ns), nil
	}
	return c.dyn.Resource(m.Resource), nil
}

// crds installs the Gateway API's standard CRDs (the module's own files, at the version deploy/test uses)
// and stand-ins for the Prometheus Operator's ServiceMonitor and cert-manager's Certificate, whose CRDs no
// Go module this test uses ships: those accept any fields, so only their kind and version are checked.
func (c *checker) crds(gatewayAPI string) {
	var docs [][]byte
	files, _ := filepath.Glob(filepath.Join(gatewayAPI, "config", "crd", "standard", "gateway.networking.k8s.io_*.yaml"))
	for _, f := range files {
		if strings.Contains(f, "_vap_") { // a ValidatingAdmissionPolicy guarding upgrades, not a CRD
			continue
		}
		data, err := os.ReadFile(f)
		if !c.check("read "+filepath.Base(f), err) {
			continue
		}
		docs = append(docs, data)
	}
	c.check("Gateway API CRDs found in "+gatewayAPI, nonEmpty(len(docs)))
	docs = append(docs, permissiveCRD("monitoring.coreos.com", "v1", "ServiceMonitor", "servicemonitors"),
		permissiveCRD("cert-manager.io", "v1", "Certificate", "certificates"))
	crdRes := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	var names []string
	for _, d := range docs {
		objs, err := decodeAll(d)
		if !c.check("decode CRD", err) {
			continue
		}
		for _, o := range objs {
			_, err := c.dyn.Resource(crdRes).Create(c.ctx, o, metav1.CreateOptions{FieldValidation: "Strict"})
			if apierrors.IsAlreadyExists(err) {
				err = nil
			}
			if c.check("CRD "+o.GetName()+" created", err) {
				names = append(names, o.GetName())
			}
		}
	}
	// A CRD serves its kind only once Established.
	for _, n := range names {
		c.check("CRD "+n+" established", poll(c.ctx, func() (bool, error) {
			o, err := c.dyn.Resource(crdRes).Get(c.ctx, n, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			conds, _, _ := unstructured.NestedSlice(o.Object, "status", "conditions")
			for _, cond := range conds {
				m, _ := cond.(map[string]any)
				if m["type"] == "Established" && m["status"] == "True" {
					return true, nil
				}
			}
			return false, nil
		}))
	}
	c.mapper.Reset()
}

func permissiveCRD(group, version, kind, plural string) []byte {
	crd := map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": plural + "." + group},
		"spec": map[string]any{
			"group": group, "scope": "Namespaced",
			"names": map[string]any{"kind": kind, "plural": plural, "singular": strings.ToLower(kind), "listKind": kind + "List"},
			"versions": []any{map[string]any{
				"name": version, "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{
					"type": "object", "x-kubernetes-preserve-unknown-fields": true,
				}},
			}},
		},
	}
	data, _ := json.Marshal(crd)
	return data
}

// namespace creates the release's namespace as a cluster would have it: enforcing the restricted Pod
// Security Standard (what deploy/k8s/overlays/example sets) and with its "default" ServiceAccount, which
// kube-controller-manager (not running here) creates and the ServiceAccount admission plugin looks up.
func (c *checker) namespace() {
	nsObj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace",
		"metadata": map[string]any{"name": c.ns, "labels": map[string]any{
			"pod-security.kubernetes.io/enforce": "restricted",
			"pod-security.kubernetes.io/warn":    "restricted",
		}},
	}}
	_, err := c.dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).Create(c.ctx, nsObj, metav1.CreateOptions{})
	c.check("namespace "+c.ns+" (restricted Pod Security Standard enforced)", err)
	sa := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ServiceAccount", "metadata": map[string]any{"name": "default"},
	}}
	_, err = c.dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}).Namespace(c.ns).Create(c.ctx, sa, metav1.CreateOptions{})
	c.check("ServiceAccount default in "+c.ns, err)
}

// release checks every object of a release; see the package comment.
func (c *checker) release(manifestFile, hooksFile string) {
	manifest, err := readObjects(manifestFile)
	if !c.check("read "+manifestFile, err) {
		return
	}
	hooks, err := readObjects(hooksFile)
	if !c.check("read "+hooksFile, err) {
		return
	}
	c.check("the release rendered objects", nonEmpty(len(manifest)))
	for _, h := range hooks {
		res, err := c.resource(h)
		if err == nil {
			_, err = res.Create(c.ctx, h, metav1.CreateOptions{FieldManager: "k8scheck", FieldValidation: "Strict"})
		}
		c.check(fmt.Sprintf("hook %s %s created (%s)", h.GetKind(), h.GetName(), h.GetAnnotations()["helm.sh/hook"]), err)
	}
	for _, want := range append(manifest, hooks...) {
		c.object(want)
	}
}

func (c *checker) object(want *unstructured.Unstructured) {
	id := want.GetKind() + " " + want.GetName()
	res, err := c.resource(want)
	if !c.check(id+": kind served", err) {
		return
	}
	got, err := res.Get(c.ctx, want.GetName(), metav1.GetOptions{})
	if !c.check(id+": stored", err) {
		return
	}
	c.objects++ // admitted: it is in the API server
	c.check(id+": every rendered field kept", kept(want, got))
	c.check(id+": server defaults", c.defaults(want, got))

	// Strict server-side apply (dry run): unknown or duplicate fields are an error, not a warning.
	data, _ := json.Marshal(want.Object)
	_, err = res.Patch(c.ctx, want.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{
		DryRun: []string{metav1.DryRunAll}, FieldManager: "k8scheck", Force: ptr(true), FieldValidation: "Strict",
	})
	c.check(id+": strict server-side apply (dry run)", err)

	// A pod template is only admitted as a Pod when a controller creates one: ask the server now.
	if tmpl, ok, _ := unstructured.NestedMap(got.Object, podTemplatePath(want.GetKind())...); ok {
		if want.GetKind() == "StatefulSet" {
			addClaimVolumes(got, tmpl)
		}
		c.check(id+": its pods pass admission (restricted Pod Security Standard, dry run)", c.podFromTemplate(want.GetName(), tmpl))
	}
}

func podTemplatePath(kind string) []string {
	switch kind {
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job":
		return []string{"spec", "template"}
	case "CronJob":
		return []string{"spec", "jobTemplate", "spec", "template"}
	}
	return []string{"-"}
}

// addClaimVolumes adds the volumes the StatefulSet controller adds to its pods: one per volumeClaimTemplate,
// naming the claim of pod 0.
func addClaimVolumes(sts *unstructured.Unstructured, tmpl map[string]any) {
	claims, _, _ := unstructured.NestedSlice(sts.Object, "spec", "volumeClaimTemplates")
	volumes, _, _ := unstructured.NestedSlice(tmpl, "spec", "volumes")
	for _, cl := range claims {
		name, _, _ := unstructured.NestedString(cl.(map[string]any), "metadata", "name")
		volumes = append(volumes, map[string]any{
			"name":                  name,
			"persistentVolumeClaim": map[string]any{"claimName": name + "-" + sts.GetName() + "-0"},
		})
	}
	_ = unstructured.SetNestedSlice(tmpl, volumes, "spec", "volumes")
}

func (c *checker) podFromTemplate(name string, tmpl map[string]any) error {
	md, _ := tmpl["metadata"].(map[string]any)
	if md == nil {
		md = map[string]any{}
	}
	md["generateName"] = name + "-"
	pod := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": tmpl["spec"],
	}}
	_, err := c.dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "pods"}).Namespace(c.ns).
		Create(c.ctx, pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict"})
	return err
}

// reject sends objects the server must refuse (so that this test can fail) and expects each refusal.
func (c *checker) reject() {
	type bad struct {
		what   string
		expect func(error) bool
		yaml   string
	}
	restrictedPod := `apiVersion: v1
kind: Pod
metadata: {name: privileged}
spec:
  containers:
    - name: c
      image: busybox:1
      securityContext: {privileged: true}
`
	cases := []bad{
		{"Deployment whose selector does not match its pod labels (validation)", apierrors.IsInvalid, `apiVersion: apps/v1
kind: Deployment
metadata: {name: selector-mismatch}
spec:
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: b}}
    spec: {containers: [{name: c, image: busybox:1}]}
`},
		{"Service with port 70000 (validation)", apierrors.IsInvalid, `apiVersion: v1
kind: Service
metadata: {name: bad-port}
spec: {ports: [{port: 70000}]}
`},
		{"ConfigMap with an unknown field under strict field validation", apierrors.IsBadRequest, `apiVersion: v1
kind: ConfigMap
metadata: {name: unknown-field}
dataa: {a: b}
`},
		{"privileged Pod in a namespace enforcing restricted (Pod Security admission)", apierrors.IsForbidden, restrictedPod},
		{"Pod naming a ServiceAccount that does not exist (ServiceAccount admission)", apierrors.IsForbidden, `apiVersion: v1
kind: Pod
metadata: {name: no-sa}
spec:
  serviceAccountName: nobody
  securityContext: {runAsNonRoot: true, runAsUser: 1, seccompProfile: {type: RuntimeDefault}}
  containers:
    - name: c
      image: busybox:1
      securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
`},
		{"HTTPRoute with a path that does not start with / (Gateway API CRD schema)", apierrors.IsInvalid, `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: bad-route}
spec:
  rules: [{matches: [{path: {type: PathPrefix, value: "no-slash"}}]}]
`},
	}
	for _, tc := range cases {
		objs, err := decodeAll([]byte(tc.yaml))
		if !c.check("decode "+tc.what, err) {
			continue
		}
		o := objs[0]
		res, err := c.resource(o)
		if err == nil {
			_, err = res.Create(c.ctx, o, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict"})
		}
		switch {
		case err == nil:
			err = errors.New("admitted")
		case tc.expect(err):
			fmt.Printf("     refused: %v\n", err)
			err = nil
		default:
			err = fmt.Errorf("refused, but not as expected: %w", err)
		}
		c.check("refused: "+tc.what, err)
	}
}

// secrets prints each Secret of the namespace with a hash of its data, so that the script can compare them
// before and after helm upgrade (the chart keeps generated keys and passwords through lookup).
func (c *checker) secrets() {
	list, err := c.dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "secrets"}).Namespace(c.ns).List(c.ctx, metav1.ListOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "k8scheck:", err)
		os.Exit(1)
	}
	for _, s := range list.Items {
		if s.GetLabels()["owner"] == "helm" { // helm's release records change on every upgrade
			continue
		}
		data, _ := json.Marshal(s.Object["data"]) // map keys are sorted
		fmt.Printf("%s %x\n", s.GetName(), sha256.Sum256(data))
	}
}

// freePorts prints n ports that were free a moment ago (all held at once, so they differ).
func freePorts(n int) {
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, "k8scheck:", err)
			os.Exit(1)
		}
		ls = append(ls, l)
		fmt.Println(l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		_ = l.Close()
	}
}

func readObjects(file string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return decodeAll(data)
}

// decodeAll splits a YAML stream into objects, dropping empty documents.
func decodeAll(data []byte) ([]*unstructured.Unstructured, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var out []*unstructured.Unstructured
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := yaml.Unmarshal(doc, &m); err != nil {
			return nil, err
		}
		if len(m) == 0 {
			continue
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
}

func poll(ctx context.Context, done func() (bool, error)) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, err := done()
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not after 30s (last error: %v)", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func nonEmpty(n int) error {
	if n == 0 {
		return errors.New("none")
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
