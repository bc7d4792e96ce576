package deploy

// The environment of every container: variable references, gRPC targets and URLs (docs/contracts.md).

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

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
		v, ok := envValue(ctr, "REDIS_CLUSTER_URL")
		if usesRedis := comp.name == "realtime" || comp.name == "gateway"; ok != (want.redisCluster && usesRedis) {
			t.Errorf("%s: REDIS_CLUSTER_URL set %t, want %t", d.Name, ok, want.redisCluster && usesRedis)
		}
		if ok {
			u, err := url.Parse(resolve(ctr, v))
			if err != nil || u.Scheme != "redis" || u.Port() == "" || u.Path != "" || len(u.Query()["addr"]) != 2 {
				t.Errorf("%s: REDIS_CLUSTER_URL %q is not redis://host:port?addr=…&addr=… (no database): %v", d.Name, resolve(ctr, v), err)
			}
		}
		// Only tile-delta reads the object store; the gateway gets snapshots through it.
		for _, name := range []string{"OBJECT_STORE_URL", "S3_ACCESS_KEY", "S3_SECRET_KEY"} {
			if _, ok := envVar(ctr, name); ok && comp.name != "tile-delta" {
				t.Errorf("%s: env %s outside tile-delta", d.Name, name)
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

// tileDelta.snapshotUrlTTL reaches tile-delta as TILE_DELTA_SNAPSHOT_URL_TTL; unset, tile-delta never presigns.
func TestSnapshotURLTTLValue(t *testing.T) {
	tileDelta := component{name: "tile-delta"}
	for _, tc := range []struct {
		set, want string
	}{{"", ""}, {"tileDelta.snapshotUrlTTL=15m", "15m"}} {
		t.Run(tc.set, func(t *testing.T) {
			args := []string{}
			if tc.set != "" {
				args = append(args, "--set", tc.set)
			}
			s := renderCase{name: tc.set, render: func() ([]byte, error) { return HelmTemplate(args...) }}.objects(t)
			got, _ := envValue(deployment(t, s, tileDelta).Spec.Template.Spec.Containers[0], "TILE_DELTA_SNAPSHOT_URL_TTL")
			if got != tc.want {
				t.Fatalf("TILE_DELTA_SNAPSHOT_URL_TTL = %q, want %q", got, tc.want)
			}
		})
	}
}
