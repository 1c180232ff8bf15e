package handlers

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stickerbot/stickerbot/internal/envelope"
)

// TestRouterFindsEveryKindOfWayIn: each kind of payload is looked up in
// its own table, by its own key, shortcuts and external selects included.
func TestRouterFindsEveryKindOfWayIn(t *testing.T) {
	r := newRouter()
	var got string
	h := func(name string) handler {
		return func(context.Context, *request) error { got = name; return nil }
	}
	a := func(name string) answer {
		return func(context.Context, *request) envelope.Ack { got = name; return nil }
	}
	r.command("list", h("command"))
	r.action("b1", h("action"))
	r.shortcut("reply_with_sticker", h("message shortcut"))
	r.shortcut("send_sticker", h("global shortcut"))
	r.event("app_home_opened", h("event"))
	r.view("picker", a("view"))
	r.suggestion("query", a("suggestion"))

	for _, tt := range []struct {
		kind    envelope.Kind
		payload string
		want    string // "" when nothing is routed for it
	}{
		{envelope.SlashCommand, `{"user_id":"U1","response_url":"https://h/x","text":"list"}`, "command"},
		{envelope.SlashCommand, `{"user_id":"U1","response_url":"https://h/x","text":"cat"}`, ""},
		{envelope.Interactive, `{"type":"block_actions","user":{"id":"U1"},"response_url":"https://h/x",` +
			`"actions":[{"type":"button","block_id":"x","action_id":"b1"}]}`, "action"},
		{envelope.Interactive, `{"type":"message_action","callback_id":"reply_with_sticker","user":{"id":"U1"}}`, "message shortcut"},
		{envelope.Interactive, `{"type":"shortcut","callback_id":"send_sticker","user":{"id":"U1"}}`, "global shortcut"},
		{envelope.Interactive, `{"type":"shortcut","callback_id":"reply_with_sticker_typo","user":{"id":"U1"}}`, ""},
		{envelope.Interactive, `{"type":"view_submission","view":{"callback_id":"picker"}}`, "view"},
		{envelope.Interactive, `{"type":"block_suggestion","action_id":"query","value":"ca"}`, "suggestion"},
		{envelope.Interactive, `{"type":"view_closed","view":{"callback_id":"picker"}}`, ""},
		{envelope.Event, `{"type":"event_callback","event":{"type":"app_home_opened","user":"U1","channel":"D1"}}`, "event"},
	} {
		req, err := read(&envelope.Envelope{Kind: tt.kind, Payload: json.RawMessage(tt.payload)})
		if err != nil {
			t.Fatalf("%s: %v", tt.payload, err)
		}
		got = ""
		rt, ok := r.lookup(req)
		if ok != (tt.want != "") {
			t.Errorf("%s: routed %v", tt.payload, ok)
			continue
		}
		if !ok {
			continue
		}
		if rt.handle != nil {
			_ = rt.handle(context.Background(), req)
		} else {
			rt.answer(context.Background(), req)
		}
		if got != tt.want {
			t.Errorf("%s: reached %q, want %q", tt.payload, got, tt.want)
		}
	}

	defer func() {
		if recover() == nil {
			t.Error("routing an action id twice did not panic")
		}
	}()
	r.action("b1", h("again"))
}
