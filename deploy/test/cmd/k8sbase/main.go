// Command k8sbase regenerates deploy/k8s/base from the Helm chart's default values.
// Usage: cd deploy/test && go run ./cmd/k8sbase (helm on PATH).
package main

import (
	"fmt"
	"os"
	"path/filepath"

	deploy "github.com/infidraw/infidraw/deploy"
)

func main() {
	files, err := deploy.KustomizeBase()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dir := deploy.BaseDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	stale, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	for _, f := range stale {
		if _, keep := files[filepath.Base(f)]; !keep {
			os.Remove(f)
		}
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	fmt.Printf("wrote %d files to %s\n", len(files), dir)
}
