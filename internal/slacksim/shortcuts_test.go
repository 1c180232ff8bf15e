package slacksim_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/slacksim"
)

func TestShortcuts(t *testing.T) {
	fs := slacksim.New(t)
	c := dialRaw(t, fs)
	ctx := testCtx(t, 5*time.Second)
	api := newAPI(fs)

	parent, err := fs.PostUserMessage(slacksim.UserMessage{User: "U2", Channel: "C1", Text: "lunch?"})
	if err != nil {
		t.Fatal(err)
	}
	reply, err := fs.PostUserMessage(slacksim.UserMessage{User: "U3", Channel: "C1", Text: "yes", ThreadTS: parent.TS})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.PostUserMessage(slacksim.UserMessage{User: "U1", Channel: "C1", Text: "x", ThreadTS: "1.000001"}); err == nil {
		t.Error("a reply to no message was posted")
	}
	if _, _, err := api.DeleteMessageContext(ctx, "C1", parent.TS); err == nil || err.Error() != "cant_delete_message" {
		t.Errorf("bot deleting a person's message: %v, want cant_delete_message", err)
	}

	d := fs.MessageShortcut(ctx, slacksim.MessageShortcut{User: "U1", CallbackID: "reply_with_sticker", Message: reply})
	if d.Err != nil {
		t.Fatal(d.Err)
	}
	f := c.next()
	c.ack(f.EnvelopeID)
	var ic slack.InteractionCallback
	if err := json.Unmarshal(f.Payload, &ic); err != nil {
		t.Fatal(err)
	}
	if ic.Type != slack.InteractionTypeMessageAction || ic.CallbackID != "reply_with_sticker" || ic.User.ID != "U1" ||
		ic.Channel.ID != "C1" || ic.MessageTs != reply.TS || ic.Message.ThreadTimestamp != parent.TS ||
		ic.Message.User != "U3" || ic.Message.Text != "yes" || ic.TriggerID == "" || !strings.Contains(ic.ResponseURL, "/hooks/app/") {
		t.Errorf("message_action payload = %s", f.Payload)
	}
	// Its trigger_id opens a modal, once.
	if _, err := api.OpenViewContext(ctx, ic.TriggerID, modal("Pick a sticker", nameInput())); err != nil {
		t.Errorf("views.open with the shortcut's trigger: %v", err)
	}

	eph, err := api.PostEphemeralContext(ctx, "C1", "U1", slack.MsgOptionText("only you", false))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		ms   slacksim.MessageShortcut
	}{
		{"ephemeral", slacksim.MessageShortcut{User: "U1", CallbackID: "x", Message: slacksim.Message{Channel: "C1", TS: eph}}},
		{"unknown message", slacksim.MessageShortcut{User: "U1", CallbackID: "x", Message: slacksim.Message{TS: "1.000001"}}},
		{"no callback", slacksim.MessageShortcut{User: "U1", Message: reply}},
	} {
		if d := fs.MessageShortcut(ctx, tc.ms); d.Err == nil {
			t.Errorf("%s: sent %s", tc.name, d.EnvelopeID)
		}
	}

	g := fs.GlobalShortcut(ctx, slacksim.GlobalShortcut{User: "U2", CallbackID: "send_sticker"})
	if g.Err != nil {
		t.Fatal(g.Err)
	}
	f = c.next()
	c.ack(f.EnvelopeID)
	var raw map[string]any
	_ = json.Unmarshal(f.Payload, &raw)
	if raw["type"] != "shortcut" || raw["callback_id"] != "send_sticker" || raw["trigger_id"] == "" {
		t.Errorf("shortcut payload = %s", f.Payload)
	}
	if _, ok := raw["channel"]; ok {
		t.Errorf("a global shortcut has no channel: %s", f.Payload)
	}
	if _, ok := raw["response_url"]; ok {
		t.Errorf("a global shortcut has no response_url: %s", f.Payload)
	}
	if v := fs.Violations(); len(v) > 0 {
		t.Errorf("violations: %v", v)
	}
}
