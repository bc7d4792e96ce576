package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// image is one service image: its Dockerfile and the ports the contracts give it.
var imageFiles = []struct {
	dockerfile string
	ports      []string
}{
	{"gateway-ts/Dockerfile", []string{"8080"}},
	{"realtime-go/Dockerfile", []string{"8081", "9091"}},
	{"tile-delta-go/Dockerfile", []string{"9192", "9092"}},
	{"snapshot-rs/Dockerfile", []string{"9193", "9093"}},
	{"db/Dockerfile", nil},
}

var (
	tagPinned    = regexp.MustCompile(`^[a-z0-9./-]+:[0-9][A-Za-z0-9._-]*(@sha256:[a-f0-9]{64})?$`)
	digestPinned = regexp.MustCompile(`^[a-z0-9./-]+(:[A-Za-z0-9._-]+)?@sha256:[a-f0-9]{64}$`)
)

// The Dockerfiles: multi-stage, base images pinned (the runtime by digest), a non-root numeric user, and a
// final stage that only copies built artefacts (no RUN: no compilers, package managers or shells added).
func TestDockerfiles(t *testing.T) {
	ignore, err := ReadFile(".dockerignore")
	if err != nil {
		t.Fatal(".dockerignore missing at the repository root (the build context of every image)")
	}
	for _, img := range imageFiles {
		t.Run(img.dockerfile, func(t *testing.T) {
			f, err := os.Open(filepath.Join(RepoRoot(), img.dockerfile))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			ast, err := parser.Parse(f)
			if err != nil {
				t.Fatal(err)
			}
			stages, _, err := instructions.Parse(ast.AST, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(stages) < 2 {
				t.Fatalf("%d stage(s): want a build stage and a runtime stage", len(stages))
			}
			var names []string
			for i, st := range stages {
				last := i == len(stages)-1
				if slices.Contains(names, st.BaseName) {
					names = append(names, st.Name)
					continue // FROM an earlier stage
				}
				names = append(names, st.Name)
				switch {
				case last && !digestPinned.MatchString(st.BaseName):
					t.Errorf("runtime base %q is not pinned by digest", st.BaseName)
				case !last && !tagPinned.MatchString(st.BaseName):
					t.Errorf("stage %q: base %q is not pinned to a version tag", st.Name, st.BaseName)
				}
				for _, cmd := range st.Commands {
					c, ok := cmd.(*instructions.CopyCommand)
					if !ok || c.From != "" {
						continue
					}
					for _, src := range c.SourcePaths {
						matches, _ := filepath.Glob(filepath.Join(RepoRoot(), src))
						if len(matches) == 0 {
							t.Errorf("COPY %s: no such path in the repository (the build context is its root)", src)
						}
						top := strings.SplitN(strings.TrimPrefix(src, "./"), "/", 2)[0]
						for _, line := range strings.Split(string(ignore), "\n") {
							if strings.TrimSpace(line) == top {
								t.Errorf("COPY %s: excluded by .dockerignore", src)
							}
						}
					}
				}
			}
			final := stages[len(stages)-1]
			var user string
			var entry bool
			var exposed []string
			for _, cmd := range final.Commands {
				switch c := cmd.(type) {
				case *instructions.RunCommand:
					t.Errorf("runtime stage runs %q: it should only copy artefacts", c.String())
				case *instructions.UserCommand:
					user = c.User
				case *instructions.EntrypointCommand, *instructions.CmdCommand:
					entry = true
				case *instructions.ExposeCommand:
					exposed = append(exposed, c.Ports...)
				case *instructions.CopyCommand:
					if c.From == "" && !strings.HasPrefix(c.SourcePaths[0], "db/migrations") {
						t.Errorf("runtime stage copies %v from the context, not from a build stage", c.SourcePaths)
					}
				}
			}
			if !regexp.MustCompile(`^[1-9][0-9]*(:[1-9][0-9]*)?$`).MatchString(user) {
				t.Errorf("runtime USER %q: want a numeric non-root uid (runAsNonRoot can only verify numbers)", user)
			}
			if !entry {
				t.Error("no ENTRYPOINT or CMD")
			}
			slices.Sort(exposed)
			want := slices.Sorted(slices.Values(img.ports))
			if !slices.Equal(exposed, want) {
				t.Errorf("EXPOSE %v, want the contract ports %v", exposed, want)
			}
		})
	}
}
