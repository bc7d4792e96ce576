package deploy

// The render matrix: every chart example and kustomize build is rendered, decoded strictly and checked
// by concept (one check per file: labels_test.go, security_test.go, workloads_test.go, ...).

import (
	"path/filepath"
	"testing"
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
	redisCluster      bool   // redis.cluster set: realtime and the gateway get REDIS_CLUSTER_URL
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
		{"helm/redis-cluster", func() ([]byte, error) {
			return HelmTemplate("--set", "redis.cluster=true,redis.password=pw,redis.clusterNodes[0]=redis-1:6379,redis.clusterNodes[1]=redis-2:6379")
		}, expect{
			helm: true, hook: "pre-install,pre-upgrade", autoscaling: true, ingress: true, generatedKeys: true, internalTLS: "generate", redisCluster: true,
			externalSecrets: []string{"infidraw-postgresql", "infidraw-s3"},
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

// objects renders the case and decodes it strictly.
func (tc renderCase) objects(t *testing.T) set {
	t.Helper()
	data, err := tc.render()
	if err != nil {
		t.Fatal(err)
	}
	objs, err := DecodeStrict(data)
	if err != nil {
		t.Fatalf("strict decoding: %v", err)
	}
	return set{objs}
}

func TestRenders(t *testing.T) {
	for _, tc := range append(chartCases(), kustomizeCases()...) {
		t.Run(tc.name, func(t *testing.T) { checkRender(t, tc.objects(t), tc.want) })
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
