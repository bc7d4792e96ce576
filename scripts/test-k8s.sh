#!/usr/bin/env bash
# make test-k8s: installs the Helm chart into a real Kubernetes API server and checks that the server admits
# every object. kube-apiserver (k8s.io/kubernetes) and etcd are built from the Go module proxy by
# deploy/test/k8s (its go.mod pins the versions), cached in .tools/bin with a version stamp. There is no
# scheduler, kubelet or controller-manager: objects are admitted, stored and defaulted, pods never run.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$INFIDRAW_ROOT"
export GOWORK=off # deploy/test/k8s is a module of its own, outside go.work

MOD=deploy/test/k8s
log() { printf '[test-k8s] %s\n' "$*" >&2; }

bash deploy/install-tools.sh # helm

# Versions come from deploy/test/k8s/go.mod, so the binaries and the checker can never disagree.
mod_version() { (cd "$MOD" && go list -m -f '{{.Version}}' "$1"); }
KUBERNETES_VERSION="$(mod_version k8s.io/kubernetes)"
ETCD_VERSION="$(mod_version go.etcd.io/etcd/server/v3)"
GATEWAY_API_VERSION="$(cd deploy/test && go list -m -f '{{.Version}}' sigs.k8s.io/gateway-api)"

# build BINARY STAMP PACKAGE [go build flags...]: go build into .tools/bin unless STAMP is recorded.
# -p 1: the machine is shared; the cold build of kube-apiserver is the slow part either way.
build() {
  local bin="$1" stamp="$2" pkg="$3"; shift 3
  local file="$TOOLS_DIR/bin/.$bin.version"
  [ -x "$TOOLS_DIR/bin/$bin" ] && [ "$(cat "$file" 2>/dev/null)" = "$stamp" ] && return 0
  log "building $bin $stamp (several minutes the first time)"
  (cd "$MOD" && go build -p "${BUILD_JOBS:-1}" -trimpath "$@" -o "$TOOLS_DIR/bin/$bin" "$pkg")
  echo "$stamp" > "$file"
}
mkdir -p "$TOOLS_DIR/bin"
t0=$SECONDS
# kube-apiserver reports its version from these variables (what Kubernetes' own build sets); helm checks
# the chart's kubeVersion against it.
minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}"
build kube-apiserver "$KUBERNETES_VERSION" k8s.io/kubernetes/cmd/kube-apiserver -ldflags "\
-X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/component-base/version.gitMajor=1 \
-X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean \
-X k8s.io/client-go/pkg/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1 \
-X k8s.io/client-go/pkg/version.gitMinor=$minor"
build etcd "$ETCD_VERSION" ./cmd/etcd
log "kube-apiserver $KUBERNETES_VERSION, etcd $ETCD_VERSION ready ($((SECONDS - t0)) s)"

WORK="$(mkdir -p "$DATA_DIR" && mktemp -d "$DATA_DIR/test-k8s.XXXXXX")"
(cd "$MOD" && go build -o "$WORK/k8scheck" ./cmd/k8scheck)
GATEWAY_API_DIR="$(cd deploy/test && go mod download -json "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')"

pids=()
ok=0
cleanup() {
  local rc=$?
  # kube-apiserver first: without etcd its shutdown hangs for minutes. SIGKILL after 30 s.
  local i pid
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    pid="${pids[i]}"
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ "$rc" -eq 0 ] && [ "$ok" -eq 1 ]; then rm -rf "$WORK"; else log "logs kept in $WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Ports free a moment ago, on loopback only.
read -r ETCD_CLIENT ETCD_PEER API_PORT < <("$WORK/k8scheck" ports -n 3 | paste -sd' ')

# A CA, a serving certificate for 127.0.0.1, a service-account signing key and an admin token (the group
# system:masters passes RBAC, as a cluster admin's credentials do).
(
  cd "$WORK"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=test-k8s CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign -keyout ca.key -out ca.crt 2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=kube-apiserver" -keyout apiserver.key \
    -out apiserver.csr 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > apiserver.ext
  openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 -extfile apiserver.ext \
    -out apiserver.crt 2>/dev/null
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out sa.key 2>/dev/null
  openssl pkey -in sa.key -pubout -out sa.pub
  echo "$(openssl rand -hex 16),admin,admin,system:masters" > tokens.csv
)
TOKEN="$(cut -d, -f1 "$WORK/tokens.csv")"

"$TOOLS_DIR/bin/etcd" --name test-k8s --data-dir "$WORK/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT" --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER" \
  --initial-cluster "test-k8s=http://127.0.0.1:$ETCD_PEER" --unsafe-no-fsync --log-level warn \
  > "$WORK/etcd.log" 2>&1 &
pids+=($!)

# The endpoint reconciler stays off: it would publish 127.0.0.1 as the kubernetes Service's endpoint,
# which Endpoints validation refuses. Privileged pods are allowed, as in most clusters, so that the Pod
# Security admission (not the API's validation) is what refuses them in a restricted namespace.
"$TOOLS_DIR/bin/kube-apiserver" --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT" \
  --etcd-servers "http://127.0.0.1:$ETCD_CLIENT" \
  --tls-cert-file "$WORK/apiserver.crt" --tls-private-key-file "$WORK/apiserver.key" \
  --token-auth-file "$WORK/tokens.csv" --authorization-mode RBAC \
  --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$WORK/sa.pub" \
  --service-account-signing-key-file "$WORK/sa.key" --service-cluster-ip-range 10.96.0.0/16 \
  --endpoint-reconciler-type none --allow-privileged --cert-dir "$WORK/certs" --profiling=false \
  > "$WORK/kube-apiserver.log" 2>&1 &
pids+=($!)

# Poll /readyz (which includes etcd) until a deadline; stop early if either process died.
t1=$SECONDS
until curl -sf --cacert "$WORK/ca.crt" -H "Authorization: Bearer $TOKEN" "https://127.0.0.1:$API_PORT/readyz" >/dev/null 2>&1; do
  for pid in "${pids[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$WORK/etcd.log" "$WORK/kube-apiserver.log" >&2
      log "etcd or kube-apiserver exited"; exit 1
    fi
  done
  if [ $((SECONDS - t1)) -gt 120 ]; then
    tail -n 20 "$WORK/kube-apiserver.log" >&2
    log "kube-apiserver not ready after 120 s"; exit 1
  fi
  sleep 0.2
done
log "kube-apiserver ready on 127.0.0.1:$API_PORT after $((SECONDS - t1)) s"

export KUBECONFIG="$WORK/kubeconfig"
cat > "$KUBECONFIG" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: test-k8s, cluster: {server: "https://127.0.0.1:$API_PORT", certificate-authority: "$WORK/ca.crt"}}]
users: [{name: admin, user: {token: "$TOKEN"}}]
contexts: [{name: test-k8s, context: {cluster: test-k8s, user: admin}}]
current-context: test-k8s
EOF

objects=0 checks=0 failed=0 defaulted=0
# tally NAME COMMAND...: runs a k8scheck command, adds up its summary line (its output in $WORK/NAME.log).
tally() {
  local name="$1"; shift
  local out rc=0
  out="$("$@" 2>&1)" || rc=$?
  printf '%s\n' "$out" > "$WORK/$name.log"
  grep -E '^(FAIL|     refused)' <<<"$out" || true
  local sum
  sum="$(grep -E '^k8scheck: [0-9]+ objects, [0-9]+ checks, [0-9]+ failed, [0-9]+ fields defaulted$' <<<"$out" | tail -n 1)"
  if [ -z "$sum" ]; then
    printf '%s\n' "$out" | tail -n 20 >&2
    checks=$((checks + 1)) failed=$((failed + 1)); log "$name: FAILED (no summary, exit $rc)"; return
  fi
  read -r o c f d < <(sed -E 's/k8scheck: ([0-9]+) objects, ([0-9]+) checks, ([0-9]+) failed, ([0-9]+) fields defaulted/\1 \2 \3 \4/' <<<"$sum")
  objects=$((objects + o)) checks=$((checks + c)) failed=$((failed + f)) defaulted=$((defaulted + d))
  [ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || { checks=$((checks + 1)) failed=$((failed + 1)); log "$name: exit $rc"; }
  if [ "$o" -gt 0 ]; then
    log "$name: $o objects admitted, $c checks, $f failed, $d spec fields defaulted by the server"
  else
    log "$name: $c checks, $f failed"
  fi
}
# shell_check NAME LOG COMMAND...: one check done by the script itself, its output in LOG.
shell_check() {
  local name="$1" out="$2"; shift 2
  checks=$((checks + 1))
  if "$@" > "$out" 2>&1; then return 0; fi
  failed=$((failed + 1)); echo "FAIL $name:"; tail -n 20 "$out"
}

tally crds "$WORK/k8scheck" crds -kubeconfig "$KUBECONFIG" -gateway-api "$GATEWAY_API_DIR"

# The renders of deploy/test's chart tests (chart_test.go), each installed into a namespace of its own.
EX=helm/infidraw/examples
variants=(
  "default|"
  "evaluation|-f $EX/evaluation.yaml"
  "production|-f $EX/production.yaml"
  "gateway-api|-f $EX/gateway-api.yaml"
  "values-in-secrets|--set postgresql.password=pw-1,redis.password=pw-2,objectStore.s3.accessKey=ak,objectStore.s3.secretKey=sk"
  "internal-tls-existing-secrets|--set internalTLS.source=existingSecrets,internalTLS.existingSecrets.gateway=gw-tls,internalTLS.existingSecrets.realtime=rt-tls,internalTLS.existingSecrets.tileDelta=td-tls,internalTLS.existingSecrets.snapshot=snap-tls"
  "internal-tls-off|--set internalTLS.enabled=false"
)
no_warnings() { ! grep -i 'warning' "$1"; }
for v in "${variants[@]}"; do
  name="${v%%|*}" args="${v#*|}" ns="infidraw-${v%%|*}" tv=$SECONDS
  tally "$name-namespace" "$WORK/k8scheck" namespace -kubeconfig "$KUBECONFIG" -namespace "$ns"
  # --no-hooks: a hook Job would never complete without a kubelet; k8scheck creates the hooks itself.
  # shellcheck disable=SC2086 # args is a list of words
  shell_check "$name: helm install" "$WORK/$name-install.log" helm install infidraw helm/infidraw -n "$ns" --no-hooks $args
  shell_check "$name: helm install printed no server warning" "$WORK/$name-warnings.log" no_warnings "$WORK/$name-install.log"
  helm get manifest infidraw -n "$ns" > "$WORK/$name-manifest.yaml"
  helm get hooks infidraw -n "$ns" > "$WORK/$name-hooks.yaml"
  tally "$name" "$WORK/k8scheck" release -kubeconfig "$KUBECONFIG" -namespace "$ns" \
    -manifest "$WORK/$name-manifest.yaml" -hooks "$WORK/$name-hooks.yaml"
  log "$name: $((SECONDS - tv)) s"
done

# helm upgrade: the chart reads the generated Secrets back through lookup (which helm template cannot
# test), so signing keys, internal TLS certificates and evaluation passwords must survive an upgrade.
for name in default evaluation; do
  ns="infidraw-$name"
  "$WORK/k8scheck" secrets -kubeconfig "$KUBECONFIG" -namespace "$ns" > "$WORK/$name-secrets-before.txt"
  args=""; [ "$name" = evaluation ] && args="-f $EX/evaluation.yaml"
  # shellcheck disable=SC2086
  shell_check "$name: helm upgrade (logLevel changed)" "$WORK/$name-upgrade.log" \
    helm upgrade infidraw helm/infidraw -n "$ns" --no-hooks $args --set logLevel=debug
  "$WORK/k8scheck" secrets -kubeconfig "$KUBECONFIG" -namespace "$ns" > "$WORK/$name-secrets-after.txt"
  shell_check "$name: generated Secrets unchanged by helm upgrade" "$WORK/$name-secrets.diff" \
    diff "$WORK/$name-secrets-before.txt" "$WORK/$name-secrets-after.txt"
  log "$name: helm upgrade kept $(wc -l < "$WORK/$name-secrets-before.txt") Secrets"
done

# The server must refuse broken objects, or none of the above would prove anything.
tally reject "$WORK/k8scheck" reject -kubeconfig "$KUBECONFIG" -namespace infidraw-default

[ "$failed" -eq 0 ] && ok=1
log "kube-apiserver $KUBERNETES_VERSION, etcd $ETCD_VERSION, helm $(helm version --short), $defaulted spec fields defaulted by the server, $((SECONDS - t0)) s"
echo "test-k8s: $objects objects admitted, $((checks - failed)) checks passed, $failed failed"
[ "$failed" -eq 0 ]
