// Command imagebundle turns the chart's workloads into OCI runtime bundles that crun can start, so that
// deploy/images-test.sh runs each image the way the chart does, not the way a hand-written script thinks
// it does. From `helm template` output and the archives of `make images` it writes, per workload,
// OUT/<name>/rootfs (the image unpacked), OUT/<name>/config.json and OUT/<name>/volumes:
//
//   - the image is the one the chart names: its archive's reference must equal the container's image;
//   - process: the image's entrypoint, the container's args (or the image's cmd), the image's environment
//     and the container's env with $(VAR) expanded, values from the rendered Secrets, fieldRefs of a pod;
//   - security: runAsUser/runAsGroup/fsGroup, readOnlyRootFilesystem, capabilities dropped (drop ALL gives
//     an empty set), no_new_privs from allowPrivilegeEscalation: false;
//   - mounts: emptyDir as tmpfs of its sizeLimit, Secret volumes as read-only files of their data with the
//     volume's defaultMode and group fsGroup, as the kubelet writes them, and an /etc/hosts that maps every
//     Service of the release to 127.0.0.1 (the test runs everything in one network namespace).
//
// Not reproduced: cgroup limits (this machine's hybrid cgroups leave crun none to use) and the seccomp
// RuntimeDefault profile (a container runtime's own). It also writes OUT/backing.env: the credentials of
// the rendered Secrets that the backing services must accept (evaluation mode generates them).
//
//	go run ./cmd/imagebundle -manifests rendered.yaml -archives ../../dist/images -out DIR
package main

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	deploy "github.com/infidraw/infidraw/deploy"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "imagebundle:", err)
		os.Exit(1)
	}
}

// workload is one pod of the chart that images-test starts.
type workload struct {
	name string // the image's name, and the bundle's folder
	pod  corev1.PodSpec
}

func run() error {
	manifests := flag.String("manifests", "", "helm template output")
	archives := flag.String("archives", "", "folder of <name>.oci.tar")
	out := flag.String("out", "", "where the bundles go")
	flag.Parse()
	if *manifests == "" || *archives == "" || *out == "" {
		return errors.New("-manifests, -archives and -out are required")
	}
	raw, err := os.ReadFile(*manifests)
	if err != nil {
		return err
	}
	objs, err := deploy.DecodeStrict(raw)
	if err != nil {
		return err
	}
	secrets := map[string]*corev1.Secret{}
	var services []string
	var workloads []workload
	for _, o := range objs {
		switch v := o.Obj.(type) {
		case *corev1.Secret:
			secrets[v.Name] = v
		case *corev1.Service:
			services = append(services, v.Name)
		case *appsv1.Deployment:
			if c := v.Labels["app.kubernetes.io/component"]; isInfidraw(c) {
				workloads = append(workloads, workload{c, v.Spec.Template.Spec})
			}
		case *batchv1.Job:
			if v.Labels["app.kubernetes.io/component"] == "migrations" {
				workloads = append(workloads, workload{"migrations", v.Spec.Template.Spec})
			}
		}
	}
	if len(workloads) != 5 {
		return fmt.Errorf("found %d infidraw workloads in the manifests, want 5 (gateway, realtime, tile-delta, snapshot, migrations)", len(workloads))
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	hosts := filepath.Join(*out, "hosts")
	if err := writeHosts(hosts, services); err != nil {
		return err
	}
	backing := map[string]string{}
	for _, w := range workloads {
		env, err := bundle(w, secrets, *archives, filepath.Join(*out, w.name), hosts)
		if err != nil {
			return fmt.Errorf("%s: %w", w.name, err)
		}
		for _, k := range []string{"DATABASE_PASSWORD", "REDIS_PASSWORD", "S3_ACCESS_KEY", "S3_SECRET_KEY", "OBJECT_STORE_URL", "DATABASE_NAME", "DATABASE_USER"} {
			if v, ok := env[k]; ok {
				backing[k] = v
			}
		}
	}
	var lines []string
	for k, v := range backing {
		lines = append(lines, fmt.Sprintf("%s=%q", k, v))
	}
	sort.Strings(lines)
	return os.WriteFile(filepath.Join(*out, "backing.env"), []byte(strings.Join(lines, "\n")+"\n"), 0o600)
}

func isInfidraw(component string) bool {
	switch component {
	case "gateway", "realtime", "tile-delta", "snapshot":
		return true
	}
	return false
}

// writeHosts maps every Service name, in all the forms the chart's addresses use, to loopback.
func writeHosts(file string, services []string) error {
	var b strings.Builder
	b.WriteString("127.0.0.1 localhost\n::1 localhost\n")
	sort.Strings(services)
	for _, s := range services {
		ns := deploy.Namespace
		fmt.Fprintf(&b, "127.0.0.1 %s %s.%s %s.%s.svc %s.%s.svc.cluster.local\n", s, s, ns, s, ns, s, ns)
	}
	return os.WriteFile(file, []byte(b.String()), 0o644)
}

// imageConfig is the part of an image's configuration a bundle needs.
type imageConfig struct {
	Entrypoint, Cmd, Env []string
	WorkingDir           string
}

// bundle writes one workload's bundle and returns the container's resolved environment.
func bundle(w workload, secrets map[string]*corev1.Secret, archives, dir, hosts string) (map[string]string, error) {
	if len(w.pod.Containers) != 1 {
		return nil, fmt.Errorf("%d containers, want 1", len(w.pod.Containers))
	}
	c := w.pod.Containers[0]
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	img, err := unpack(filepath.Join(archives, w.name+".oci.tar"), c.Image, filepath.Join(dir, "rootfs"))
	if err != nil {
		return nil, err
	}

	// Environment in the kubelet's order: the image's, then the container's, each $(VAR) expanded from the
	// variables defined before it.
	envMap := map[string]string{}
	var envList []string
	set := func(k, v string) {
		if _, ok := envMap[k]; !ok {
			envList = append(envList, k)
		}
		envMap[k] = v
	}
	for _, kv := range img.Env {
		k, v, _ := strings.Cut(kv, "=")
		set(k, v)
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			set(e.Name, expand(e.Value, envMap))
		case e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			v, err := secretValue(secrets, ref.Name, ref.Key)
			if err != nil {
				return nil, fmt.Errorf("env %s: %w", e.Name, err)
			}
			set(e.Name, v)
		case e.ValueFrom.FieldRef != nil:
			switch e.ValueFrom.FieldRef.FieldPath {
			case "metadata.name":
				set(e.Name, w.name+"-images-test")
			case "metadata.namespace":
				set(e.Name, deploy.Namespace)
			case "status.podIP", "status.hostIP":
				set(e.Name, "127.0.0.1")
			default:
				return nil, fmt.Errorf("env %s: fieldRef %s is not supported here", e.Name, e.ValueFrom.FieldRef.FieldPath)
			}
		default:
			return nil, fmt.Errorf("env %s: only value, secretKeyRef and fieldRef are supported here", e.Name)
		}
	}
	var env []string
	for _, k := range envList {
		env = append(env, k+"="+envMap[k])
	}

	args := img.Entrypoint
	switch {
	case len(c.Command) > 0:
		args = append(expandAll(c.Command, envMap), expandAll(c.Args, envMap)...)
	case len(c.Args) > 0:
		args = append(append([]string{}, args...), expandAll(c.Args, envMap)...)
	default:
		args = append(append([]string{}, args...), img.Cmd...)
	}
	if len(args) == 0 {
		return nil, errors.New("nothing to run: no command in the container nor entrypoint in the image")
	}
	cwd := c.WorkingDir
	if cwd == "" {
		cwd = img.WorkingDir
	}
	if cwd == "" {
		cwd = "/"
	}

	psc := w.pod.SecurityContext
	csc := c.SecurityContext
	if psc == nil || csc == nil {
		return nil, errors.New("the chart gives every pod and container a securityContext")
	}
	uid, gid := psc.RunAsUser, psc.RunAsGroup
	if csc.RunAsUser != nil {
		uid = csc.RunAsUser
	}
	if csc.RunAsGroup != nil {
		gid = csc.RunAsGroup
	}
	if uid == nil || gid == nil {
		return nil, errors.New("runAsUser and runAsGroup must be set")
	}
	var groups []int64
	if psc.FSGroup != nil {
		groups = append(groups, *psc.FSGroup)
	}
	groups = append(groups, psc.SupplementalGroups...)
	fsGroup := int64(0)
	if psc.FSGroup != nil {
		fsGroup = *psc.FSGroup
	}

	var caps []string
	if csc.Capabilities != nil {
		for _, a := range csc.Capabilities.Add {
			caps = append(caps, "CAP_"+string(a))
		}
		dropAll := false
		for _, d := range csc.Capabilities.Drop {
			dropAll = dropAll || d == "ALL"
		}
		if !dropAll {
			return nil, errors.New("capabilities: the chart drops ALL; a bundle without that is not the chart's")
		}
	}

	mounts := []map[string]any{
		{"destination": "/proc", "type": "proc", "source": "proc"},
		{"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}},
		{"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
		{"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": []string{"nosuid", "noexec", "nodev"}},
		{"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": []string{"nosuid", "noexec", "nodev", "ro"}},
		{"destination": "/etc/hosts", "type": "bind", "source": hosts, "options": []string{"rbind", "ro"}},
	}
	volumes := map[string]corev1.Volume{}
	for _, v := range w.pod.Volumes {
		volumes[v.Name] = v
	}
	for _, m := range c.VolumeMounts {
		v, ok := volumes[m.Name]
		if !ok {
			return nil, fmt.Errorf("volumeMount %s: no such volume", m.Name)
		}
		if m.SubPath != "" {
			return nil, fmt.Errorf("volumeMount %s: subPath is not supported here", m.Name)
		}
		switch {
		case v.EmptyDir != nil:
			opts := []string{"nosuid", "nodev", "mode=1777"}
			if v.EmptyDir.SizeLimit != nil {
				opts = append(opts, fmt.Sprintf("size=%d", v.EmptyDir.SizeLimit.Value()))
			}
			mounts = append(mounts, map[string]any{"destination": m.MountPath, "type": "tmpfs", "source": "tmpfs", "options": opts})
		case v.Secret != nil:
			src := filepath.Join(dir, "volumes", m.Name)
			if err := writeSecretVolume(src, v.Secret, secrets, fsGroup); err != nil {
				return nil, fmt.Errorf("volume %s: %w", m.Name, err)
			}
			opts := []string{"rbind"}
			if m.ReadOnly {
				opts = append(opts, "ro")
			}
			mounts = append(mounts, map[string]any{"destination": m.MountPath, "type": "bind", "source": src, "options": opts})
		default:
			return nil, fmt.Errorf("volume %s: only emptyDir and secret volumes are supported here", m.Name)
		}
	}

	noNewPrivs := csc.AllowPrivilegeEscalation != nil && !*csc.AllowPrivilegeEscalation
	spec := map[string]any{
		"ociVersion": "1.0.2",
		"hostname":   w.name,
		"root":       map[string]any{"path": "rootfs", "readonly": csc.ReadOnlyRootFilesystem != nil && *csc.ReadOnlyRootFilesystem},
		"process": map[string]any{
			"terminal": false,
			"user":     map[string]any{"uid": *uid, "gid": *gid, "additionalGids": groups},
			"args":     args,
			"env":      env,
			"cwd":      cwd,
			"capabilities": map[string]any{
				"bounding": nonNil(caps), "effective": nonNil(caps), "permitted": nonNil(caps), "inheritable": []string{}, "ambient": []string{},
			},
			"noNewPrivileges": noNewPrivs,
		},
		"mounts": mounts,
		"linux": map[string]any{
			// No network namespace: the container shares the test's, where the backing services listen.
			"namespaces":    []map[string]string{{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}},
			"maskedPaths":   []string{"/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"},
			"readonlyPaths": []string{"/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"},
		},
	}
	b, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return nil, err
	}
	return envMap, os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

var varRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// expand replaces $(VAR) by a variable defined before, and leaves an unknown reference as it is (the
// kubelet's rule).
func expand(s string, env map[string]string) string {
	return varRef.ReplaceAllStringFunc(s, func(m string) string {
		if v, ok := env[m[2:len(m)-1]]; ok {
			return v
		}
		return m
	})
}

func expandAll(ss []string, env map[string]string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = expand(s, env)
	}
	return out
}

func secretValue(secrets map[string]*corev1.Secret, name, key string) (string, error) {
	s, ok := secrets[name]
	if !ok {
		return "", fmt.Errorf("Secret %s is not in the rendered manifests (an existingSecret?)", name)
	}
	if v, ok := s.StringData[key]; ok {
		return v, nil
	}
	if v, ok := s.Data[key]; ok {
		return string(v), nil
	}
	return "", fmt.Errorf("Secret %s has no key %s", name, key)
}

// writeSecretVolume writes a Secret's keys as the kubelet does: one file per key (or per item), mode
// defaultMode (0644 when unset), owned by root and the pod's fsGroup.
func writeSecretVolume(dir string, v *corev1.SecretVolumeSource, secrets map[string]*corev1.Secret, fsGroup int64) error {
	s, ok := secrets[v.SecretName]
	if !ok {
		return fmt.Errorf("Secret %s is not in the rendered manifests", v.SecretName)
	}
	data := map[string][]byte{}
	for k, val := range s.Data {
		data[k] = val
	}
	for k, val := range s.StringData {
		data[k] = []byte(val)
	}
	mode := int32(0o644)
	if v.DefaultMode != nil {
		mode = *v.DefaultMode
	}
	files := map[string][]byte{}
	if len(v.Items) > 0 {
		for _, it := range v.Items {
			val, ok := data[it.Key]
			if !ok {
				return fmt.Errorf("Secret %s has no key %s", v.SecretName, it.Key)
			}
			files[it.Path] = val
		}
	} else {
		files = data
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, val := range files {
		f := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(f, val, 0o600); err != nil {
			return err
		}
		if err := os.Chown(f, 0, int(fsGroup)); err != nil {
			return err
		}
		if err := os.Chmod(f, os.FileMode(mode)); err != nil {
			return err
		}
	}
	return nil
}

// unpack extracts the image of an OCI archive into rootfs, after checking that the archive is the image
// the chart names.
func unpack(archive, ref, rootfs string) (imageConfig, error) {
	var cfg imageConfig
	if err := os.MkdirAll(filepath.Dir(rootfs), 0o755); err != nil {
		return cfg, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(rootfs), ".layout-")
	if err != nil {
		return cfg, err
	}
	defer os.RemoveAll(tmp)
	f, err := os.Open(archive)
	if err != nil {
		return cfg, fmt.Errorf("%w (run make images)", err)
	}
	err = untar(f, tmp, false)
	f.Close()
	if err != nil {
		return cfg, fmt.Errorf("%s: %w", archive, err)
	}
	idx, err := layout.ImageIndexFromPath(tmp)
	if err != nil {
		return cfg, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return cfg, err
	}
	if len(im.Manifests) != 1 {
		return cfg, fmt.Errorf("%s: %d manifests, want 1", archive, len(im.Manifests))
	}
	if name := im.Manifests[0].Annotations["io.containerd.image.name"]; name != ref {
		return cfg, fmt.Errorf("the chart runs %s but %s is %s", ref, archive, name)
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		return cfg, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return cfg, err
	}
	cfg = imageConfig{Entrypoint: cf.Config.Entrypoint, Cmd: cf.Config.Cmd, Env: cf.Config.Env, WorkingDir: cf.Config.WorkingDir}
	if err := os.MkdirAll(rootfs, 0o755); err != nil {
		return cfg, err
	}
	rc := mutate.Extract(img)
	defer rc.Close()
	return cfg, untar(rc, rootfs, true)
}

// untar extracts files, directories and symbolic links under dir; owners kept when owners is set.
func untar(r io.Reader, dir string, owners bool) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(h.Name)
		if strings.HasPrefix(name, "..") || filepath.IsAbs(name) {
			return fmt.Errorf("unsafe path %q", h.Name)
		}
		p := filepath.Join(dir, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		case tar.TypeSymlink:
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			if err := os.Symlink(h.Linkname, p); err != nil {
				return err
			}
			continue
		default:
			return fmt.Errorf("%s: tar entry type %q is not expected in these images", h.Name, h.Typeflag)
		}
		if owners {
			if err := os.Lchown(p, h.Uid, h.Gid); err != nil {
				return err
			}
		}
		// chmod after chown: chown clears the set-id bits, and the sticky bit of /tmp must stay.
		if err := os.Chmod(p, os.FileMode(h.Mode&0o777)|modeBits(h.Mode)); err != nil {
			return err
		}
	}
}

func modeBits(m int64) os.FileMode {
	var out os.FileMode
	if m&0o1000 != 0 {
		out |= os.ModeSticky
	}
	return out
}
