package sample

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stickerbot/stickerbot/internal/testdb"
)

// The sample is examples/stickers.json with the images inside: same
// names and tags, every image a stored PNG that the bot accepts.
func TestSampleMatchesExamples(t *testing.T) {
	drafts, err := Drafts()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(testdb.SamplePath())
	if err != nil {
		t.Fatal(err)
	}
	var examples []struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}
	if err := json.Unmarshal(raw, &examples); err != nil {
		t.Fatal(err)
	}
	if len(drafts) != len(examples) {
		t.Fatalf("%d stickers in the sample, %d in examples/stickers.json: run make-sample.sh", len(drafts), len(examples))
	}
	for i, d := range drafts {
		if d.Name != examples[i].Name {
			t.Errorf("row %d: name %q, examples have %q: run make-sample.sh", i, d.Name, examples[i].Name)
		}
		if d.Image == nil || d.Image.ContentType != "image/png" || d.ImageURL != "" {
			t.Errorf("row %d (%s): want a stored PNG and no URL, got %+v", i, d.Name, d.Image)
			continue
		}
		if n := len(d.Image.Data); n < 100 || n > 20_000 {
			t.Errorf("row %d (%s): image of %d bytes", i, d.Name, n)
		}
	}
}
