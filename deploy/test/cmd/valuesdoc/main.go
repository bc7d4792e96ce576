// Command valuesdoc regenerates the values table of helm/infidraw/README.md from the "# --" comments of
// values.yaml. Usage: cd deploy/test && go run ./cmd/valuesdoc
package main

import (
	"fmt"
	"os"
	"path/filepath"

	deploy "github.com/infidraw/infidraw/deploy"
)

func main() {
	_, updated, err := deploy.ReadmeWithValues()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.WriteFile(filepath.Join(deploy.ChartDir(), "README.md"), []byte(updated), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
