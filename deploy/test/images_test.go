package deploy

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/infidraw/infidraw/deploy/oci"
)

// The chart's default image references are exactly what `make images` tags: ghcr.io/infidraw/<name>
// (deploy/images.sh's default prefix) for every image it builds, and the chart's appVersion as the tag.
func TestChartImagesAreTheBuiltOnes(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(ChartDir(), "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values map[string]any
	if err := yaml.Unmarshal(raw, &values); err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{"gateway": "gateway", "realtime": "realtime", "tileDelta": "tile-delta", "snapshot": "snapshot", "migrations": "migrations"}
	var chart []string
	for key, name := range keys {
		img := values[key].(map[string]any)["image"].(map[string]any)
		chart = append(chart, name)
		if repo := img["repository"]; repo != "ghcr.io/infidraw/"+name {
			t.Errorf("%s.image.repository = %v, make images tags ghcr.io/infidraw/%s", key, repo, name)
		}
		if tag := img["tag"]; tag != "" {
			t.Errorf("%s.image.tag = %v: leave it empty so that the appVersion, which make images tags, is used", key, tag)
		}
	}
	if !slices.Equal(slices.Sorted(slices.Values(chart)), slices.Sorted(slices.Values(oci.Names))) {
		t.Errorf("chart images %v, make images builds %v", chart, oci.Names)
	}
	script, err := ReadFile("deploy/images.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`prefix="${IMAGE_PREFIX:-ghcr.io/infidraw}"`, "helm/infidraw/Chart.yaml", "names=(gateway realtime tile-delta snapshot migrations)"} {
		if !strings.Contains(string(script), want) {
			t.Errorf("deploy/images.sh no longer has %q", want)
		}
	}
	chartYAML, err := ReadFile("helm/infidraw/Chart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^appVersion: "?[0-9]+\.[0-9]+\.[0-9]+"?$`).Match(chartYAML) {
		t.Error("Chart.yaml: appVersion is not a plain version, which deploy/images.sh reads as the tag")
	}
}

// A layer is the same bytes whenever its content is: sorted entries, root-owned unless asked, one
// modification time, modes reduced to executable or not.
func TestLayersAreReproducible(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "b", "c"), 0o700))
	must(os.WriteFile(filepath.Join(dir, "b", "c", "run"), []byte("#!/bin/true\n"), 0o750))
	must(os.WriteFile(filepath.Join(dir, "a.txt"), []byte("a"), 0o600))
	must(os.Symlink("a.txt", filepath.Join(dir, "link")))
	build := func() []byte {
		tr := oci.Tree{}
		must(tr.AddDir("app", dir, nil))
		tr.Add("tmp", oci.Entry{Dir: true, Mode: 0o1777})
		tr.Add("home/nonroot", oci.Entry{Dir: true, Mode: 0o700, Owner: 65532})
		b, err := tr.Tar(time.Unix(1700000000, 0))
		must(err)
		return b
	}
	first := build()
	must(os.Chtimes(filepath.Join(dir, "a.txt"), time.Now(), time.Now()))
	if !bytes.Equal(first, build()) {
		t.Fatal("the same tree gave two different tars")
	}
	tr := tar.NewReader(bytes.NewReader(first))
	var names []string
	want := map[string]struct {
		mode     int64
		uid      int
		typeflag byte
	}{
		"app/a.txt": {0o644, 0, tar.TypeReg}, "app/b/c/run": {0o755, 0, tar.TypeReg}, "app/b/": {0o755, 0, tar.TypeDir},
		"app/link": {0o777, 0, tar.TypeSymlink}, "tmp/": {0o1777, 0, tar.TypeDir}, "home/nonroot/": {0o700, 65532, tar.TypeDir},
	}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		must(err)
		names = append(names, h.Name)
		if !h.ModTime.Equal(time.Unix(1700000000, 0)) {
			t.Errorf("%s: mtime %v", h.Name, h.ModTime)
		}
		if w, ok := want[h.Name]; ok && (h.Mode != w.mode || h.Uid != w.uid || h.Gid != w.uid || h.Typeflag != w.typeflag) {
			t.Errorf("%s: mode %o uid %d gid %d type %c, want %o %d %c", h.Name, h.Mode, h.Uid, h.Gid, h.Typeflag, w.mode, w.uid, w.typeflag)
		}
	}
	if !slices.IsSorted(names) {
		t.Errorf("entries not sorted: %v", names)
	}
}
