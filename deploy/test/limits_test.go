package deploy

// The size defaults the manifests set are those of proto/limits.json, where the services take theirs from.

import (
	"encoding/json"
	"strconv"
	"testing"
)

// A deployment that sets nothing runs with the defaults the services document: every variable of the
// defaults in proto/limits.json that the chart or the plain manifests set has the default's value.
func TestManifestsSetTheLimitsDefaults(t *testing.T) {
	raw, err := ReadFile("proto/limits.json")
	if err != nil {
		t.Fatal(err)
	}
	var src struct {
		Defaults map[string]struct {
			Value int64  `json:"value"`
			Env   string `json:"env"`
		} `json:"defaults"`
	}
	if err := json.Unmarshal(raw, &src); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, d := range src.Defaults {
		want[d.Env] = strconv.FormatInt(d.Value, 10)
	}
	for _, tc := range []renderCase{chartCases()[0], kustomizeCases()[0]} {
		t.Run(tc.name, func(t *testing.T) {
			checked := 0
			for _, p := range podTemplates(tc.objects(t)) {
				for _, c := range allContainers(p.spec) {
					for env, value := range want {
						if got, ok := envValue(c, env); ok {
							checked++
							if got != value {
								t.Errorf("%s container %s: %s=%s, proto/limits.json says %s", p.owner, c.Name, env, got, value)
							}
						}
					}
				}
			}
			if checked == 0 {
				t.Errorf("no manifest sets any of %v: nothing was compared", want)
			}
		})
	}
}
