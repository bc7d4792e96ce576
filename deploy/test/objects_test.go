package deploy

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
)

// set is a rendered manifest stream, decoded, with lookups by kind and name.
type set struct {
	objs []Object
}

func (s set) all() []k8sruntime.Object {
	out := make([]k8sruntime.Object, len(s.objs))
	for i, o := range s.objs {
		out[i] = o.Obj
	}
	return out
}

func meta(o k8sruntime.Object) metav1.Object {
	m, err := metaAccessor(o)
	if err != nil {
		panic(err)
	}
	return m
}

func metaAccessor(o k8sruntime.Object) (metav1.Object, error) {
	if m, ok := o.(metav1.Object); ok {
		return m, nil
	}
	return nil, fmt.Errorf("%T has no metadata", o)
}

func kindOf(o k8sruntime.Object) string {
	t := fmt.Sprintf("%T", o)
	return t[strings.LastIndex(t, ".")+1:]
}

func ofType[T k8sruntime.Object](s set) []T {
	var out []T
	for _, o := range s.objs {
		if v, ok := o.Obj.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

func byName[T k8sruntime.Object](s set, name string) (T, bool) {
	for _, v := range ofType[T](s) {
		if meta(v).GetName() == name {
			return v, true
		}
	}
	var zero T
	return zero, false
}

func names[T k8sruntime.Object](items []T) []string {
	var out []string
	for _, v := range items {
		out = append(out, meta(v).GetName())
	}
	sort.Strings(out)
	return out
}

// podTemplate is a pod spec with the name of the object that carries it.
type podTemplate struct {
	owner  string
	labels map[string]string
	spec   corev1.PodSpec
	hook   string
}

func podTemplates(s set) []podTemplate {
	var out []podTemplate
	for _, o := range s.objs {
		m := meta(o.Obj)
		owner := kindOf(o.Obj) + "/" + m.GetName()
		hook := m.GetAnnotations()["helm.sh/hook"]
		switch v := o.Obj.(type) {
		case *appsv1.Deployment:
			out = append(out, podTemplate{owner, v.Spec.Template.Labels, v.Spec.Template.Spec, hook})
		case *appsv1.StatefulSet:
			out = append(out, podTemplate{owner, v.Spec.Template.Labels, v.Spec.Template.Spec, hook})
		case *appsv1.DaemonSet:
			out = append(out, podTemplate{owner, v.Spec.Template.Labels, v.Spec.Template.Spec, hook})
		case *batchv1.Job:
			out = append(out, podTemplate{owner, v.Spec.Template.Labels, v.Spec.Template.Spec, hook})
		case *batchv1.CronJob:
			out = append(out, podTemplate{owner, v.Spec.JobTemplate.Spec.Template.Labels, v.Spec.JobTemplate.Spec.Template.Spec, hook})
		case *corev1.Pod:
			out = append(out, podTemplate{owner, v.Labels, v.Spec, hook})
		}
	}
	return out
}

func allContainers(spec corev1.PodSpec) []corev1.Container {
	return append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...)
}

func envValue(c corev1.Container, name string) (string, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value, true
		}
	}
	return "", false
}

func envVar(c corev1.Container, name string) (corev1.EnvVar, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e, true
		}
	}
	return corev1.EnvVar{}, false
}

func containerPort(spec corev1.PodSpec, name string) (int32, bool) {
	for _, c := range spec.Containers {
		for _, p := range c.Ports {
			if p.Name == name {
				return p.ContainerPort, true
			}
		}
	}
	return 0, false
}

// podsSelectedBy returns the pod templates whose labels match a Service/PDB/etc. selector.
func podsSelectedBy(s set, sel labels.Selector) []podTemplate {
	var out []podTemplate
	for _, p := range podTemplates(s) {
		if p.hook == "" && sel.Matches(labels.Set(p.labels)) {
			out = append(out, p)
		}
	}
	return out
}

func selectorOf(t *testing.T, ls *metav1.LabelSelector) labels.Selector {
	t.Helper()
	sel, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		t.Fatalf("selector %v: %v", ls, err)
	}
	return sel
}
