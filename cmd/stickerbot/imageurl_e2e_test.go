package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stickerbot/stickerbot/internal/blockkit"
	"github.com/stickerbot/stickerbot/internal/slacksim"
	"github.com/stickerbot/stickerbot/internal/sticker"
)

// TestImportedImageURLsShowAndRoundTrip (issue 17): stickers imported
// with image URLs as people type them (a Unicode host, Hangul in the
// path, | and braces) are stored as URIs Block Kit takes, so the fake
// Slack, which checks image_url as Slack does, shows their image in the
// preview and the sent message; export gives back what Slack is sent,
// and importing that changes nothing. A URL that cannot be made valid is
// refused with its row and field, and nothing is imported.
func TestImportedImageURLsShowAndRoundTrip(t *testing.T) {
	t.Parallel()
	h := startBot(t, nil)
	env := map[string]string{"DATABASE_URL": h.db.URL}
	typed := map[string]string{ // name → URL as typed
		"jpneko":      "https://例え.jp/ねこ.png",
		"krgoyangi":   "https://example.com/스티커/고양이.png",
		"pipebraces":  "https://example.com/a|b.png?v={1}",
		"spacedfine ": "  https://Example.COM/fine.png ",
	}
	var rows []sticker.FileRow
	for name, u := range typed {
		rows = append(rows, sticker.FileRow{Name: name, Tags: []string{"issue17"}, ImageURL: u})
	}
	file, _ := json.Marshal(rows)
	if out, err := runCLIStdin(t, env, string(file), "import", "-"); err != nil || !strings.Contains(out, "4 added") {
		t.Fatalf("import: %v\n%s", err, out)
	}

	want := map[string]string{}
	for name, u := range typed {
		n, err := sticker.NormalizeImageURL(u)
		if err != nil || !blockkit.ValidURI(n) {
			t.Fatalf("%q: %q %v", u, n, err)
		}
		want[strings.TrimSpace(name)] = n
	}
	// The running bot's index learns of the import by notification.
	h.waitSearchable(t, "jpneko")
	for name, u := range want {
		d := h.command("U1", "C1", name)
		preview := h.accepted(d.ResponseURL)
		if got := imageURL(t, preview.Blocks); got != u {
			t.Errorf("/sticker %s: the preview shows %q, want %q", name, got, u)
		}
	}
	// Sent, the image is there too.
	d := h.command("U1", "C1", "jpneko")
	preview := h.accepted(d.ResponseURL)
	h.fs.BlockAction(h.ctx, slacksim.Click{User: "U1", Message: preview.Message, ActionID: "sticker_send"})
	posted := h.fs.WaitMessage(h.ctx, "C1", func(m slacksim.Message) bool { return !m.Ephemeral })
	if got := imageURL(t, posted.Blocks); got != want["jpneko"] {
		t.Errorf("the sent sticker shows %q, want %q", got, want["jpneko"])
	}
	if errs := h.fs.UserErrors(); len(errs) > 0 {
		t.Errorf("Slack refused something: %v", errs)
	}

	out, err := runCLI(t, env, "export", "-")
	if err != nil {
		t.Fatal(err)
	}
	var exported []sticker.FileRow
	if err := json.Unmarshal([]byte(out), &exported); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	seen := 0
	for _, r := range exported {
		if u, ok := want[r.Name]; ok {
			seen++
			if r.ImageURL != u {
				t.Errorf("export of %s: %q, want %q", r.Name, r.ImageURL, u)
			}
		}
	}
	if seen != len(want) {
		t.Errorf("export has %d of the %d stickers", seen, len(want))
	}
	if out, err := runCLIStdin(t, env, out, "import", "-"); err != nil || !strings.Contains(out, "0 added, 0 updated") {
		t.Errorf("importing the export again: %v\n%s", err, out)
	}

	bad := `[{"name":"fine","tags":[],"image_url":"https://example.com/ok.png"},
		{"name":"badhost","tags":[],"image_url":"https://exa|mple.com/a.png"},
		{"name":"spaced","tags":[],"image_url":"https://example.com/a b.png"},
		{"name":"long","tags":[],"image_url":"https://example.com/` + strings.Repeat("ね", 400) + `"}]`
	_, err = runCLIStdin(t, env, bad, "import", "-")
	if err == nil {
		t.Fatal("URLs that cannot be made valid were imported")
	}
	for _, w := range []string{`row 2 (line 2): image_url: has "exa|mple.com" as its host`, "row 3 (line 3): image_url: has a space in it",
		"row 4 (line 4): image_url: is 3620 characters once its non-ASCII characters are encoded; at most 3000"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("import error %q, want it to say %q", err, w)
		}
	}
	if _, err := h.store.GetByName(h.ctx, "fine"); err == nil {
		t.Error("a row of a refused file was imported")
	}
}

// TestMentionSendSaysHow: a sticker asked for with a mention says so when
// sent, names the sender without mentioning them, and the one match
// reads as the only one, with nothing to go on to.
func TestMentionSendSaysHow(t *testing.T) {
	t.Parallel()
	h := startBot(t, nil)
	ev := h.fs.Event(h.ctx, map[string]any{"type": "app_mention", "user": "U2", "text": "<@" + slacksim.BotUserID + "> cat",
		"ts": "1700000000.000100", "channel": "C1", "event_ts": "1700000000.000100"})
	h.fs.WaitAck(h.ctx, ev.EnvelopeID)
	preview := h.fs.WaitMessage(h.ctx, "C1", func(m slacksim.Message) bool { return m.Ephemeral && m.User == "U2" })
	if ids := strings.Join(buttons(t, preview.Blocks), ","); ids != "sticker_send,sticker_fav,sticker_cancel" {
		t.Errorf("the only match offers %s", ids)
	}
	if said := strings.Join(preview.MrkdwnTexts(), " "); !strings.Contains(said, "The only match for “cat”") {
		t.Errorf("the preview says %q", said)
	}
	h.fs.BlockAction(h.ctx, slacksim.Click{User: "U2", Message: preview, ActionID: "sticker_send"})
	posted := h.fs.WaitMessage(h.ctx, "C1", func(m slacksim.Message) bool { return !m.Ephemeral })
	said := strings.Join(posted.MrkdwnTexts(), " ")
	if !strings.Contains(said, "Sent by *User Two* with @stickerbot") || strings.Contains(said+posted.Text, "<@") {
		t.Errorf("the sent sticker says %q (text %q)", said, posted.Text)
	}
}

// waitSearchable waits until /sticker query previews a sticker: a running
// bot's index takes in writes made elsewhere (an import) within moments.
func (h *harness) waitSearchable(t *testing.T, query string) {
	t.Helper()
	for {
		d := h.command("U1", "C1", query)
		if p := h.accepted(d.ResponseURL); strings.Contains(string(p.Blocks), `"image"`) {
			return
		}
		select {
		case <-h.ctx.Done():
			t.Fatalf("/sticker %s finds nothing", query)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
