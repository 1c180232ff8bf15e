package handlers

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stickerbot/stickerbot/internal/sticker"
)

var unHTML = strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&")

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json with what the bot builds now")

// TestGolden pins the Block Kit users see, so that a change to it shows
// up in review: run `go test ./internal/handlers -run TestGolden -update`
// after a deliberate change and commit the files.
func TestGolden(t *testing.T) {
	st := sticker.Sticker{ID: 42, Name: "party <parrot> & co", Tags: []string{"party", "파티", "`yay`"},
		ImageURL: "https://x.example/parrot.gif"}
	uploaded := sticker.Sticker{ID: 43, Name: "ねこ", SlackFileID: "F0123ABCD"}
	state := buttonState{StickerID: st.ID, Pos: 2, ThreadTS: "1700000000.000100", Query: "party <!channel>"}
	sent, text := sentMessage(st, "U123")
	for _, g := range []struct {
		name string
		v    any
	}{
		{"preview", previewMessage(st, state, true, "")},
		{"preview_last", previewMessage(uploaded, buttonState{StickerID: uploaded.ID, Query: "ねこ"}, false, "No more matches, back to the best one")},
		{"sent", map[string]any{"text": text, "blocks": sent}},
		{"add_modal", stickerModal(nil, modalMeta{Channel: "C1", ResponseURL: "https://hooks.slack.com/commands/T1/1/x"})},
	} {
		t.Run(g.name, func(t *testing.T) {
			raw, err := json.MarshalIndent(g.v, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			// <, > and & as Slack gets them, to review the escaping: Go
			// writes them as \u003c…, and the test data holds no
			// backslash that could make this replacement wrong.
			got := []byte(unHTML.Replace(string(raw)) + "\n")
			path := filepath.Join("testdata", g.name+".golden.json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s changed; if that is meant, run with -update and review the diff. Now:\n%s", path, got)
			}
		})
	}
}
