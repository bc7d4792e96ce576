package oci

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Layer is one layer of an image and the history line that describes it.
type Layer struct {
	Comment string
	Tree    Tree
}

// Spec is one image: its layers, bottom first, and its runtime configuration.
type Spec struct {
	Name        string // repository name under the prefix, as in helm/infidraw/values.yaml
	Description string
	Layers      []Layer
	Entrypoint  []string
	Cmd         []string
	Env         []string
	WorkingDir  string
	Ports       []string // TCP ports the service listens on (EXPOSE)
	Components  []string // keys of Meta.Versions recorded as labels of this image
}

// Meta is what every image records about its build.
type Meta struct {
	Tag      string            // the chart's appVersion
	Revision string            // git commit of the sources (with "-dirty" when the tree had changes)
	Created  time.Time         // the commit's time: every timestamp in the image
	Versions map[string]string // component -> version (toolchains, Node.js, goose, Debian packages)
}

// User is the numeric non-root user of every image, the uid/gid the chart runs as (runAsNonRoot can only
// verify a number).
const User = "65532:65532"

// Labels are the image's labels (also its manifest annotations): the OCI ones, and one label per
// component version, io.infidraw.version.<component>.
func (s Spec) Labels(m Meta) map[string]string {
	l := map[string]string{
		"org.opencontainers.image.title":       "infidraw-" + s.Name,
		"org.opencontainers.image.description": s.Description,
		"org.opencontainers.image.source":      "https://github.com/infidraw/infidraw",
		"org.opencontainers.image.version":     m.Tag,
		"org.opencontainers.image.revision":    m.Revision,
		"org.opencontainers.image.created":     m.Created.UTC().Format(time.RFC3339),
		"org.opencontainers.image.licenses":    "AGPL-3.0-only",
	}
	for _, c := range s.Components {
		l["io.infidraw.version."+c] = m.Versions[c]
	}
	return l
}

// Image assembles the image: OCI media types, gzip layers (level 9; compress/gzip writes the same bytes
// for the same input), the configuration, and the creation time of the commit.
func (s Spec) Image(m Meta) (v1.Image, error) {
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	for _, c := range s.Components {
		if m.Versions[c] == "" {
			return nil, fmt.Errorf("%s: no version recorded for component %q", s.Name, c)
		}
	}
	for _, l := range s.Layers {
		data, err := l.Tree.Tar(m.Created)
		if err != nil {
			return nil, fmt.Errorf("%s: layer %q: %w", s.Name, l.Comment, err)
		}
		layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(data)), nil
		}, tarball.WithCompressionLevel(gzip.BestCompression), tarball.WithMediaType(types.OCILayer))
		if err != nil {
			return nil, err
		}
		img, err = mutate.Append(img, mutate.Addendum{
			Layer:   layer,
			History: v1.History{Created: v1.Time{Time: m.Created}, CreatedBy: "deploy/images.sh: " + l.Comment, Comment: l.Comment},
		})
		if err != nil {
			return nil, fmt.Errorf("%s: layer %q: %w", s.Name, l.Comment, err)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = "amd64", "linux"
	cf.Created = v1.Time{Time: m.Created}
	ports := map[string]struct{}{}
	for _, p := range s.Ports {
		ports[p+"/tcp"] = struct{}{}
	}
	if len(ports) == 0 {
		ports = nil
	}
	cf.Config = v1.Config{
		User:         User,
		Entrypoint:   s.Entrypoint,
		Cmd:          s.Cmd,
		Env:          append([]string{"PATH=/usr/local/bin:/usr/bin:/bin"}, s.Env...),
		WorkingDir:   s.WorkingDir,
		ExposedPorts: ports,
		Labels:       s.Labels(m),
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, err
	}
	if img, err = mutate.CreatedAt(img, v1.Time{Time: m.Created}); err != nil {
		return nil, err
	}
	annotated, ok := mutate.Annotations(img, s.Labels(m)).(v1.Image)
	if !ok {
		return nil, fmt.Errorf("%s: annotating the manifest did not give an image", s.Name)
	}
	return annotated, nil
}

// WriteArchive writes img as an OCI image-layout tar ("oci-archive" to skopeo and podman) at file. The
// index names it twice: org.opencontainers.image.ref.name is the tag (what `skopeo copy
// oci-archive:FILE:TAG` selects), io.containerd.image.name the full reference (what `ctr image import`
// and kind/k3s take as the image's name).
func WriteArchive(img v1.Image, file, tag, ref string, mtime time.Time) error {
	dir, err := os.MkdirTemp(filepath.Dir(file), ".layout-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": tag,
		"io.containerd.image.name":          ref,
	})); err != nil {
		return err
	}
	// The archive itself is as deterministic as the layers: sorted entries, root-owned, one mtime.
	var files []string
	if err := filepath.WalkDir(dir, func(f string, d fs.DirEntry, err error) error {
		if err == nil && f != dir {
			files = append(files, f)
		}
		return err
	}); err != nil {
		return err
	}
	sort.Strings(files)
	tmp := file + ".tmp"
	out, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	tw := tar.NewWriter(out)
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(strings.TrimPrefix(f, dir+string(filepath.Separator)))
		h := &tar.Header{Name: name, ModTime: mtime.UTC(), Mode: 0o644, Typeflag: tar.TypeReg, Size: fi.Size(), Format: tar.FormatPAX}
		if fi.IsDir() {
			h.Name, h.Mode, h.Typeflag, h.Size = name+"/", 0o755, tar.TypeDir, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if !fi.IsDir() {
			in, err := os.Open(f)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, in)
			in.Close()
			if err != nil {
				return err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, file)
}
