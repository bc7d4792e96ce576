package deploy

import "testing"

// Every value is documented in values.yaml and in the chart README.
func TestValuesDocumented(t *testing.T) {
	docs, missing, err := ValuesDocs()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range missing {
		t.Errorf("values.yaml: %s has no \"# --\" comment", k)
	}
	if len(docs) < 100 {
		t.Errorf("only %d documented values", len(docs))
	}
	current, updated, err := ReadmeWithValues()
	if err != nil {
		t.Fatal(err)
	}
	if current != updated {
		t.Error("helm/infidraw/README.md values table is out of date: run `cd deploy/test && go run ./cmd/valuesdoc`")
	}
}
