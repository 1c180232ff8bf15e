package appmanifest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func manifest(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "manifest.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// app_gen.go is what manifest.yaml says.
func TestGeneratedIsCurrent(t *testing.T) {
	app, err := Read(manifest(t))
	if err != nil {
		t.Fatal(err)
	}
	want, err := GoSource(app)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join("..", "app_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("internal/playground/app_gen.go is out of date with manifest.yaml: run go generate ./internal/playground")
	}
}

func TestRead(t *testing.T) {
	app, err := Read(manifest(t))
	if err != nil {
		t.Fatal(err)
	}
	if app.Name != "stickerbot" || len(app.Commands) == 0 || app.Commands[0].Command != "/sticker" || app.Commands[0].UsageHint == "" {
		t.Errorf("app from manifest.yaml: %+v", app)
	}
	if !app.Subscribed("app_mention") || !app.MessagesTab {
		t.Errorf("app from manifest.yaml: events %v, messages tab %v", app.BotEvents, app.MessagesTab)
	}

	app, err = Read([]byte(`
display_information: {name: Stickers}
features:
  app_home: {home_tab_enabled: true, messages_tab_enabled: false}
  shortcuts:
    - {name: Reply with a sticker, type: message, callback_id: reply_sticker, description: Answer with a sticker}
    - {name: Find a sticker, type: global, callback_id: find_sticker, description: Search}
settings:
  event_subscriptions: {bot_events: [app_home_opened, message.im]}
`))
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
		if _, err := Read([]byte(bad)); err == nil {
			t.Errorf("Read(%q) accepted it", bad)
		}
	}
}
