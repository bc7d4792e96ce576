{{/*
Names, labels and the pieces every workload shares. Components are named by the key they have in
values.yaml (gateway, realtime, tileDelta, snapshot); their object-name and label form is kebab-case.
*/}}

{{- define "infidraw.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "infidraw.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "infidraw.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Object name of a component: (dict "root" $ "component" "tile-delta") */}}
{{- define "infidraw.componentName" -}}
{{- printf "%s-%s" (include "infidraw.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels; never change across upgrades (Deployment selectors are immutable). */}}
{{- define "infidraw.selectorLabels" -}}
app.kubernetes.io/name: {{ include "infidraw.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Recommended labels: (dict "root" $ "component" "gateway"). */}}
{{- define "infidraw.labels" -}}
helm.sh/chart: {{ include "infidraw.chart" .root }}
{{ include "infidraw.selectorLabels" . }}
app.kubernetes.io/part-of: infidraw
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Image reference: (dict "root" $ "image" .Values.gateway.image); a digest wins over the tag. */}}
{{- define "infidraw.image" -}}
{{- $tag := default .root.Chart.AppVersion .image.tag -}}
{{- if .image.digest -}}
{{- printf "%s@%s" .image.repository .image.digest -}}
{{- else -}}
{{- printf "%s:%s" .image.repository $tag -}}
{{- end -}}
{{- end }}

{{- define "infidraw.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "infidraw.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Host name of an in-cluster Service: the bare Service name, which the pod's DNS search path resolves in
its own namespace (first try, so no extra lookups), and which stays right when kustomize or a GitOps tool
moves the manifests to another namespace.
*/}}
{{- define "infidraw.serviceHost" -}}
{{- include "infidraw.componentName" . }}
{{- end }}

{{/* gRPC target for a component: headless Service and dns:/// so that clients can balance per call. */}}
{{- define "infidraw.grpcTarget" -}}
{{- $c := index .root.Values .key -}}
{{- printf "dns:///%s-headless:%d" (include "infidraw.componentName" (dict "root" .root "component" .component)) (int $c.ports.grpc) }}
{{- end }}

{{/* The browser-facing origin: explicit value, else the Ingress/HTTPRoute host, else port-forward. */}}
{{- define "infidraw.publicOrigin" -}}
{{- if .Values.publicOrigin -}}
{{- .Values.publicOrigin -}}
{{- else if and .Values.ingress.enabled .Values.ingress.host -}}
{{- printf "%s://%s" (ternary "https" "http" .Values.ingress.tls.enabled) .Values.ingress.host -}}
{{- else if and .Values.httpRoute.enabled .Values.httpRoute.hostnames -}}
{{- printf "https://%s" (first .Values.httpRoute.hostnames) -}}
{{- else -}}
http://localhost:8080
{{- end -}}
{{- end }}

{{/* ---------- Credentials: which Secret and key hold each one ---------- */}}

{{- define "infidraw.evaluationSecretName" -}}
{{- printf "%s-evaluation" (include "infidraw.fullname" .) }}
{{- end }}

{{- define "infidraw.credentialsSecretName" -}}
{{- printf "%s-credentials" (include "infidraw.fullname" .) }}
{{- end }}

{{/* PostgreSQL password source as "secretName/key"; "" when there is none. */}}
{{- define "infidraw.postgresql.passwordRef" -}}
{{- if .Values.evaluation.enabled -}}
{{- printf "%s/postgresql-password" (include "infidraw.evaluationSecretName" .) -}}
{{- else if .Values.postgresql.password -}}
{{- printf "%s/postgresql-password" (include "infidraw.credentialsSecretName" .) -}}
{{- else if .Values.postgresql.existingSecret -}}
{{- printf "%s/%s" .Values.postgresql.existingSecret .Values.postgresql.existingSecretPasswordKey -}}
{{- end -}}
{{- end }}

{{- define "infidraw.redis.passwordRef" -}}
{{- if .Values.evaluation.enabled -}}
{{- printf "%s/redis-password" (include "infidraw.evaluationSecretName" .) -}}
{{- else if .Values.redis.password -}}
{{- printf "%s/redis-password" (include "infidraw.credentialsSecretName" .) -}}
{{- else if .Values.redis.existingSecret -}}
{{- printf "%s/%s" .Values.redis.existingSecret .Values.redis.existingSecretPasswordKey -}}
{{- end -}}
{{- end }}

{{/* S3 keys as "secretName/accessKeyKey/secretKeyKey"; "" when the store needs none (workload identity). */}}
{{- define "infidraw.s3.keysRef" -}}
{{- if .Values.evaluation.enabled -}}
{{- printf "%s/s3-access-key/s3-secret-key" (include "infidraw.evaluationSecretName" .) -}}
{{- else if .Values.objectStore.s3.accessKey -}}
{{- printf "%s/s3-access-key/s3-secret-key" (include "infidraw.credentialsSecretName" .) -}}
{{- else if .Values.objectStore.s3.existingSecret -}}
{{- printf "%s/%s/%s" .Values.objectStore.s3.existingSecret .Values.objectStore.s3.existingSecretAccessKeyKey .Values.objectStore.s3.existingSecretSecretKeyKey -}}
{{- end -}}
{{- end }}

{{- define "infidraw.secretKeyRef" -}}
{{- $parts := splitList "/" . -}}
valueFrom:
  secretKeyRef:
    name: {{ index $parts 0 }}
    key: {{ index $parts 1 }}
{{- end }}

{{/* ---------- Connection settings, composed from parts with Kubernetes $(VAR) expansion ---------- */}}

{{- define "infidraw.postgresql.host" -}}
{{- if .Values.evaluation.enabled -}}
{{- include "infidraw.serviceHost" (dict "root" . "component" "postgresql") -}}
{{- else -}}
{{- .Values.postgresql.host -}}
{{- end -}}
{{- end }}

{{/*
DATABASE_URL for a container. The password never leaves its Secret: it is read into DATABASE_PASSWORD
and expanded by the kubelet, so it must consist of URL-safe characters (or be percent-encoded).
*/}}
{{- define "infidraw.env.database" -}}
{{- $pw := include "infidraw.postgresql.passwordRef" . -}}
{{- $sslMode := ternary "disable" .Values.postgresql.sslMode .Values.evaluation.enabled -}}
- name: DATABASE_HOST
  value: {{ include "infidraw.postgresql.host" . | quote }}
- name: DATABASE_PORT
  value: {{ ternary 5432 .Values.postgresql.port .Values.evaluation.enabled | quote }}
- name: DATABASE_NAME
  value: {{ .Values.postgresql.database | quote }}
- name: DATABASE_USER
  value: {{ .Values.postgresql.username | quote }}
{{- if $pw }}
- name: DATABASE_PASSWORD
  {{- include "infidraw.secretKeyRef" $pw | nindent 2 }}
{{- end }}
- name: DATABASE_SSLMODE
  value: {{ $sslMode | quote }}
- name: DATABASE_URL
  value: {{ printf "postgres://$(DATABASE_USER)%s@$(DATABASE_HOST):$(DATABASE_PORT)/$(DATABASE_NAME)?sslmode=$(DATABASE_SSLMODE)" (ternary ":$(DATABASE_PASSWORD)" "" (ne $pw "")) | quote }}
{{- end }}

{{- define "infidraw.env.redis" -}}
{{- $pw := include "infidraw.redis.passwordRef" . -}}
{{- $host := ternary (include "infidraw.serviceHost" (dict "root" . "component" "redis")) .Values.redis.host .Values.evaluation.enabled -}}
{{- $port := ternary 6379 .Values.redis.port .Values.evaluation.enabled -}}
{{- $tls := and .Values.redis.tls (not .Values.evaluation.enabled) -}}
{{- $user := ternary "" .Values.redis.username .Values.evaluation.enabled -}}
- name: REDIS_HOST
  value: {{ $host | quote }}
- name: REDIS_PORT
  value: {{ $port | quote }}
{{- if $pw }}
- name: REDIS_PASSWORD
  {{- include "infidraw.secretKeyRef" $pw | nindent 2 }}
{{- end }}
{{- $base := printf "%s://%s@$(REDIS_HOST):$(REDIS_PORT)" (ternary "rediss" "redis" $tls) (ternary (printf "%s:$(REDIS_PASSWORD)" $user) $user (ne $pw "")) | replace "://@" "://" }}
- name: REDIS_URL
  value: {{ printf "%s/%d" $base (int .Values.redis.database) | quote }}
{{- if and .Values.redis.cluster (not .Values.evaluation.enabled) }}
{{- if ne (int .Values.redis.database) 0 }}
{{- fail "redis.cluster: a Redis Cluster has database 0 only (set redis.database to 0)" }}
{{- end }}
{{- $addrs := list }}
{{- range .Values.redis.clusterNodes }}{{ $addrs = append $addrs (printf "addr=%s" .) }}{{ end }}
- name: REDIS_CLUSTER_URL
  value: {{ printf "%s%s" $base (ternary (printf "?%s" (join "&" $addrs)) "" (gt (len $addrs) 0)) | quote }}
{{- end }}
{{- end }}

{{- define "infidraw.objectStoreURL" -}}
{{- $q := dict -}}
{{- range $k, $v := .Values.objectStore.s3.params }}{{ $_ := set $q $k (toString $v) }}{{ end -}}
{{- if .Values.evaluation.enabled -}}
{{- $_ := set $q "endpoint" (printf "%s:8333" (include "infidraw.serviceHost" (dict "root" . "component" "s3"))) -}}
{{- else if .Values.objectStore.s3.endpoint -}}
{{- $_ := set $q "endpoint" .Values.objectStore.s3.endpoint -}}
{{- end -}}
{{- if .Values.objectStore.s3.region }}{{ $_ := set $q "region" .Values.objectStore.s3.region }}{{ end -}}
{{- $pairs := list -}}
{{- range $k := keys $q | sortAlpha }}{{ $pairs = append $pairs (printf "%s=%s" $k (index $q $k)) }}{{ end -}}
{{- printf "s3://%s" .Values.objectStore.s3.bucket -}}{{ if $pairs }}?{{ join "&" $pairs }}{{ end -}}
{{- end }}

{{- define "infidraw.env.objectStore" -}}
{{- $ref := include "infidraw.s3.keysRef" . -}}
- name: OBJECT_STORE_URL
  value: {{ include "infidraw.objectStoreURL" . | quote }}
{{- if $ref }}
{{- $parts := splitList "/" $ref }}
- name: S3_ACCESS_KEY
  {{- include "infidraw.secretKeyRef" (printf "%s/%s" (index $parts 0) (index $parts 1)) | nindent 2 }}
- name: S3_SECRET_KEY
  {{- include "infidraw.secretKeyRef" (printf "%s/%s" (index $parts 0) (index $parts 2)) | nindent 2 }}
{{- end }}
{{- end }}

{{/* Environment shared by every infidraw container: log level and extra trusted CAs. */}}
{{- define "infidraw.env.common" -}}
- name: LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
{{- if or .Values.extraCA.configMap .Values.extraCA.secret }}
- name: SSL_CERT_DIR
  value: /etc/ssl/certs:/etc/infidraw/ca
- name: NODE_EXTRA_CA_CERTS
  value: /etc/infidraw/ca/{{ .Values.extraCA.key }}
{{- end }}
{{- end }}

{{- define "infidraw.volumeMounts.common" -}}
- name: tmp
  mountPath: /tmp
{{- if or .Values.extraCA.configMap .Values.extraCA.secret }}
- name: extra-ca
  mountPath: /etc/infidraw/ca
  readOnly: true
{{- end }}
{{- end }}

{{- define "infidraw.volumes.common" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- if .Values.extraCA.configMap }}
- name: extra-ca
  configMap:
    name: {{ .Values.extraCA.configMap }}
    items:
      - key: {{ .Values.extraCA.key }}
        path: {{ .Values.extraCA.key }}
{{- else if .Values.extraCA.secret }}
- name: extra-ca
  secret:
    secretName: {{ .Values.extraCA.secret }}
    items:
      - key: {{ .Values.extraCA.key }}
        path: {{ .Values.extraCA.key }}
{{- end }}
{{- end }}

{{/* Hash of the settings that reach pods through env, so that pods roll when they change. */}}
{{- define "infidraw.configChecksum" -}}
{{- $v := .Values -}}
{{- list $v.logLevel $v.publicOrigin $v.postgresql $v.redis $v.objectStore $v.extraCA $v.evaluation.enabled | toJson | sha256sum -}}
{{- end }}

{{/* Pod-level scheduling and security shared by the four services: (dict "root" $ "c" $values "component" "gateway"). */}}
{{- define "infidraw.podSpecCommon" -}}
serviceAccountName: {{ include "infidraw.serviceAccountName" .root }}
automountServiceAccountToken: false
enableServiceLinks: false
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .root.Values.podSecurityContext | nindent 2 }}
terminationGracePeriodSeconds: {{ .c.terminationGracePeriodSeconds }}
{{- with .c.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .c.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .c.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .c.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
topologySpreadConstraints:
  {{- if .c.topologySpreadConstraints }}
  {{- toYaml .c.topologySpreadConstraints | nindent 2 }}
  {{- else }}
  - maxSkew: 1
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "infidraw.selectorLabels" . | nindent 8 }}
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "infidraw.selectorLabels" . | nindent 8 }}
  {{- end }}
{{- end }}

{{- define "infidraw.pullPolicy" -}}
{{- default "IfNotPresent" .pullPolicy -}}
{{- end }}

{{/*
Probes of every service, on its HTTP port (kubelet gRPC probes cannot speak TLS, and /healthz reports the
same readiness as grpc.health.v1): startup and readiness on /healthz; liveness only checks that the server
accepts connections, since /healthz answers 503 while a dependency (PostgreSQL, Redis) is down, which must
take the pod out of its Services, not restart it.
*/}}
{{- define "infidraw.probes" -}}
startupProbe:
  httpGet:
    path: /healthz
    port: http
  periodSeconds: 2
  timeoutSeconds: 2
  failureThreshold: 60
livenessProbe:
  tcpSocket:
    port: http
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet:
    path: /healthz
    port: http
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 2
{{- end }}

{{/* ---------- Internal mutual TLS (docs/contracts.md: INTERNAL_TLS_*) ---------- */}}

{{/* Where a component's certificate files live in its pods. */}}
{{- define "infidraw.internalTLS.dir" -}}/etc/infidraw/tls{{- end }}

{{/* Secret with a component's tls.crt, tls.key and ca.crt: (dict "root" $ "component" "tile-delta" "key" "tileDelta"). */}}
{{- define "infidraw.internalTLS.secretName" -}}
{{- $t := .root.Values.internalTLS -}}
{{- if eq $t.source "existingSecrets" -}}
{{- required (printf "internalTLS.existingSecrets.%s is required with internalTLS.source=existingSecrets" .key) (index $t.existingSecrets .key) -}}
{{- else -}}
{{- printf "%s-internal-tls" (include "infidraw.componentName" .) -}}
{{- end -}}
{{- end }}

{{/*
DNS names of a component's certificate: its Services (the names clients dial and verify) with and
without the namespace. The first, the Service name, is also the name other services admit it by.
*/}}
{{- define "infidraw.internalTLS.dnsNames" -}}
{{- $svc := include "infidraw.componentName" . -}}
{{- $ns := .root.Release.Namespace -}}
{{- $names := list -}}
{{- range $name := list $svc (printf "%s-headless" $svc) -}}
{{- $names = concat $names (list $name (printf "%s.%s" $name $ns) (printf "%s.%s.svc" $name $ns)) -}}
{{- end -}}
{{- toJson $names -}}
{{- end }}

{{/* INTERNAL_TLS_* env: (dict "root" $ "allowed" (list "gateway")), allowed naming the client components. */}}
{{- define "infidraw.env.internalTLS" -}}
{{- if .root.Values.internalTLS.enabled }}
{{- $dir := include "infidraw.internalTLS.dir" . }}
- name: INTERNAL_TLS_CERT_FILE
  value: {{ printf "%s/tls.crt" $dir }}
- name: INTERNAL_TLS_KEY_FILE
  value: {{ printf "%s/tls.key" $dir }}
- name: INTERNAL_TLS_CA_FILE
  value: {{ printf "%s/ca.crt" $dir }}
{{- if .allowed }}
{{- $names := list }}
{{- range $c := .allowed }}{{ $names = append $names (include "infidraw.componentName" (dict "root" $.root "component" $c)) }}{{ end }}
- name: INTERNAL_TLS_ALLOWED_CLIENTS
  value: {{ join "," $names | quote }}
{{- end }}
{{- end }}
{{- end }}

{{- define "infidraw.volumeMounts.internalTLS" -}}
{{- if .Values.internalTLS.enabled }}
- name: internal-tls
  mountPath: {{ include "infidraw.internalTLS.dir" . }}
  readOnly: true
{{- end }}
{{- end }}

{{/* The Secret mounted whole (not by subPath), so that the kubelet's updates reach the running pod. */}}
{{- define "infidraw.volumes.internalTLS" -}}
{{- if .root.Values.internalTLS.enabled }}
- name: internal-tls
  secret:
    secretName: {{ include "infidraw.internalTLS.secretName" . }}
    defaultMode: 0440
{{- end }}
{{- end }}

{{/* preStop pause so that endpoints are removed before SIGTERM (native sleep: no shell in the image). */}}
{{- define "infidraw.lifecycle" -}}
{{- if gt (int .preStopSleepSeconds) 0 -}}
lifecycle:
  preStop:
    sleep:
      seconds: {{ .preStopSleepSeconds }}
{{- end }}
{{- end }}

{{/* The four services as a JSON list of {key, component, grpc}; use with fromJsonArray. */}}
{{- define "infidraw.components" -}}
[{"key":"gateway","component":"gateway","grpc":""},
 {"key":"realtime","component":"realtime","grpc":"infidraw.realtime.v1.RealtimeService"},
 {"key":"tileDelta","component":"tile-delta","grpc":"infidraw.tile.v1.TileDeltaService"},
 {"key":"snapshot","component":"snapshot","grpc":"infidraw.render.v1.RenderService"}]
{{- end }}
