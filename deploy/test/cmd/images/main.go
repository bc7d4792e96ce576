// Command images assembles infidraw's OCI image archives from the folder deploy/images.sh staged; it needs
// no container engine and pulls nothing. deploy/images.sh runs it (`make images`):
//
//	go run ./cmd/images -stage DIR -out DIR -prefix ghcr.io/infidraw -tag 0.1.0 -revision SHA -epoch UNIX [name...]
//
// It writes OUT/<name>.oci.tar for each image and OUT/images.tsv (name, reference, manifest digest,
// compressed and uncompressed size in bytes), and prints the same table.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/infidraw/infidraw/deploy/oci"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "images:", err)
		os.Exit(1)
	}
}

func run() error {
	stage := flag.String("stage", "", "folder staged by deploy/images.sh")
	migrations := flag.String("migrations", "", "db/migrations")
	out := flag.String("out", "", "where the archives go")
	prefix := flag.String("prefix", "ghcr.io/infidraw", "image repository prefix")
	tag := flag.String("tag", "", "image tag (the chart's appVersion)")
	revision := flag.String("revision", "", "source revision")
	epoch := flag.Int64("epoch", 0, "every timestamp in the images (the commit's time, Unix seconds)")
	flag.Parse()
	if *stage == "" || *out == "" || *tag == "" || *revision == "" || *migrations == "" || *epoch == 0 {
		return fmt.Errorf("-stage, -migrations, -out, -tag, -revision and -epoch are required")
	}
	s := oci.Stage{Dir: *stage, Migrations: *migrations}
	versions, err := s.Versions()
	if err != nil {
		return err
	}
	meta := oci.Meta{Tag: *tag, Revision: *revision, Created: time.Unix(*epoch, 0).UTC(), Versions: versions}
	names := flag.Args()
	if len(names) == 0 {
		names = oci.Names
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	var table strings.Builder
	table.WriteString("name\treference\tdigest\tcompressed_bytes\tuncompressed_bytes\n")
	for _, name := range names {
		start := time.Now()
		spec, err := s.Spec(name)
		if err != nil {
			return err
		}
		img, err := spec.Image(meta)
		if err != nil {
			return err
		}
		ref := *prefix + "/" + name + ":" + *tag
		file := filepath.Join(*out, name+".oci.tar")
		if err := oci.WriteArchive(img, file, *tag, ref, meta.Created); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		digest, err := img.Digest()
		if err != nil {
			return err
		}
		layers, err := img.Layers()
		if err != nil {
			return err
		}
		var compressed, uncompressed int64
		for _, l := range layers {
			c, err := l.Size()
			if err != nil {
				return err
			}
			compressed += c
			u, err := l.Uncompressed()
			if err != nil {
				return err
			}
			n, err := countBytes(u)
			if err != nil {
				return err
			}
			uncompressed += n
		}
		fmt.Fprintf(&table, "%s\t%s\t%s\t%d\t%d\n", name, ref, digest, compressed, uncompressed)
		fmt.Fprintf(os.Stderr, "images: %-10s %s  %s  %.1f MB compressed, %.1f MB unpacked (%s)\n",
			name, ref, digest.String()[:19], float64(compressed)/1e6, float64(uncompressed)/1e6, time.Since(start).Round(100*time.Millisecond))
	}
	return os.WriteFile(filepath.Join(*out, "images.tsv"), []byte(table.String()), 0o644)
}

// countBytes reads a stream to its end and returns its length.
func countBytes(rc io.ReadCloser) (int64, error) {
	defer rc.Close()
	return io.Copy(io.Discard, rc)
}
