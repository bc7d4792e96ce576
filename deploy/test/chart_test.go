package deploy

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// component describes one infidraw service as the contracts (docs/contracts.md) define it.
type component struct {
	name        string // object-name suffix and app.kubernetes.io/component
	httpPort    int32
	grpcPort    int32  // 0: none
	grpcService string // infidraw service name served by grpc.health.v1
	env         []string
}

var components = []component{
	{"gateway", 8080, 0, "", []string{"GATEWAY_HTTP_LISTEN", "DATABASE_URL", "REDIS_URL", "REALTIME_TARGET",
		"TILE_DELTA_TARGET", "SNAPSHOT_TARGET", "GATEWAY_SIGNING_KEY_DIR", "GATEWAY_PUBLIC_ORIGIN", "LOG_LEVEL"}},
	{"realtime", 8081, 9091, "infidraw.realtime.v1.RealtimeService", []string{"REALTIME_HTTP_LISTEN",
		"REALTIME_GRPC_LISTEN", "DATABASE_URL", "REDIS_URL", "REALTIME_JWKS_URL", "REALTIME_ALLOWED_ORIGINS", "LOG_LEVEL"}},
	{"tile-delta", 9192, 9092, "infidraw.tile.v1.TileDeltaService", []string{"TILE_DELTA_HTTP_LISTEN",
		"TILE_DELTA_GRPC_LISTEN", "DATABASE_URL", "SNAPSHOT_TARGET", "OBJECT_STORE_URL", "LOG_LEVEL"}},
	{"snapshot", 9193, 9093, "infidraw.render.v1.RenderService", []string{"SNAPSHOT_HTTP_LISTEN",
		"SNAPSHOT_GRPC_LISTEN", "SNAPSHOT_MAX_REQUEST_BYTES", "SNAPSHOT_BASE_CACHE_MB", "LOG_LEVEL"}},
}

func objName(component string) string { return ReleaseName + "-" + component }

// expect is what a render must contain beyond the properties every render has.
type expect struct {
	helm              bool   // rendered by helm (hooks, test pods, helm labels)
	hook              string // helm.sh/hook of the migration Job
	evaluation        bool
	autoscaling       bool
	ingress           bool
	httpRoute         bool
	serviceMonitor    bool
	connectionsMetric bool
	generatedKeys     bool     // the chart generates the gateway signing key
	externalSecrets   []string // Secrets the release reads but does not create
	host              string
	internalTLS       string // where internal TLS certificates come from: generate, certManager, existingSecrets; "" off
	metricsPeers      bool   // networkPolicy.metricsPeers set: someone may scrape the internal HTTP ports
}

type renderCase struct {
	name   string
	render func() ([]byte, error)
	want   expect
}

func chartCases() []renderCase {
	examples := filepath.Join(ChartDir(), "examples")
	internalTLSSecrets := []string{"infidraw-gateway-internal-tls", "infidraw-realtime-internal-tls",
		"infidraw-tile-delta-internal-tls", "infidraw-snapshot-internal-tls"}
	return []renderCase{
		{"helm/default", func() ([]byte, error) { return HelmTemplate() }, expect{
			helm: true, hook: "pre-install,pre-upgrade", autoscaling: true, ingress: true, generatedKeys: true,
			externalSecrets: []string{"infidraw-postgresql", "infidraw-redis", "infidraw-s3"}, internalTLS: "generate",
		}},
		{"helm/evaluation", func() ([]byte, error) { return HelmTemplate("-f", filepath.Join(examples, "evaluation.yaml")) }, expect{
			helm: true, hook: "post-install,pre-upgrade", evaluation: true, ingress: true, generatedKeys: true, internalTLS: "generate",
		}},
		{"helm/production", func() ([]byte, error) { return HelmTemplate("-f", filepath.Join(examples, "production.yaml")) }, expect{
			helm: true, hook: "pre-install,pre-upgrade", autoscaling: true, ingress: true, serviceMonitor: true,
			connectionsMetric: true, host: "draw.example.com", internalTLS: "certManager", metricsPeers: true,
			// cert-manager writes the internal TLS Secrets from the Certificates.
			externalSecrets: append([]string{"infidraw-postgresql", "infidraw-redis", "infidraw-s3", "infidraw-signing-keys",
				"infidraw-tls"}, internalTLSSecrets...),
		}},
		{"helm/gateway-api", func() ([]byte, error) { return HelmTemplate("-f", filepath.Join(examples, "gateway-api.yaml")) }, expect{
			helm: true, hook: "pre-install,pre-upgrade", autoscaling: true, httpRoute: true, generatedKeys: true,
			externalSecrets: []string{"infidraw-postgresql", "infidraw-redis", "infidraw-s3"}, internalTLS: "generate",
		}},
		{"helm/values-in-secrets", func() ([]byte, error) {
			return HelmTemplate("--set", "postgresql.password=pw-1,redis.password=pw-2,objectStore.s3.accessKey=ak,objectStore.s3.secretKey=sk")
		}, expect{
			helm: true, hook: "pre-install,pre-upgrade", autoscaling: true, ingress: true, generatedKeys: true, internalTLS: "generate",
		}},
		{"helm/internal-tls-existing-secrets", func() ([]byte, error) {
			return HelmTemplate("--set", "internalTLS.source=existingSecrets,internalTLS.existingSecrets.gateway=gw-tls,"+
				"internalTLS.existingSecrets.realtime=rt-tls,internalTLS.existingSecrets.tileDelta=td-tls,internalTLS.existingSecrets.snapshot=snap-tls")
		}, expect{
			helm: true, hook: "pre-install,pre-upgrade", autoscaling: true, ingress: true, generatedKeys: true, internalTLS: "existingSecrets",
			externalSecrets: []string{"infidraw-postgresql", "infidraw-redis", "infidraw-s3", "gw-tls", "rt-tls", "td-tls", "snap-tls"},
		}},
		{"helm/internal-tls-off", func() ([]byte, error) { return HelmTemplate("--set", "internalTLS.enabled=false") }, expect{
			helm: true, hook: "pre-install,pre-upgrade", autoscaling: true, ingress: true, generatedKeys: true,
			externalSecrets: []string{"infidraw-postgresql", "infidraw-redis", "infidraw-s3"},
		}},
	}
}

func kustomizeCases() []renderCase {
	return []renderCase{
		{"kustomize/base", func() ([]byte, error) { return Run("kustomize", "build", "deploy/k8s/base") }, expect{
			autoscaling: true, ingress: true, internalTLS: "operator",
			externalSecrets: []string{"infidraw-postgresql", "infidraw-redis", "infidraw-s3", "infidraw-gateway-keys",
				"infidraw-gateway-internal-tls", "infidraw-realtime-internal-tls", "infidraw-tile-delta-internal-tls", "infidraw-snapshot-internal-tls"},
		}},
		{"kustomize/overlay-example", func() ([]byte, error) { return Run("kustomize", "build", "deploy/k8s/overlays/example") }, expect{
			autoscaling: true, ingress: true, host: "draw.example.com", internalTLS: "operator",
			externalSecrets: []string{"infidraw-postgresql", "infidraw-redis", "infidraw-s3", "infidraw-gateway-keys",
				"infidraw-tls", "infidraw-gateway-internal-tls", "infidraw-realtime-internal-tls", "infidraw-tile-delta-internal-tls",
				"infidraw-snapshot-internal-tls"},
		}},
	}
}

func TestHelmLintStrict(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"-f", filepath.Join(ChartDir(), "examples", "evaluation.yaml")},
		{"-f", filepath.Join(ChartDir(), "examples", "production.yaml")},
		{"-f", filepath.Join(ChartDir(), "examples", "gateway-api.yaml")},
	} {
		t.Run(fmt.Sprint(args), func(t *testing.T) {
			out, err := Run("helm", append([]string{"lint", "--strict", ChartDir()}, args...)...)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(out), "0 chart(s) failed") {
				t.Fatalf("helm lint: %s", out)
			}
		})
	}
}

func TestSchemaRejectsBadValues(t *testing.T) {
	for _, set := range []string{
		"unknownKey=1",
		"gateway.unknown=1",
		"logLevel=verbose",
		"postgresql.password=p@ss/word",
		"postgresql.sslMode=sometimes",
		"realtime.ports.grpc=70000",
		"objectStore.s3.bucket=Not_A_Bucket",
		"gateway.trustedProxies={ingress-nginx}",
		"gateway.extraAllowedOrigins={https://draw.example.com/app}",
		"gateway.guestRetentionDays=0",
		// Keys are named as the gateway's CLI names them, so that the newest UTC stamp signs.
		"gateway.signingKeys.keys.signing-key\\.pem=-----BEGIN PRIVATE KEY-----",
		"internalTLS.source=vault",
		"internalTLS.certManager.issuerRef.kind=Vault",
		"internalTLS.source=certManager",     // no issuerRef.name
		"internalTLS.source=existingSecrets", // no Secret names
	} {
		t.Run(set, func(t *testing.T) {
			if _, err := HelmTemplate("--set", set); err == nil {
				t.Fatalf("helm template --set %s succeeded; values.schema.json (or a required value) should refuse it", set)
			}
		})
	}
}

func TestRenders(t *testing.T) {
	for _, tc := range append(chartCases(), kustomizeCases()...) {
		t.Run(tc.name, func(t *testing.T) {
			data, err := tc.render()
			if err != nil {
				t.Fatal(err)
			}
			objs, err := DecodeStrict(data)
			if err != nil {
				t.Fatalf("strict decoding: %v", err)
			}
			checkRender(t, set{objs}, tc.want)
		})
	}
}

func checkRender(t *testing.T, s set, want expect) {
	t.Run("recommended labels", func(t *testing.T) { checkLabels(t, s, want) })
	t.Run("pod security", func(t *testing.T) { checkSecurity(t, s) })
	t.Run("resources and images", func(t *testing.T) { checkResourcesAndImages(t, s) })
	t.Run("deployments and probes", func(t *testing.T) { checkDeployments(t, s, want) })
	t.Run("services", func(t *testing.T) { checkServices(t, s) })
	t.Run("environment", func(t *testing.T) { checkEnvironment(t, s, want) })
	t.Run("hpa and pdb", func(t *testing.T) { checkHPAAndPDB(t, s, want) })
	t.Run("routing", func(t *testing.T) { checkRouting(t, s, want) })
	t.Run("migrations", func(t *testing.T) { checkMigrations(t, s, want) })
	t.Run("secrets", func(t *testing.T) { checkSecrets(t, s, want) })
	t.Run("network policies", func(t *testing.T) { checkNetworkPolicies(t, s, want) })
	t.Run("service monitor", func(t *testing.T) { checkServiceMonitor(t, s, want) })
	t.Run("evaluation stores", func(t *testing.T) { checkEvaluation(t, s, want) })
	t.Run("internal TLS", func(t *testing.T) { checkInternalTLS(t, s, want) })
	if want.helm {
		t.Run("helm test", func(t *testing.T) { checkHelmTests(t, s, want) })
	}
}

var recommendedLabels = []string{"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component",
	"app.kubernetes.io/part-of", "app.kubernetes.io/version", "app.kubernetes.io/managed-by"}

func checkLabels(t *testing.T, s set, want expect) {
	managedBy := "kustomize"
	if want.helm {
		managedBy = "Helm"
	}
	check := func(what string, l map[string]string) {
		for _, k := range recommendedLabels {
			if l[k] == "" {
				t.Errorf("%s: label %s missing", what, k)
			}
		}
		if l["app.kubernetes.io/managed-by"] != managedBy {
			t.Errorf("%s: managed-by %q, want %q", what, l["app.kubernetes.io/managed-by"], managedBy)
		}
		if l["app.kubernetes.io/part-of"] != "infidraw" {
			t.Errorf("%s: part-of %q", what, l["app.kubernetes.io/part-of"])
		}
	}
	for _, o := range s.objs {
		check(kindOf(o.Obj)+"/"+meta(o.Obj).GetName(), meta(o.Obj).GetLabels())
	}
	for _, p := range podTemplates(s) {
		check(p.owner+" pod template", p.labels)
	}
}

func checkSecurity(t *testing.T, s set) {
	pods := podTemplates(s)
	if len(pods) == 0 {
		t.Fatal("no pod templates")
	}
	for _, p := range pods {
		psc := p.spec.SecurityContext
		if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
			t.Errorf("%s: pod securityContext.runAsNonRoot is not true", p.owner)
		}
		if psc == nil || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
			t.Errorf("%s: pod securityContext.runAsUser is not a non-zero uid", p.owner)
		}
		if psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("%s: seccompProfile is not RuntimeDefault", p.owner)
		}
		if p.spec.AutomountServiceAccountToken == nil || *p.spec.AutomountServiceAccountToken {
			t.Errorf("%s: service account token is mounted", p.owner)
		}
		if p.spec.HostNetwork || p.spec.HostPID || p.spec.HostIPC {
			t.Errorf("%s: uses a host namespace", p.owner)
		}
		for _, c := range allContainers(p.spec) {
			sc := c.SecurityContext
			where := p.owner + " container " + c.Name
			switch {
			case sc == nil:
				t.Errorf("%s: no securityContext", where)
				continue
			case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
				t.Errorf("%s: allowPrivilegeEscalation is not false", where)
			case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
				t.Errorf("%s: readOnlyRootFilesystem is not true", where)
			case sc.Privileged != nil && *sc.Privileged:
				t.Errorf("%s: privileged", where)
			case sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0:
				t.Errorf("%s: capabilities are not drop [ALL]", where)
			case sc.RunAsUser != nil && *sc.RunAsUser == 0:
				t.Errorf("%s: runs as root", where)
			}
		}
	}
}

func checkResourcesAndImages(t *testing.T, s set) {
	pinned := regexp.MustCompile(`^[^@]+(:[A-Za-z0-9_][A-Za-z0-9_.-]*|@sha256:[a-f0-9]{64})$`)
	for _, p := range podTemplates(s) {
		for _, c := range allContainers(p.spec) {
			where := p.owner + " container " + c.Name
			r := c.Resources
			if r.Requests.Cpu().IsZero() || r.Requests.Memory().IsZero() {
				t.Errorf("%s: cpu and memory requests must be set, got %v", where, r.Requests)
			}
			if r.Limits.Memory().IsZero() {
				t.Errorf("%s: memory limit must be set", where)
			}
			if !pinned.MatchString(c.Image) || strings.HasSuffix(c.Image, ":latest") {
				t.Errorf("%s: image %q is not pinned to a tag or digest", where, c.Image)
			}
		}
	}
}

func deployment(t *testing.T, s set, c component) *appsv1.Deployment {
	t.Helper()
	d, ok := byName[*appsv1.Deployment](s, objName(c.name))
	if !ok {
		t.Fatalf("Deployment %s missing; have %v", objName(c.name), names(ofType[*appsv1.Deployment](s)))
	}
	return d
}

func checkDeployments(t *testing.T, s set, want expect) {
	for _, c := range components {
		d := deployment(t, s, c)
		spec := d.Spec.Template.Spec
		if len(spec.Containers) != 1 {
			t.Fatalf("%s: want one container, got %d", d.Name, len(spec.Containers))
		}
		ctr := spec.Containers[0]
		if got, _ := containerPort(spec, "http"); got != c.httpPort {
			t.Errorf("%s: http port %d, want %d", d.Name, got, c.httpPort)
		}
		if c.grpcPort != 0 {
			if got, _ := containerPort(spec, "grpc"); got != c.grpcPort {
				t.Errorf("%s: grpc port %d, want %d", d.Name, got, c.grpcPort)
			}
		}
		if ctr.LivenessProbe == nil || ctr.ReadinessProbe == nil || ctr.StartupProbe == nil {
			t.Fatalf("%s: liveness, readiness and startup probes must all be set", d.Name)
		}
		// HTTP probes for every service: kubelet gRPC probes cannot speak TLS, and /healthz reports the same
		// readiness as grpc.health.v1.
		for what, p := range map[string]*corev1.Probe{"readiness": ctr.ReadinessProbe, "startup": ctr.StartupProbe} {
			if p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" || p.HTTPGet.Port.String() != "http" {
				t.Errorf("%s: %s probe is not HTTP GET /healthz on the http port: %+v", d.Name, what, p.ProbeHandler)
			}
		}
		if ctr.LivenessProbe.HTTPGet == nil && ctr.LivenessProbe.TCPSocket == nil {
			t.Errorf("%s: liveness probe is neither HTTP nor TCP", d.Name)
		}
		if want.autoscaling && d.Spec.Replicas != nil {
			t.Errorf("%s: sets replicas although an HPA owns them (helm upgrade would fight the HPA)", d.Name)
		}
		if !want.autoscaling && (d.Spec.Replicas == nil || *d.Spec.Replicas < 1) {
			t.Errorf("%s: no replicas without HPA", d.Name)
		}
		if d.Spec.Strategy.RollingUpdate == nil || d.Spec.Strategy.RollingUpdate.MaxUnavailable.IntValue() != 0 {
			t.Errorf("%s: rolling updates must not take pods down before new ones are ready", d.Name)
		}
		if ctr.Lifecycle == nil || ctr.Lifecycle.PreStop == nil || ctr.Lifecycle.PreStop.Sleep == nil {
			t.Errorf("%s: no preStop sleep (endpoints must drop the pod before SIGTERM)", d.Name)
		}
		if !slices.ContainsFunc(ctr.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == "/tmp" }) {
			t.Errorf("%s: read-only root filesystem without a writable /tmp", d.Name)
		}
		if len(spec.TopologySpreadConstraints) == 0 {
			t.Errorf("%s: no topology spread constraints", d.Name)
		}
	}
}

func checkServices(t *testing.T, s set) {
	for _, svc := range ofType[*corev1.Service](s) {
		if len(svc.Spec.Selector) == 0 {
			t.Errorf("Service %s has no selector", svc.Name)
			continue
		}
		pods := podsSelectedBy(s, labels.SelectorFromSet(svc.Spec.Selector))
		if len(pods) != 1 {
			t.Errorf("Service %s selects %d workloads, want 1", svc.Name, len(pods))
			continue
		}
		for _, p := range svc.Spec.Ports {
			if p.Name == "" {
				t.Errorf("Service %s: unnamed port %d", svc.Name, p.Port)
			}
			if p.TargetPort.StrVal == "" {
				t.Errorf("Service %s port %s: targetPort should name the container port", svc.Name, p.Name)
				continue
			}
			if _, ok := containerPort(pods[0].spec, p.TargetPort.StrVal); !ok {
				t.Errorf("Service %s port %s: %s has no container port %q", svc.Name, p.Name, pods[0].owner, p.TargetPort.StrVal)
			}
		}
	}
	for _, c := range components {
		svc, ok := byName[*corev1.Service](s, objName(c.name))
		if !ok {
			t.Errorf("Service %s missing", objName(c.name))
			continue
		}
		wantPorts := map[string]int32{"http": c.httpPort}
		if c.grpcPort != 0 {
			wantPorts["grpc"] = c.grpcPort
			h, ok := byName[*corev1.Service](s, objName(c.name)+"-headless")
			if !ok || h.Spec.ClusterIP != corev1.ClusterIPNone {
				t.Errorf("%s: headless Service for client-side gRPC balancing missing", c.name)
			}
		}
		for _, p := range svc.Spec.Ports {
			if wantPorts[p.Name] != p.Port {
				t.Errorf("Service %s: port %s=%d, want %d", svc.Name, p.Name, p.Port, wantPorts[p.Name])
			}
			delete(wantPorts, p.Name)
		}
		if len(wantPorts) > 0 {
			t.Errorf("Service %s lacks ports %v", svc.Name, wantPorts)
		}
	}
}

var varRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

func checkEnvironment(t *testing.T, s set, want expect) {
	// $(VAR) only expands when VAR is defined earlier in the same container.
	for _, p := range podTemplates(s) {
		for _, c := range allContainers(p.spec) {
			defined := map[string]bool{}
			for _, e := range c.Env {
				for _, m := range varRef.FindAllStringSubmatch(e.Value, -1) {
					if !defined[m[1]] {
						t.Errorf("%s container %s: %s uses $(%s) before it is defined", p.owner, c.Name, e.Name, m[1])
					}
				}
				defined[e.Name] = true
			}
			for _, a := range append(append([]string{}, c.Args...), c.Command...) {
				for _, m := range varRef.FindAllStringSubmatch(a, -1) {
					if !defined[m[1]] {
						t.Errorf("%s container %s: argument uses undefined $(%s)", p.owner, c.Name, m[1])
					}
				}
			}
		}
	}
	resolve := func(c corev1.Container, v string) string {
		return varRef.ReplaceAllStringFunc(v, func(ref string) string {
			name := varRef.FindStringSubmatch(ref)[1]
			if e, ok := envVar(c, name); ok {
				if e.ValueFrom != nil {
					return "SECRET"
				}
				return e.Value
			}
			return ref
		})
	}
	for _, comp := range components {
		d := deployment(t, s, comp)
		ctr := d.Spec.Template.Spec.Containers[0]
		for _, name := range comp.env {
			if _, ok := envVar(ctr, name); !ok {
				t.Errorf("%s: env %s missing", d.Name, name)
			}
		}
		for _, name := range []string{"REALTIME_TARGET", "TILE_DELTA_TARGET", "SNAPSHOT_TARGET"} {
			v, ok := envValue(ctr, name)
			if !ok {
				continue
			}
			checkGRPCTarget(t, s, d.Name+" "+name, v)
		}
		if v, ok := envValue(ctr, "DATABASE_URL"); ok {
			u, err := url.Parse(resolve(ctr, v))
			if err != nil || u.Scheme != "postgres" || u.Hostname() == "" || u.Port() == "" || u.Path != "/infidraw" || u.Query().Get("sslmode") == "" {
				t.Errorf("%s: DATABASE_URL %q does not resolve to postgres://user@host:port/infidraw?sslmode=…: %v", d.Name, resolve(ctr, v), err)
			}
			if want.evaluation && u != nil && u.Hostname() != "infidraw-postgresql" {
				t.Errorf("%s: evaluation DATABASE_URL points at %s", d.Name, u.Hostname())
			}
		}
		if v, ok := envValue(ctr, "REDIS_URL"); ok {
			u, err := url.Parse(resolve(ctr, v))
			if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Port() == "" {
				t.Errorf("%s: REDIS_URL %q is not a redis URL: %v", d.Name, resolve(ctr, v), err)
			}
		}
		if v, ok := envValue(ctr, "OBJECT_STORE_URL"); ok {
			u, err := url.Parse(v)
			if err != nil || u.Scheme != "s3" || u.Host == "" {
				t.Errorf("%s: OBJECT_STORE_URL %q is not s3://bucket?…", d.Name, v)
			}
			if want.evaluation && (err != nil || u.Query().Get("endpoint") != "infidraw-s3:8333") {
				t.Errorf("%s: evaluation OBJECT_STORE_URL %q does not use the in-cluster store", d.Name, v)
			}
			_, hasKey := envVar(ctr, "S3_ACCESS_KEY")
			_, hasSecret := envVar(ctr, "S3_SECRET_KEY")
			if hasKey != hasSecret {
				t.Errorf("%s: S3_ACCESS_KEY and S3_SECRET_KEY must come together", d.Name)
			}
		}
		if v, ok := envValue(ctr, "REALTIME_JWKS_URL"); ok {
			u, err := url.Parse(v)
			if err != nil || u.Path != "/.well-known/jwks.json" || u.Hostname() != "infidraw-gateway" || u.Port() != "8080" {
				t.Errorf("%s: REALTIME_JWKS_URL %q must point at the gateway Service", d.Name, v)
			}
		}
		if v, ok := envValue(ctr, "GATEWAY_PUBLIC_ORIGIN"); ok && want.host != "" && v != "https://"+want.host {
			t.Errorf("%s: GATEWAY_PUBLIC_ORIGIN %q, want https://%s", d.Name, v, want.host)
		}
		if v, ok := envValue(ctr, "REALTIME_ALLOWED_ORIGINS"); ok && want.host != "" && !strings.Contains(v, "https://"+want.host) {
			t.Errorf("%s: REALTIME_ALLOWED_ORIGINS %q lacks https://%s", d.Name, v, want.host)
		}
	}
}

// checkGRPCTarget: dns:///<headless service>:<grpc port> naming a Service of this render (a bare name,
// resolved in the pod's own namespace, so that the manifests can move to another namespace).
func checkGRPCTarget(t *testing.T, s set, what, target string) {
	m := regexp.MustCompile(`^dns:///([a-z0-9-]+):([0-9]+)$`).FindStringSubmatch(target)
	if m == nil {
		t.Errorf("%s: %q is not dns:///<service>:<port>", what, target)
		return
	}
	m = []string{m[0], m[1], "", m[2]}
	svc, ok := byName[*corev1.Service](s, m[1])
	if !ok {
		t.Errorf("%s: %q names no Service of the release", what, target)
		return
	}
	if svc.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Errorf("%s: %q is not headless (gRPC clients could not balance across pods)", what, target)
	}
	if !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return fmt.Sprint(p.Port) == m[3] && p.Name == "grpc" }) {
		t.Errorf("%s: Service %s has no grpc port %s", what, svc.Name, m[3])
	}
}

func checkHPAAndPDB(t *testing.T, s set, want expect) {
	for _, c := range components {
		d := deployment(t, s, c)
		podLabels := labels.Set(d.Spec.Template.Labels)
		pdb, ok := byName[*policyv1.PodDisruptionBudget](s, d.Name)
		if !ok {
			t.Errorf("%s: no PodDisruptionBudget", d.Name)
		} else {
			if !selectorOf(t, pdb.Spec.Selector).Matches(podLabels) {
				t.Errorf("PDB %s does not select the pods of %s", pdb.Name, d.Name)
			}
			if pdb.Spec.MaxUnavailable == nil && pdb.Spec.MinAvailable == nil {
				t.Errorf("PDB %s sets neither maxUnavailable nor minAvailable", pdb.Name)
			}
		}
		hpa, ok := byName[*autoscalingv2.HorizontalPodAutoscaler](s, d.Name)
		if !want.autoscaling {
			if ok {
				t.Errorf("%s: HPA rendered although autoscaling is off", d.Name)
			}
			continue
		}
		if !ok {
			t.Errorf("%s: no HorizontalPodAutoscaler", d.Name)
			continue
		}
		ref := hpa.Spec.ScaleTargetRef
		if ref.Kind != "Deployment" || ref.Name != d.Name || ref.APIVersion != "apps/v1" {
			t.Errorf("HPA %s targets %+v", hpa.Name, ref)
		}
		if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas < 2 || hpa.Spec.MaxReplicas <= *hpa.Spec.MinReplicas {
			t.Errorf("HPA %s: replicas %v..%d: want at least 2 and room to grow", hpa.Name, hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas)
		}
		cpu := slices.ContainsFunc(hpa.Spec.Metrics, func(m autoscalingv2.MetricSpec) bool {
			return m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource.Name == corev1.ResourceCPU &&
				m.Resource.Target.Type == autoscalingv2.UtilizationMetricType && m.Resource.Target.AverageUtilization != nil
		})
		if !cpu {
			t.Errorf("HPA %s does not scale on CPU utilization", hpa.Name)
		}
		if c.name == "realtime" {
			conns := slices.ContainsFunc(hpa.Spec.Metrics, func(m autoscalingv2.MetricSpec) bool {
				return m.Type == autoscalingv2.PodsMetricSourceType && m.Pods.Metric.Name == "realtime_connections"
			})
			if conns != want.connectionsMetric {
				t.Errorf("HPA %s: connections metric %v, want %v", hpa.Name, conns, want.connectionsMetric)
			}
			b := hpa.Spec.Behavior
			if b == nil || b.ScaleDown == nil || b.ScaleDown.StabilizationWindowSeconds == nil || *b.ScaleDown.StabilizationWindowSeconds < 300 {
				t.Errorf("HPA %s: scaling in drops WebSockets and must be slow (scaleDown stabilization >= 300 s)", hpa.Name)
			}
		}
	}
}

func checkRouting(t *testing.T, s set, want expect) {
	ingresses := ofType[*networkingv1.Ingress](s)
	if want.ingress != (len(ingresses) == 1) {
		t.Fatalf("want ingress=%v, got %v", want.ingress, names(ingresses))
	}
	routes := ofType[*gatewayv1.HTTPRoute](s)
	if want.httpRoute != (len(routes) == 1) {
		t.Fatalf("want httpRoute=%v, got %v", want.httpRoute, names(routes))
	}
	backendPort := func(svcName string, name string, number int32) int32 {
		svc, ok := byName[*corev1.Service](s, svcName)
		if !ok {
			t.Errorf("route backend %s is no Service of the release", svcName)
			return 0
		}
		for _, p := range svc.Spec.Ports {
			if (name != "" && p.Name == name) || (name == "" && p.Port == number) {
				return p.Port
			}
		}
		t.Errorf("route backend %s has no port %q/%d", svcName, name, number)
		return 0
	}
	for _, ing := range ingresses {
		if len(ing.Spec.Rules) != 1 || ing.Spec.Rules[0].HTTP == nil {
			t.Fatalf("Ingress %s: want one HTTP rule", ing.Name)
		}
		if ing.Spec.Rules[0].Host != want.host {
			t.Errorf("Ingress %s host %q, want %q", ing.Name, ing.Spec.Rules[0].Host, want.host)
		}
		routes := map[string]string{}
		for _, p := range ing.Spec.Rules[0].HTTP.Paths {
			b := p.Backend.Service
			routes[p.Path] = fmt.Sprintf("%s:%d", b.Name, backendPort(b.Name, b.Port.Name, b.Port.Number))
		}
		if routes["/ws"] != "infidraw-realtime:8081" {
			t.Errorf("Ingress %s: /ws goes to %q, want infidraw-realtime:8081", ing.Name, routes["/ws"])
		}
		if routes["/"] != "infidraw-gateway:8080" {
			t.Errorf("Ingress %s: / goes to %q, want infidraw-gateway:8080", ing.Name, routes["/"])
		}
		for _, k := range []string{"nginx.ingress.kubernetes.io/proxy-read-timeout", "nginx.ingress.kubernetes.io/proxy-send-timeout"} {
			if secs, err := strconv.Atoi(ing.Annotations[k]); err != nil || secs < 3600 {
				t.Errorf("Ingress %s: %s = %q, WebSockets need at least an hour", ing.Name, k, ing.Annotations[k])
			}
		}
		if want.host != "" && (len(ing.Spec.TLS) != 1 || !slices.Contains(ing.Spec.TLS[0].Hosts, want.host)) {
			t.Errorf("Ingress %s: no TLS for %s", ing.Name, want.host)
		}
	}
	for _, r := range routes {
		got := map[string]string{}
		for _, rule := range r.Spec.Rules {
			for _, m := range rule.Matches {
				b := rule.BackendRefs[0]
				got[*m.Path.Value] = fmt.Sprintf("%s:%d", b.Name, backendPort(string(b.Name), "", int32(*b.Port)))
				if *m.Path.Value == "/ws" && (rule.Timeouts == nil || rule.Timeouts.Request == nil || *rule.Timeouts.Request != "0s") {
					t.Errorf("HTTPRoute %s: /ws must disable the request timeout", r.Name)
				}
			}
		}
		if got["/ws"] != "infidraw-realtime:8081" || got["/"] != "infidraw-gateway:8080" {
			t.Errorf("HTTPRoute %s routes %v", r.Name, got)
		}
		if len(r.Spec.ParentRefs) == 0 {
			t.Errorf("HTTPRoute %s has no parentRefs", r.Name)
		}
	}
}

func checkMigrations(t *testing.T, s set, want expect) {
	job, ok := byName[*batchv1.Job](s, objName("migrations"))
	if !ok {
		t.Fatalf("migration Job missing; jobs: %v", names(ofType[*batchv1.Job](s)))
	}
	ctr := job.Spec.Template.Spec.Containers[0]
	if !strings.Contains(ctr.Image, "/migrations") || !slices.Equal(ctr.Args, []string{"up"}) {
		t.Errorf("Job %s: runs %s %v, want the migration image with `up`", job.Name, ctr.Image, ctr.Args)
	}
	for name, value := range map[string]string{"GOOSE_DRIVER": "postgres", "GOOSE_DBSTRING": "$(DATABASE_URL)", "GOOSE_MIGRATION_DIR": "/migrations"} {
		if v, _ := envValue(ctr, name); v != value {
			t.Errorf("Job %s: %s=%q, want %q", job.Name, name, v, value)
		}
	}
	if job.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever || job.Spec.BackoffLimit == nil || job.Spec.ActiveDeadlineSeconds == nil {
		t.Errorf("Job %s: want restartPolicy Never, a backoffLimit and a deadline", job.Name)
	}
	a := job.Annotations
	if !want.helm {
		for k := range a {
			if strings.HasPrefix(k, "helm.sh/") {
				t.Errorf("Job %s: plain manifests carry helm annotation %s", job.Name, k)
			}
		}
		return
	}
	if a["helm.sh/hook"] != want.hook {
		t.Errorf("Job %s: helm.sh/hook %q, want %q", job.Name, a["helm.sh/hook"], want.hook)
	}
	if a["helm.sh/hook-delete-policy"] != "before-hook-creation,hook-succeeded" {
		t.Errorf("Job %s: hook-delete-policy %q", job.Name, a["helm.sh/hook-delete-policy"])
	}
	if a["helm.sh/hook-weight"] == "" {
		t.Errorf("Job %s: no hook-weight", job.Name)
	}
	// A pre-install hook runs before the release's ordinary objects exist: everything it reads must be a
	// hook of the same phase with a lower weight, or not created by the release at all.
	if !strings.HasPrefix(want.hook, "pre-install") {
		return
	}
	if sa := job.Spec.Template.Spec.ServiceAccountName; sa != "" {
		if _, ok := byName[*corev1.ServiceAccount](s, sa); ok {
			t.Errorf("Job %s uses ServiceAccount %s, which the release creates after the hook", job.Name, sa)
		}
	}
	refs := map[string]bool{}
	for _, c := range allContainers(job.Spec.Template.Spec) {
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				refs["Secret/"+e.ValueFrom.SecretKeyRef.Name] = true
			}
			if e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil {
				refs["ConfigMap/"+e.ValueFrom.ConfigMapKeyRef.Name] = true
			}
		}
		for _, ef := range c.EnvFrom {
			if ef.SecretRef != nil {
				refs["Secret/"+ef.SecretRef.Name] = true
			}
			if ef.ConfigMapRef != nil {
				refs["ConfigMap/"+ef.ConfigMapRef.Name] = true
			}
		}
	}
	for _, v := range job.Spec.Template.Spec.Volumes {
		if v.Secret != nil {
			refs["Secret/"+v.Secret.SecretName] = true
		}
		if v.ConfigMap != nil {
			refs["ConfigMap/"+v.ConfigMap.Name] = true
		}
	}
	for ref := range refs {
		for _, o := range s.objs {
			m := meta(o.Obj)
			if kindOf(o.Obj)+"/"+m.GetName() != ref {
				continue
			}
			hook := m.GetAnnotations()["helm.sh/hook"]
			if !strings.Contains(hook, "pre-install") {
				t.Errorf("Job %s (pre-install hook) depends on %s, which is not a pre-install hook", job.Name, ref)
			} else if m.GetAnnotations()["helm.sh/hook-weight"] >= a["helm.sh/hook-weight"] {
				t.Errorf("Job %s depends on hook %s, which does not run before it (weight)", job.Name, ref)
			}
		}
	}
}

func checkSecrets(t *testing.T, s set, want expect) {
	rendered := map[string]*corev1.Secret{}
	for _, sec := range ofType[*corev1.Secret](s) {
		rendered[sec.Name] = sec
	}
	used := map[string]bool{}
	for _, p := range podTemplates(s) {
		for _, c := range allContainers(p.spec) {
			for _, e := range c.Env {
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
					ref := e.ValueFrom.SecretKeyRef
					used[ref.Name] = true
					if sec, ok := rendered[ref.Name]; ok {
						_, inData := sec.Data[ref.Key]
						_, inString := sec.StringData[ref.Key]
						if !inData && !inString {
							t.Errorf("%s: Secret %s has no key %s", p.owner, ref.Name, ref.Key)
						}
					}
				}
			}
		}
		for _, v := range p.spec.Volumes {
			if v.Secret != nil {
				used[v.Secret.SecretName] = true
			}
		}
	}
	for _, ing := range ofType[*networkingv1.Ingress](s) {
		for _, tls := range ing.Spec.TLS {
			used[tls.SecretName] = true
		}
	}
	var external []string
	for name := range used {
		if _, ok := rendered[name]; !ok {
			external = append(external, name)
		}
	}
	slices.Sort(external)
	wantExternal := slices.Sorted(slices.Values(want.externalSecrets))
	if !slices.Equal(external, wantExternal) {
		t.Errorf("Secrets read but not created: %v, want %v", external, wantExternal)
	}
	keys, ok := rendered[objName("gateway-keys")]
	if ok != want.generatedKeys {
		t.Fatalf("gateway key Secret rendered=%v, want %v", ok, want.generatedKeys)
	}
	if ok {
		if len(keys.StringData) != 1 {
			t.Fatalf("gateway key Secret: want one generated key, got %d", len(keys.StringData))
		}
		for file, value := range keys.StringData {
			// The format the gateway's CLI writes, stamped in UTC: the newest stamp signs.
			stamp, found := strings.CutPrefix(strings.TrimSuffix(file, ".pem"), "ed25519-")
			if at, err := time.Parse("20060102T150405Z", stamp); !found || err != nil || time.Since(at).Abs() > time.Hour {
				t.Errorf("gateway key file %s is not ed25519-<UTC YYYYMMDDTHHMMSSZ of now>.pem", file)
			}
			block, _ := pem.Decode([]byte(value))
			if block == nil {
				t.Fatalf("gateway key %s is not PEM", file)
			}
			key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if _, isEd := key.(ed25519.PrivateKey); err != nil || !isEd {
				t.Errorf("gateway key %s is not an Ed25519 PKCS#8 key (%T, %v)", file, key, err)
			}
		}
	}
}

func checkServiceMonitor(t *testing.T, s set, want expect) {
	sms := ofType[*monitoringv1.ServiceMonitor](s)
	if want.serviceMonitor != (len(sms) == 1) {
		t.Fatalf("want serviceMonitor=%v, got %v", want.serviceMonitor, names(sms))
	}
	for _, sm := range sms {
		sel := selectorOf(t, &sm.Spec.Selector)
		scraped := map[string]bool{}
		for _, svc := range ofType[*corev1.Service](s) {
			if !sel.Matches(labels.Set(svc.Labels)) {
				continue
			}
			for _, p := range svc.Spec.Ports {
				for _, ep := range sm.Spec.Endpoints {
					if ep.Port == p.Name && ep.Path == "/metrics" {
						scraped[svc.Labels["app.kubernetes.io/component"]] = true
					}
				}
			}
		}
		for _, c := range components {
			if !scraped[c.name] {
				t.Errorf("ServiceMonitor %s does not scrape %s /metrics", sm.Name, c.name)
			}
		}
	}
}

func checkEvaluation(t *testing.T, s set, want expect) {
	stores := []string{"postgresql", "redis", "s3"}
	for _, st := range stores {
		_, ok := byName[*corev1.Service](s, objName(st))
		if ok != want.evaluation {
			t.Errorf("evaluation store Service %s rendered=%v, want %v", objName(st), ok, want.evaluation)
		}
	}
	if !want.evaluation {
		return
	}
	for _, name := range []string{objName("postgresql"), objName("s3")} {
		sts, ok := byName[*appsv1.StatefulSet](s, name)
		if !ok || sts.Spec.Replicas == nil || *sts.Spec.Replicas != 1 {
			t.Errorf("StatefulSet %s: want a single replica", name)
		}
	}
	if d, ok := byName[*appsv1.Deployment](s, objName("redis")); !ok || d.Spec.Replicas == nil || *d.Spec.Replicas != 1 {
		t.Errorf("redis: want a single replica Deployment")
	}
	sec, ok := byName[*corev1.Secret](s, objName("evaluation"))
	if !ok || sec.Annotations["helm.sh/resource-policy"] != "keep" {
		t.Errorf("evaluation Secret missing or not kept on uninstall")
	}
	for k, v := range sec.Data {
		if len(v) < 24 {
			t.Errorf("evaluation credential %s is only %d bytes", k, len(v))
		}
	}
	job, _ := byName[*batchv1.Job](s, objName("migrations"))
	if job == nil || len(job.Spec.Template.Spec.InitContainers) != 1 {
		t.Errorf("evaluation migration Job must wait for PostgreSQL in an init container")
	}
}

func checkHelmTests(t *testing.T, s set, want expect) {
	seen := map[string]bool{}
	for _, pod := range ofType[*corev1.Pod](s) {
		if pod.Annotations["helm.sh/hook"] != "test" {
			t.Errorf("Pod %s is not a helm test hook", pod.Name)
			continue
		}
		script := strings.Join(append(append([]string{}, pod.Spec.Containers[0].Command...), pod.Spec.Containers[0].Args...), " ")
		if !strings.Contains(pod.Spec.Containers[0].Image, "grpcurl") || !strings.Contains(script, "grpcurl") {
			t.Errorf("test Pod %s does not use grpcurl", pod.Name)
		}
		// Under internal TLS health and reflection need the CA alone: the test pod holds no key.
		if tls := want.internalTLS != ""; tls != strings.Contains(script, "-cacert /etc/infidraw/tls/ca.crt") || tls == strings.Contains(script, "-plaintext") {
			t.Errorf("test Pod %s: internal TLS %v but script %q", pod.Name, tls, script)
		}
		for _, v := range pod.Spec.Volumes {
			if v.Secret != nil && (len(v.Secret.Items) != 1 || v.Secret.Items[0].Key != "ca.crt") {
				t.Errorf("test Pod %s mounts more of Secret %s than ca.crt", pod.Name, v.Secret.SecretName)
			}
		}
		for _, c := range components {
			if c.grpcPort == 0 {
				continue
			}
			target := fmt.Sprintf("%s:%d", objName(c.name), c.grpcPort)
			if strings.Contains(script, target) && strings.Contains(script, "grpc.health.v1.Health/Check") &&
				strings.Contains(script, c.grpcService) && strings.Contains(script, `"status": "SERVING"`) {
				seen[c.name] = true
			}
		}
	}
	for _, c := range components {
		if c.grpcPort != 0 && !seen[c.name] {
			t.Errorf("no helm test checks %s's gRPC health (%s) with grpcurl", c.name, c.grpcService)
		}
	}
}
