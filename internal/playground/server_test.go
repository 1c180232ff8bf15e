package playground

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stickerbot/stickerbot"
)

func TestAppFromManifest(t *testing.T) {
	app, err := AppFromManifest(stickerbot.Manifest(), "A1", "UBOT")
	if err != nil {
		t.Fatal(err)
	}
	if app.Name != "stickerbot" || len(app.Commands) == 0 || app.Commands[0].Command != "/sticker" || app.Commands[0].UsageHint == "" {
		t.Errorf("app from manifest.yaml: %+v", app)
	}
	if !app.Subscribed("app_mention") || !app.MessagesTab {
		t.Errorf("app from manifest.yaml: events %v, messages tab %v", app.BotEvents, app.MessagesTab)
	}

	app, err = AppFromManifest([]byte(`
display_information: {name: Stickers}
features:
  app_home: {home_tab_enabled: true, messages_tab_enabled: false}
  shortcuts:
    - {name: Reply with a sticker, type: message, callback_id: reply_sticker, description: Answer with a sticker}
    - {name: Find a sticker, type: global, callback_id: find_sticker, description: Search}
settings:
  event_subscriptions: {bot_events: [app_home_opened, message.im]}
`), "A1", "UBOT")
	if err != nil {
		t.Fatal(err)
	}
	if app.Name != "Stickers" || !app.HomeTab || app.MessagesTab || len(app.Shortcuts) != 2 ||
		app.Shortcuts[0] != (Shortcut{Type: ShortcutMessage, Name: "Reply with a sticker", CallbackID: "reply_sticker", Description: "Answer with a sticker"}) ||
		!app.Subscribed("message.im") || app.Subscribed("app_mention") {
		t.Errorf("app: %+v", app)
	}

	for _, bad := range []string{
		"features: {shortcuts: [{name: x, type: modal, callback_id: y}]}",
		"features: {shortcuts: [{name: x, type: global}]}",
		"features: {slash_commands: [{command: sticker}]}",
		"features: [",
	} {
		if _, err := AppFromManifest([]byte(bad), "A", "U"); err == nil {
			t.Errorf("AppFromManifest(%q) accepted it", bad)
		}
	}
}

func TestServerRefusals(t *testing.T) {
	ws := newFakeWorkspace()
	ws.addFile("FHTML", "page.html", []byte("<!DOCTYPE html><script>alert(1)</script>"))
	ws.addFile("FPNG", "cat.png", samplePNG(t))
	url := serve(t, ws)

	post := func(path, ctype, origin, body string) (*http.Response, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, url+path, strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp, out
	}
	msg := `{"user":"U1","channel":"C1","text":"hi"}`
	if r, out := post("/api/message", "application/json", "https://evil.example", msg); r.StatusCode != http.StatusForbidden {
		t.Errorf("another origin: %d %v", r.StatusCode, out)
	}
	if r, out := post("/api/message", "text/plain", "", msg); r.StatusCode != http.StatusBadRequest {
		t.Errorf("not JSON: %d %v", r.StatusCode, out)
	}
	if r, out := post("/api/message", "application/json", "", `{"user":"U1","bogus":1}`); r.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown field: %d %v", r.StatusCode, out)
	}
	if r, out := post("/api/message", "application/json", url, msg); r.StatusCode != http.StatusOK || out["ok"] != true {
		t.Errorf("same origin: %d %v", r.StatusCode, out)
	}
	if len(requestsOf[MessageRequest](ws)) != 1 {
		t.Errorf("requests: %v", ws.requests)
	}
	if r, err := http.Get(url + "/api/state?user=U9"); err != nil || r.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown user: %v %v", r.Status, err)
	}

	// Files: images are shown, anything else is a download.
	for id, want := range map[string]string{"FPNG": "image/png", "FHTML": "application/octet-stream"} {
		r, err := http.Get(url + "/files/" + id)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if ct := r.Header.Get("Content-Type"); ct != want || r.Header.Get("Content-Security-Policy") != "sandbox" || len(b) == 0 {
			t.Errorf("/files/%s: Content-Type %q, CSP %q, %d bytes", id, ct, r.Header.Get("Content-Security-Policy"), len(b))
		}
	}
	r, _ := http.Post(url+"/api/files?user=U1&name=x.png", "application/octet-stream", bytes.NewReader(samplePNG(t)))
	if r.StatusCode != http.StatusOK {
		t.Errorf("upload: %s", r.Status)
	}
}
