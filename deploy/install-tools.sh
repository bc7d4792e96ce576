#!/usr/bin/env bash
# Installs the Kubernetes tooling that `make test` needs (helm, kustomize) into $TOOLS_DIR/bin, built from
# the Go module proxy. Idempotent: a tool is skipped when its version stamp matches the pinned version.
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
mkdir -p "$TOOLS_DIR/bin"

HELM_VERSION=v3.22.0
HELM_K8S_MINOR=37 # minor version of the k8s.io modules helm v3.22.0 is built with
KUSTOMIZE_VERSION=v5.8.1

log() { printf '[deploy-tools] %s\n' "$*" >&2; }

# go_tool BINARY MODULE/PATH VERSION STAMP [build flags...]: go install into .tools/bin, remembering STAMP.
go_tool() {
  local bin="$1" pkg="$2" version="$3" stamp="$4"; shift 4
  local file="$TOOLS_DIR/bin/.$bin.version"
  [ -x "$TOOLS_DIR/bin/$bin" ] && [ "$(cat "$file" 2>/dev/null)" = "$stamp" ] && return 0
  log "$bin $version"
  GOBIN="$TOOLS_DIR/bin" go install "$@" "$pkg@$version"
  echo "$stamp" > "$file"
}

# The ldflags are those of helm's own Makefile: without them `helm version` says "main", and `helm
# template`/`helm lint` assume Kubernetes 1.20, which the chart's kubeVersion (>=1.30) refuses.
go_tool helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION" "$HELM_VERSION k8s1.$HELM_K8S_MINOR" -ldflags "\
-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION \
-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$HELM_K8S_MINOR \
-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$HELM_K8S_MINOR"
go_tool kustomize sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION" "$KUSTOMIZE_VERSION"
log "$("$TOOLS_DIR/bin/helm" version --short), kustomize $("$TOOLS_DIR/bin/kustomize" version)"
