// Package deploy holds the tests of infidraw's Kubernetes deployment: the Helm chart in helm/infidraw,
// the kustomize manifests in deploy/k8s and the image recipe (package oci). They render with the real helm and
// kustomize binaries (found on PATH) and decode every object strictly against the Kubernetes API types.
package deploy
