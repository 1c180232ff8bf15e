package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stickerbot/stickerbot/internal/slacksim"
	"github.com/stickerbot/stickerbot/internal/sticker"
)

// The picker, end to end: the real bot against the fake Slack over both
// transports.

// openPicker runs "/sticker" alone as user in channel and returns the
// picker it opened.
func (h *harness) openPicker(t *testing.T, user, channel string) slacksim.View {
	t.Helper()
	old := h.viewIDs()
	d := h.command(user, channel, "")
	if a := h.fs.WaitAck(h.ctx, d.EnvelopeID); a.Payload != nil {
		t.Fatalf("/sticker acked with %s", a.Payload)
	}
	return h.waitPicker(t, user, "picker opened", func(v slacksim.View) bool { return !slices.Contains(old, v.ID) })
}

// viewIDs returns the IDs of every view opened so far.
func (h *harness) viewIDs() []string {
	var ids []string
	for _, v := range h.fs.Views() {
		ids = append(ids, v.ID)
	}
	return ids
}

// waitPicker waits until user's top view is a picker for which ok is
// true, and returns it.
func (h *harness) waitPicker(t *testing.T, user, what string, ok func(slacksim.View) bool) slacksim.View {
	t.Helper()
	var v slacksim.View
	h.fs.WaitUntil(h.ctx, what, func() bool {
		views := h.fs.OpenViews(user)
		if len(views) == 0 {
			return false
		}
		v = views[len(views)-1]
		return v.CallbackID == "sticker_picker" && ok(v)
	})
	return v
}

// waitStatus waits until user's picker's status line holds want.
func (h *harness) waitStatus(t *testing.T, user, want string) slacksim.View {
	t.Helper()
	return h.waitPicker(t, user, "picker status "+want, func(v slacksim.View) bool {
		return strings.Contains(pickerStatus(t, v.Blocks), want)
	})
}

// pickerStatus returns the text of a picker's status line.
func pickerStatus(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	for _, b := range blocks(t, raw) {
		if b["block_id"] == "picker_status" {
			els, _ := b["elements"].([]any)
			if len(els) > 0 {
				s, _ := els[0].(map[string]any)["text"].(string)
				return s
			}
		}
	}
	return ""
}

// sendValues returns the sticker IDs of a picker's Send buttons, in order.
func sendValues(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	var out []string
	for _, b := range blocks(t, raw) {
		if b["type"] != "actions" {
			continue
		}
		for _, e := range b["elements"].([]any) {
			if m := e.(map[string]any); m["action_id"] == "picker_send" {
				out = append(out, m["value"].(string))
			}
		}
	}
	return out
}

// typeText types each text into user's picker, one keystroke each,
// without waiting in between, and checks every ack came at once and
// empty.
func (h *harness) typeText(t *testing.T, user string, texts ...string) {
	t.Helper()
	var ds []slacksim.Delivery
	for _, text := range texts {
		d := h.fs.Type(h.ctx, slacksim.Typing{User: user, ActionID: "picker_query", Value: text})
		if d.Err != nil || d.EnvelopeID == "" {
			t.Fatalf("typing %q: %+v", text, d)
		}
		ds = append(ds, d)
	}
	for _, d := range ds {
		if a := h.fs.WaitAck(h.ctx, d.EnvelopeID); a.Payload != nil || a.Late {
			t.Errorf("keystroke ack: %+v", a)
		}
	}
}

// click clicks the element actionID (with value, when not empty) in
// user's picker.
func (h *harness) click(t *testing.T, user, actionID, value string) {
	t.Helper()
	views := h.fs.OpenViews(user)
	if len(views) == 0 {
		t.Fatalf("%s has no open view", user)
	}
	v := views[len(views)-1]
	c := slacksim.Click{User: user, ViewID: v.ID, ActionID: actionID}
	if value != "" {
		// Find the block of the button with that value.
		for _, b := range blocks(t, v.Blocks) {
			if b["type"] != "actions" {
				continue
			}
			for _, e := range b["elements"].([]any) {
				if m := e.(map[string]any); m["action_id"] == actionID && m["value"] == value {
					c.BlockID, _ = b["block_id"].(string)
				}
			}
		}
	}
	d := h.fs.BlockAction(h.ctx, c)
	if d.Err != nil {
		t.Fatalf("click %s %s: %v", actionID, value, d.Err)
	}
	if a := h.fs.WaitAck(h.ctx, d.EnvelopeID); a.Payload != nil {
		t.Errorf("click ack: %s", a.Payload)
	}
}

// botMessages counts the bot's messages (not ephemeral) in channels.
func (h *harness) botMessages(channels ...string) int {
	n := 0
	for _, ch := range channels {
		for _, m := range h.fs.Messages(ch) {
			if !m.Ephemeral && m.Source != slacksim.SourceUser && m.Source != "command_echo" {
				n++
			}
		}
	}
	return n
}

// The attributions of the picker's ways of sending.
const (
	fromPicker   = "from the /sticker picker"
	fromReply    = "with the Reply with a sticker shortcut"
	fromShortcut = "with the Send a sticker shortcut"
)

// sentBy waits for the sticker message in channel that says user sent it
// and how (as the preview's Send says it: by name and picture, never by
// a mention, which would notify them), after the first skip such
// messages.
func (h *harness) sentBy(t *testing.T, channel, user, how string, skip int) slacksim.Message {
	t.Helper()
	name := user
	for _, u := range h.fs.Users() {
		if u.ID == user {
			name = u.RealName
		}
	}
	want := "Sent by *" + name + "* " + how
	seen := 0
	m := h.fs.WaitMessage(h.ctx, channel, func(m slacksim.Message) bool {
		if m.Ephemeral || !strings.Contains(strings.Join(m.MrkdwnTexts(), " "), want) {
			return false
		}
		seen++
		return seen > skip
	})
	if said := strings.Join(m.MrkdwnTexts(), " ") + m.Text; strings.Contains(said, "<@") {
		t.Errorf("the sent sticker mentions someone: %q", said)
	}
	if !strings.Contains(string(m.Blocks), `"image_url":"https://avatars.example.com/`+user+`-48.png"`) {
		t.Errorf("the sent sticker doesn't show its sender's picture: %s", m.Blocks)
	}
	return m
}

func TestPickerShowsTheLastQueryOnly(t *testing.T) {
	t.Parallel()
	for _, mode := range transports {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			h := startBot(t, transportEnv(mode))
			v := h.openPicker(t, "U1", "C1")
			if st := pickerStatus(t, v.Blocks); !strings.Contains(st, "Type to search") {
				t.Errorf("empty box status %q", st)
			}
			before := len(h.fs.Calls("views.update"))
			h.typeText(t, "U1", "d", "do", "dog")
			v = h.waitStatus(t, "U1", "for “dog”")
			time.Sleep(300 * time.Millisecond) // an older render, if any, has had its chance
			v = h.waitPicker(t, "U1", "picker", func(slacksim.View) bool { return true })
			if st := pickerStatus(t, v.Blocks); !strings.Contains(st, "for “dog”") {
				t.Errorf("after typing dog the picker shows %q", st)
			}
			// Updates came in typing order: never an older query after a newer one.
			order := map[string]int{"d": 0, "do": 1, "dog": 2}
			last := -1
			updates := h.fs.Calls("views.update")[before:]
			for _, c := range updates {
				if c.Error != "" {
					continue
				}
				st := pickerStatus(t, mustBlocks(t, c.View()))
				q := between(st, "“", "”")
				i, ok := order[q]
				if !ok {
					t.Errorf("an update shows %q", st)
					continue
				}
				if i < last {
					t.Errorf("the picker went back from %d to %q", last, q)
				}
				last = i
			}
			if last != 2 || len(updates) > 3 {
				t.Errorf("%d updates, the last for %d", len(updates), last)
			}
			ids := sendValues(t, v.Blocks)
			dog, err := h.store.GetByName(context.Background(), "dog")
			if err != nil {
				t.Fatal(err)
			}
			if len(ids) == 0 || ids[0] != fmt.Sprint(dog.ID) {
				t.Errorf("first result %v, want dog (%d)", ids, dog.ID)
			}
			// Typing something that needs escaping shows it as text.
			h.typeText(t, "U1", "<!channel>")
			v = h.waitStatus(t, "U1", "No sticker matches")
			for _, s := range slacksim.MrkdwnTexts(v.Blocks) {
				if slacksim.HasUnescapedSpecial(s) {
					t.Errorf("unescaped: %q", s)
				}
			}
			noUserErrors(t, h)
		})
	}
}

func TestPickerPaging(t *testing.T) {
	t.Parallel()
	for _, mode := range transports {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			h := startBot(t, transportEnv(mode))
			for i := range 45 {
				if _, err := h.store.Save(context.Background(), 0, sticker.Draft{Name: fmt.Sprintf("pangolin %02d", i),
					Tags: []string{"pangolin"}, ImageURL: "https://x.example/p.png"}); err != nil {
					t.Fatal(err)
				}
			}
			h.openPicker(t, "U1", "C1")
			h.typeText(t, "U1", "pangolin")
			v := h.waitStatus(t, "U1", "1–20 of")
			first := sendValues(t, v.Blocks)
			if len(first) != 20 || !slices.Contains(buttons(t, v.Blocks), "picker_next") || slices.Contains(buttons(t, v.Blocks), "picker_prev") {
				t.Fatalf("page 1: %d results, buttons %v", len(first), buttons(t, v.Blocks))
			}
			h.click(t, "U1", "picker_next", "")
			v = h.waitStatus(t, "U1", "21–40 of")
			second := sendValues(t, v.Blocks)
			h.click(t, "U1", "picker_next", "")
			v = h.waitStatus(t, "U1", "41–45 of 45")
			third := sendValues(t, v.Blocks)
			if slices.Contains(buttons(t, v.Blocks), "picker_next") || len(third) != 5 {
				t.Errorf("last page: %d results, buttons %v", len(third), buttons(t, v.Blocks))
			}
			all := append(append(slices.Clone(first), second...), third...)
			slices.Sort(all)
			if len(slices.Compact(all)) != 45 {
				t.Errorf("the pages hold %d distinct stickers, want 45", len(slices.Compact(all)))
			}
			h.click(t, "U1", "picker_prev", "")
			v = h.waitStatus(t, "U1", "21–40 of")
			if !slices.Equal(sendValues(t, v.Blocks), second) {
				t.Error("Previous shows another page 2")
			}
			if n := len(blocks(t, v.Blocks)); n > 100 {
				t.Errorf("%d blocks", n)
			}
			noUserErrors(t, h)
		})
	}
}

func TestPickerSend(t *testing.T) {
	t.Parallel()
	for _, mode := range transports {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			h := startBot(t, transportEnv(mode))
			h.openPicker(t, "U1", "C1")
			h.typeText(t, "U1", "dog")
			v := h.waitStatus(t, "U1", "for “dog”")
			uses := usesOf(t, h, "dog")
			h.click(t, "U1", "picker_send", sendValues(t, v.Blocks)[0])
			m := h.sentBy(t, "C1", "U1", fromPicker, 0)
			if m.Source != "chat.postMessage" || m.ThreadTS != "" {
				t.Errorf("sent: %+v", m)
			}
			h.waitStatus(t, "U1", "Sent *dog* to <#C1>")
			h.fs.WaitUntil(h.ctx, "send counted", func() bool { return usesOf(t, h, "dog") == uses+1 })

			// Where the bot is not a member, the command's response_url posts it.
			h.openPicker(t, "U1", "C2")
			h.typeText(t, "U1", "cat")
			v = h.waitStatus(t, "U1", "for “cat”")
			h.click(t, "U1", "picker_send", sendValues(t, v.Blocks)[0])
			m = h.sentBy(t, "C2", "U1", fromPicker, 0)
			if m.Source != slacksim.MethodResponseURL {
				t.Errorf("sent in C2 via %s", m.Source)
			}
			h.waitStatus(t, "U1", "Sent *cat*")
			noUserErrors(t, h)
		})
	}
}

// TestPickerClickOnAnotherReplica: a Send in a picker opened by one bot,
// delivered to another (as after a restart), works: the picker's state is
// in the view, not in the bot.
func TestPickerClickOnAnotherReplica(t *testing.T) {
	t.Parallel()
	h := startBot(t, nil)
	h.openPicker(t, "U1", "C1")
	h.typeText(t, "U1", "dog")
	v := h.waitStatus(t, "U1", "for “dog”")

	launchBot(t, h.vars, h.fs.BotToken(), h.fs.AppToken())
	conns := h.fs.WaitConnections(h.ctx, 4)
	other := conns[len(conns)-1].Index
	d := h.fs.BlockAction(h.ctx, slacksim.Click{User: "U1", ViewID: v.ID, ActionID: "picker_send", BlockID: blockOf(t, v.Blocks, sendValues(t, v.Blocks)[0])},
		slacksim.OnConn(other))
	if d.Err != nil || d.Conn != other {
		t.Fatalf("click: %+v", d)
	}
	h.sentBy(t, "C1", "U1", fromPicker, 0)
	h.waitStatus(t, "U1", "Sent *dog*")
}

// blockOf returns the block_id of the Send button with value.
func blockOf(t *testing.T, raw json.RawMessage, value string) string {
	t.Helper()
	for _, b := range blocks(t, raw) {
		for _, e := range anySlice(b["elements"]) {
			if m, _ := e.(map[string]any); m["value"] == value {
				id, _ := b["block_id"].(string)
				return id
			}
		}
	}
	t.Fatalf("no button with value %s", value)
	return ""
}

func anySlice(v any) []any { s, _ := v.([]any); return s }

func TestPickerReplyInThread(t *testing.T) {
	t.Parallel()
	for _, mode := range transports {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			h := startBot(t, transportEnv(mode))
			parent, err := h.fs.PostUserMessage(slacksim.UserMessage{User: "U2", Channel: "C1", Text: "lunch?"})
			if err != nil {
				t.Fatal(err)
			}
			reply, err := h.fs.PostUserMessage(slacksim.UserMessage{User: "U3", Channel: "C1", Text: "pizza", ThreadTS: parent.TS})
			if err != nil {
				t.Fatal(err)
			}
			for i, on := range []slacksim.Message{reply, parent} {
				seenViews := h.viewIDs()
				d := h.fs.MessageShortcut(h.ctx, slacksim.MessageShortcut{User: "U1", CallbackID: "reply_with_sticker", Message: on})
				if d.Err != nil {
					t.Fatal(d.Err)
				}
				h.fs.WaitAck(h.ctx, d.EnvelopeID)
				h.waitPicker(t, "U1", "picker from the shortcut", func(v slacksim.View) bool { return !slices.Contains(seenViews, v.ID) })
				h.typeText(t, "U1", "pizza")
				v := h.waitStatus(t, "U1", "for “pizza”")
				h.click(t, "U1", "picker_send", sendValues(t, v.Blocks)[0])
				m := h.sentBy(t, "C1", "U1", fromReply, i)
				if m.ThreadTS != parent.TS {
					t.Errorf("reply %d went to thread %q, want %s", i, m.ThreadTS, parent.TS)
				}
				h.waitStatus(t, "U1", "Sent *pizza* in the thread")
			}

			// Where the bot may not post, the picker says why and nothing
			// is posted anywhere.
			outside, err := h.fs.PostUserMessage(slacksim.UserMessage{User: "U2", Channel: "C2", Text: "hi"})
			if err != nil {
				t.Fatal(err)
			}
			posts := h.botMessages("C1", "C2")
			seenViews := h.viewIDs()
			d := h.fs.MessageShortcut(h.ctx, slacksim.MessageShortcut{User: "U1", CallbackID: "reply_with_sticker", Message: outside})
			h.fs.WaitAck(h.ctx, d.EnvelopeID)
			h.waitPicker(t, "U1", "picker in C2", func(v slacksim.View) bool { return !slices.Contains(seenViews, v.ID) })
			h.typeText(t, "U1", "cat")
			v := h.waitStatus(t, "U1", "for “cat”")
			h.click(t, "U1", "picker_send", sendValues(t, v.Blocks)[0])
			h.waitStatus(t, "U1", "/invite @stickerbot")
			if n := h.botMessages("C1", "C2"); n != posts {
				t.Errorf("%d messages posted where the bot may not post", n-posts)
			}
			noUserErrors(t, h)
		})
	}
}

func TestPickerGlobalShortcut(t *testing.T) {
	t.Parallel()
	for _, mode := range transports {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			h := startBot(t, transportEnv(mode))
			d := h.fs.GlobalShortcut(h.ctx, slacksim.GlobalShortcut{User: "U1", CallbackID: "send_sticker"})
			if d.Err != nil {
				t.Fatal(d.Err)
			}
			h.fs.WaitAck(h.ctx, d.EnvelopeID)
			v := h.waitPicker(t, "U1", "picker from the global shortcut", func(slacksim.View) bool { return true })
			if !slices.Contains(v.InputBlockIDs(), "picker_where") {
				t.Fatalf("no conversation menu: %v", v.InputBlockIDs())
			}
			h.typeText(t, "U1", "rocket")
			v = h.waitStatus(t, "U1", "for “rocket”")
			rocket := sendValues(t, v.Blocks)[0]
			h.click(t, "U1", "picker_send", rocket)
			h.waitStatus(t, "U1", "Choose where to send it")

			// Into a channel the bot is in: at once.
			if d := h.fs.Choose(h.ctx, slacksim.Choice{User: "U1", ActionID: "picker_where", Conversation: "C1"}); d.Err != nil {
				t.Fatal(d.Err)
			}
			h.click(t, "U1", "picker_send", rocket)
			h.sentBy(t, "C1", "U1", fromShortcut, 0)
			h.waitStatus(t, "U1", "Sent *rocket* to <#C1>")

			// Into another, where it is not: the picker's Send posts it
			// through the menu's response_url, and closes.
			if d := h.fs.Choose(h.ctx, slacksim.Choice{User: "U1", ActionID: "picker_where", Conversation: "C2"}); d.Err != nil {
				t.Fatal(d.Err)
			}
			h.click(t, "U1", "picker_send", rocket)
			v = h.waitStatus(t, "U1", "press *Send*")
			var submit struct {
				Submit struct{ Text string } `json:"submit"`
			}
			if _ = json.Unmarshal(v.JSON, &submit); submit.Submit.Text != "Send" {
				t.Errorf("the picker's submit button is %q, not Send", submit.Submit.Text)
			}
			if n := h.botMessages("C2"); n != 0 {
				t.Fatalf("%d messages in C2 before Send", n)
			}
			sub := h.fs.ViewSubmission(h.ctx, slacksim.Submission{User: "U1"})
			if sub.Err != nil {
				t.Fatal(sub.Err)
			}
			if a := h.fs.WaitAck(h.ctx, sub.EnvelopeID); a.Payload != nil {
				t.Errorf("submission ack %s", a.Payload)
			}
			m := h.sentBy(t, "C2", "U1", fromShortcut, 0)
			if m.Source != slacksim.MethodResponseURL {
				t.Errorf("sent to C2 via %s", m.Source)
			}
			h.fs.WaitUntil(h.ctx, "picker closed", func() bool { return len(h.fs.OpenViews("U1")) == 0 })
			noUserErrors(t, h)
		})
	}
}

func TestPickerForgedMetadata(t *testing.T) {
	t.Parallel()
	for _, mode := range transports {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			h := startBot(t, transportEnv(mode))
			h.openPicker(t, "U1", "C1")
			h.typeText(t, "U1", "dog")
			v := h.waitStatus(t, "U1", "for “dog”")
			posts := h.botMessages("C1", "C2", "G1")
			var view map[string]any
			if err := json.Unmarshal(v.JSON, &view); err != nil {
				t.Fatal(err)
			}
			meta := view["private_metadata"].(string)
			for _, forged := range []struct{ name, meta, user string }{
				{"another channel", strings.Replace(meta, `"c":"C1"`, `"c":"G1"`, 1), "U1"},
				{"no signature", meta[strings.LastIndex(meta, ":{")+1:], "U1"},
				{"another user's picker", meta, "U2"},
				{"garbage", "p1:xx:{", "U1"},
			} {
				view["private_metadata"] = forged.meta
				d := h.fs.Interactive(h.ctx, map[string]any{
					"type": "block_actions", "user": map[string]any{"id": forged.user}, "api_app_id": slacksim.AppID,
					"team": map[string]any{"id": slacksim.TeamID}, "container": map[string]any{"type": "view", "view_id": v.ID},
					"trigger_id": "1.2.3", "view": view,
					"actions": []any{map[string]any{"type": "button", "action_id": "picker_send", "block_id": "x", "value": sendValues(t, v.Blocks)[0]}},
				})
				if d.Err != nil {
					t.Fatal(d.Err)
				}
				h.fs.WaitAck(h.ctx, d.EnvelopeID)
				h.waitPicker(t, "U1", forged.name+": picker says it is out of date", func(v slacksim.View) bool {
					return strings.Contains(strings.Join(slacksim.MrkdwnTexts(v.Blocks), " "), "out of date")
				})
			}
			time.Sleep(200 * time.Millisecond)
			if n := h.botMessages("C1", "C2", "G1"); n != posts {
				t.Errorf("a forged picker posted %d messages", n-posts)
			}
			noUserErrors(t, h)
		})
	}
}

// noUserErrors fails when Slack showed a user an error (a missing ack).
func noUserErrors(t *testing.T, h *harness) {
	t.Helper()
	if errs := h.fs.UserErrors(); len(errs) > 0 {
		t.Errorf("users saw errors: %+v", errs)
	}
}

func mustBlocks(t *testing.T, view json.RawMessage) json.RawMessage {
	t.Helper()
	var v struct {
		Blocks json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal(view, &v); err != nil {
		t.Fatalf("view %s: %v", view, err)
	}
	return v.Blocks
}

// between returns the text of s between open and close, or "".
func between(s, open, close string) string {
	_, rest, ok := strings.Cut(s, open)
	if !ok {
		return ""
	}
	in, _, _ := strings.Cut(rest, close)
	return in
}
