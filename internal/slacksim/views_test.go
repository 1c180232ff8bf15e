package slacksim_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/slacksim"
)

func modal(title string, blocks ...slack.Block) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		Title:      slack.NewTextBlockObject(slack.PlainTextType, title, false, false),
		Submit:     slack.NewTextBlockObject(slack.PlainTextType, "Save", false, false),
		CallbackID: "add_sticker",
		Blocks:     slack.Blocks{BlockSet: blocks},
	}
}

func nameInput() slack.Block {
	return slack.NewInputBlock("name_block", slack.NewTextBlockObject(slack.PlainTextType, "Name", false, false), nil,
		slack.NewPlainTextInputBlockElement(nil, "name"))
}

func TestViewsOpenTriggers(t *testing.T) {
	fs := slacksim.New(t, slacksim.WithTriggerTTL(100*time.Millisecond))
	c := dialRaw(t, fs)
	ctx := testCtx(t, 5*time.Second)
	api := newAPI(fs)
	cmd := func() slacksim.Delivery {
		d := fs.SlashCommand(ctx, slacksim.Command{User: "U1", Channel: "C1", Command: "/sticker", Text: "add"})
		c.next()
		c.ack(d.EnvelopeID)
		return d
	}

	d := cmd()
	resp, err := api.OpenViewContext(ctx, d.TriggerID, modal("Add a sticker", nameInput()))
	if err != nil || !strings.HasPrefix(resp.View.ID, "V") || resp.View.Hash == "" || resp.View.CallbackID != "add_sticker" || resp.View.RootViewID != resp.View.ID {
		t.Fatalf("views.open = %+v, %v", resp, err)
	}
	if open := fs.OpenViews("U1"); len(open) != 1 || open[0].ID != resp.View.ID || open[0].Title != "Add a sticker" {
		t.Errorf("open views = %+v", open)
	}
	for _, tc := range []struct {
		name, trigger, want string
	}{
		{"reused", d.TriggerID, "exchanged_trigger_id"},
		{"malformed", "not-a-trigger", "invalid_trigger_id"},
		{"unknown", "1234567890123.1234567890123.0123456789abcdef0123456789abcdef", "invalid_trigger_id"},
	} {
		if _, err := api.OpenViewContext(ctx, tc.trigger, modal("x", nameInput())); err == nil || err.Error() != tc.want {
			t.Errorf("%s trigger: %v, want %s", tc.name, err, tc.want)
		}
	}
	late := cmd()
	time.Sleep(150 * time.Millisecond)
	if _, err := api.OpenViewContext(ctx, late.TriggerID, modal("x", nameInput())); err == nil || err.Error() != "expired_trigger_id" {
		t.Errorf("expired trigger: %v", err)
	}

	// Invalid views.
	long := strings.Repeat("a", 2900)
	var big []slack.Block
	for range 100 {
		big = append(big, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, long, false, false), nil, nil))
	}
	for _, tc := range []struct {
		name string
		view slack.ModalViewRequest
		want string
	}{
		{"title 25", modal(strings.Repeat("t", 25), nameInput()), "invalid_arguments"},
		{"too large", modal("x", big...), "view_too_large"},
		{"metadata 3001", func() slack.ModalViewRequest {
			m := modal("x")
			m.PrivateMetadata = strings.Repeat("m", 3001)
			return m
		}(), "invalid_arguments"},
		{"bad block", modal("x", slack.NewImageBlock("ftp://x", "a", "", nil)), "invalid_arguments"},
	} {
		d := cmd()
		_, err := api.OpenViewContext(ctx, d.TriggerID, tc.view)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.want)
		}
		if se, ok := err.(slack.SlackErrorResponse); ok && tc.want == "invalid_arguments" && len(se.ResponseMetadata.Messages) == 0 {
			t.Errorf("%s: no response_metadata.messages", tc.name)
		}
	}

	// views.update with hash.
	upd, err := api.UpdateViewContext(ctx, modal("Edited", nameInput()), "", "stale", resp.View.ID)
	if err == nil || err.Error() != "hash_conflict" {
		t.Errorf("stale hash: %+v %v", upd, err)
	}
	upd, err = api.UpdateViewContext(ctx, modal("Edited", nameInput()), "", resp.View.Hash, resp.View.ID)
	if err != nil || upd.View.Hash == resp.View.Hash || upd.View.Title.Text != "Edited" {
		t.Errorf("update: %+v %v", upd, err)
	}
	if _, err := api.UpdateViewContext(ctx, modal("x"), "", "", "V000"); err == nil || err.Error() != "not_found" {
		t.Errorf("unknown view: %v", err)
	}
}

func TestViewPushAndSubmission(t *testing.T) {
	fs := slacksim.New(t)
	c := dialRaw(t, fs)
	ctx := testCtx(t, 5*time.Second)
	api := newAPI(fs)
	d := fs.SlashCommand(ctx, slacksim.Command{User: "U1", Channel: "C1", Command: "/sticker"})
	c.next()
	c.ack(d.EnvelopeID)
	more := slack.NewActionBlock("more", slack.NewButtonBlockElement("more", "", slack.NewTextBlockObject(slack.PlainTextType, "More", false, false)))
	root, err := api.OpenViewContext(ctx, d.TriggerID, modal("Root", nameInput(), more))
	if err != nil {
		t.Fatal(err)
	}
	top := root.View.ID
	for i := range 3 {
		click := fs.BlockAction(ctx, slacksim.Click{User: "U1", ViewID: top, ActionID: "more"})
		if click.Err != nil {
			t.Fatal(click.Err)
		}
		f := c.next()
		c.ack(click.EnvelopeID)
		var cb slack.InteractionCallback
		_ = json.Unmarshal(f.Payload, &cb)
		if cb.Container.Type != "view" || cb.View.ID != top || cb.ResponseURL != "" {
			t.Errorf("callback = %+v", cb)
		}
		pushed, err := api.PushViewContext(ctx, click.TriggerID, modal("Pushed", nameInput(), more))
		if i < 2 {
			if err != nil || pushed.View.RootViewID != root.View.ID || pushed.View.PreviousViewID != top {
				t.Fatalf("push %d: %+v %v", i, pushed, err)
			}
			top = pushed.View.ID
		} else if err == nil || err.Error() != "push_limit_reached" {
			t.Errorf("4th view: %v", err)
		}
	}

	// Submitting the top view: errors keyed by input block_id keep it open.
	if d := fs.ViewSubmission(ctx, slacksim.Submission{User: "U1"}); d.Err == nil || !strings.Contains(d.Err.Error(), "required") {
		t.Errorf("empty required input: %+v", d)
	}
	sub := fs.ViewSubmission(ctx, slacksim.Submission{User: "U1", Values: map[string]string{"name": "  "}})
	f := c.next()
	var cb slack.InteractionCallback
	if err := json.Unmarshal(f.Payload, &cb); err != nil {
		t.Fatal(err)
	}
	if cb.Type != slack.InteractionTypeViewSubmission || cb.View.ID != top || cb.View.State.Values["name_block"]["name"].Value != "  " || cb.TriggerID != sub.TriggerID {
		t.Errorf("view_submission = %+v", cb)
	}
	c.send(map[string]any{"envelope_id": sub.EnvelopeID, "payload": slack.NewErrorsViewSubmissionResponse(map[string]string{"name_block": "Give it a name"})})
	fs.WaitAck(ctx, sub.EnvelopeID)
	if n := len(fs.OpenViews("U1")); n != 3 {
		t.Errorf("%d views open after errors", n)
	}
	// A key that is not an input block is a violation.
	sub = fs.ViewSubmission(ctx, slacksim.Submission{User: "U1", Values: map[string]string{"name": "x"}})
	c.next()
	c.send(map[string]any{"envelope_id": sub.EnvelopeID, "payload": slack.NewErrorsViewSubmissionResponse(map[string]string{"name": "bad"})})
	fs.WaitAck(ctx, sub.EnvelopeID)
	if v := fs.Violations(); len(v) != 1 || v[0].Kind != slacksim.ViolationErrorsKey {
		t.Errorf("violations = %v", v)
	}
	// An empty ack closes the top view only; clear closes the rest.
	sub = fs.ViewSubmission(ctx, slacksim.Submission{User: "U1", Values: map[string]string{"name": "x"}})
	c.next()
	c.ack(sub.EnvelopeID)
	fs.WaitUntil(ctx, "view closed", func() bool { return len(fs.OpenViews("U1")) == 2 })
	sub = fs.ViewSubmission(ctx, slacksim.Submission{User: "U1", Values: map[string]string{"name": "x"}})
	c.next()
	c.send(map[string]any{"envelope_id": sub.EnvelopeID, "payload": slack.NewClearViewSubmissionResponse()})
	fs.WaitUntil(ctx, "stack cleared", func() bool { return len(fs.OpenViews("U1")) == 0 })
}

func TestFileInputSubmission(t *testing.T) {
	fs := slacksim.New(t)
	c := dialRaw(t, fs)
	ctx := testCtx(t, 5*time.Second)
	api := newAPI(fs)
	up := fs.AddFile(slacksim.FileSpec{Name: "new.png", Data: pngBytes, User: "U1"})
	d := fs.SlashCommand(ctx, slacksim.Command{User: "U1", Channel: "C1", Command: "/sticker"})
	c.next()
	c.ack(d.EnvelopeID)
	fileInput := slack.NewInputBlock("file_block", slack.NewTextBlockObject(slack.PlainTextType, "Image", false, false), nil,
		slack.NewFileInputBlockElement("image"))
	if _, err := api.OpenViewContext(ctx, d.TriggerID, modal("Add", nameInput(), fileInput)); err != nil {
		t.Fatal(err)
	}
	sub := fs.ViewSubmission(ctx, slacksim.Submission{User: "U1", Values: map[string]string{"name": "cat"}, Files: map[string][]string{"image": {up.ID}}})
	if sub.Err != nil {
		t.Fatal(sub.Err)
	}
	f := c.next()
	var cb slack.InteractionCallback
	if err := json.Unmarshal(f.Payload, &cb); err != nil {
		t.Fatal(err)
	}
	files := cb.View.State.Values["file_block"]["image"].Files
	if len(files) != 1 || files[0].ID != up.ID || files[0].URLPrivate != up.URLPrivate || files[0].Mimetype != "image/png" {
		t.Errorf("files = %+v", files)
	}
}

// searchView is a modal with a search box that dispatches on every
// character, a conversation menu with response_url_enabled and a button.
func searchView(title string, dispatchOn ...string) slack.ModalViewRequest {
	box := slack.NewPlainTextInputBlockElement(nil, "q").WithMaxLength(10)
	if len(dispatchOn) > 0 {
		box.DispatchActionConfig = &slack.DispatchActionConfig{TriggerActionsOn: dispatchOn}
	}
	search := slack.NewInputBlock("search", slack.NewTextBlockObject(slack.PlainTextType, "Search", false, false), nil, box).WithDispatchAction(true).WithOptional(true)
	where := slack.NewOptionsSelectBlockElement(slack.OptTypeConversations, nil, "where")
	where.ResponseURLEnabled = true
	whereBlock := slack.NewInputBlock("where", slack.NewTextBlockObject(slack.PlainTextType, "Where", false, false), nil, where)
	send := slack.NewActionBlock("grid", slack.NewButtonBlockElement("send", "42", slack.NewTextBlockObject(slack.PlainTextType, "Send", false, false)))
	return modal(title, search, whereBlock, send)
}

func TestTypingInAView(t *testing.T) {
	fs := slacksim.New(t)
	c := dialRaw(t, fs)
	ctx := testCtx(t, 5*time.Second)
	api := newAPI(fs)
	d := fs.SlashCommand(ctx, slacksim.Command{User: "U1", Channel: "C1", Command: "/sticker"})
	c.next()
	c.ack(d.EnvelopeID)
	opened, err := api.OpenViewContext(ctx, d.TriggerID, searchView("Pick", "on_character_entered"))
	if err != nil {
		t.Fatal(err)
	}
	id := opened.View.ID

	// Each character dispatches, with the text so far and the view's state.
	for _, text := range []string{"c", "ca"} {
		typed := fs.Type(ctx, slacksim.Typing{User: "U1", ViewID: id, ActionID: "q", Value: text})
		if typed.Err != nil || typed.EnvelopeID == "" {
			t.Fatalf("typing %q: %+v", text, typed)
		}
		f := c.next()
		c.ack(f.EnvelopeID)
		var cb slack.InteractionCallback
		if err := json.Unmarshal(f.Payload, &cb); err != nil {
			t.Fatal(err)
		}
		a := cb.ActionCallback.BlockActions
		if cb.Type != slack.InteractionTypeBlockActions || cb.Container.Type != "view" || cb.Container.ViewID != id ||
			cb.View.ID != id || cb.View.Hash != opened.View.Hash || cb.ResponseURL != "" || cb.TriggerID == "" ||
			len(a) != 1 || a[0].ActionID != "q" || a[0].BlockID != "search" || a[0].Value != text ||
			cb.View.State.Values["search"]["q"].Value != text {
			t.Errorf("block_actions for %q: %s", text, f.Payload)
		}
	}
	if d := fs.Type(ctx, slacksim.Typing{User: "U1", ViewID: id, ActionID: "q", Value: "a long query"}); d.Err == nil {
		t.Error("typed past max_length")
	}
	if d := fs.Type(ctx, slacksim.Typing{User: "U2", ViewID: id, ActionID: "q", Value: "x"}); d.Err == nil {
		t.Error("typed into another user's view")
	}
	if d := fs.Choose(ctx, slacksim.Choice{User: "U1", ActionID: "where", Conversation: "D9"}); d.Err == nil {
		t.Error("chose a conversation the menu does not list")
	}
	// A choice in an input block waits for the submission.
	if d := fs.Choose(ctx, slacksim.Choice{User: "U1", ActionID: "where", Conversation: "C2"}); d.Err != nil || d.EnvelopeID != "" {
		t.Errorf("choosing: %+v", d)
	}

	// An update keeps what was typed where block and action ids stay, and
	// a stale hash is refused.
	upd, err := api.UpdateViewContext(ctx, searchView("Pick 2", "on_character_entered"), "", opened.View.Hash, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.UpdateViewContext(ctx, searchView("Pick 3"), "", opened.View.Hash, id); err == nil || err.Error() != "hash_conflict" {
		t.Errorf("update with the old hash: %v", err)
	}
	click := fs.BlockAction(ctx, slacksim.Click{User: "U1", ViewID: id, ActionID: "send"})
	if click.Err != nil {
		t.Fatal(click.Err)
	}
	f := c.next()
	c.ack(f.EnvelopeID)
	var cb slack.InteractionCallback
	_ = json.Unmarshal(f.Payload, &cb)
	if cb.View.Hash != upd.View.Hash || cb.View.State.Values["search"]["q"].Value != "ca" ||
		cb.View.State.Values["where"]["where"].SelectedConversation != "C2" {
		t.Errorf("click after the update: hash %q (want %q), state %s", cb.View.Hash, upd.View.Hash, f.Payload)
	}
	if d := fs.BlockAction(ctx, slacksim.Click{User: "U2", ViewID: id, ActionID: "send"}); d.Err == nil {
		t.Error("another user clicked in U1's view")
	}

	// Without on_character_entered, only Enter dispatches.
	if _, err := api.UpdateViewContext(ctx, searchView("Pick 4"), "", "", id); err != nil {
		t.Fatal(err)
	}
	if d := fs.Type(ctx, slacksim.Typing{User: "U1", ActionID: "q", Value: "cat"}); d.Err != nil || d.EnvelopeID != "" {
		t.Errorf("typing without on_character_entered dispatched: %+v", d)
	}
	enter := fs.Type(ctx, slacksim.Typing{User: "U1", ActionID: "q", Value: "cat", Enter: true})
	if enter.Err != nil || enter.EnvelopeID == "" {
		t.Fatalf("Enter: %+v", enter)
	}
	c.ack(c.next().EnvelopeID)

	// The submission carries the typed text, and a response_url for the
	// conversation chosen, which posts there though the bot is no member.
	sub := fs.ViewSubmission(ctx, slacksim.Submission{User: "U1"})
	if sub.Err != nil {
		t.Fatal(sub.Err)
	}
	f = c.next()
	c.ack(f.EnvelopeID)
	cb = slack.InteractionCallback{}
	if err := json.Unmarshal(f.Payload, &cb); err != nil {
		t.Fatal(err)
	}
	if cb.View.State.Values["search"]["q"].Value != "cat" || len(cb.ResponseURLs) != 1 ||
		cb.ResponseURLs[0].ChannelID != "C2" || cb.ResponseURLs[0].BlockID != "where" || cb.ResponseURLs[0].ActionID != "where" {
		t.Fatalf("view_submission: %s", f.Payload)
	}
	if err := slack.PostWebhookContext(ctx, cb.ResponseURLs[0].ResponseURL, &slack.WebhookMessage{Text: "hi", ResponseType: slack.ResponseTypeInChannel}); err != nil {
		t.Fatal(err)
	}
	if m := fs.WaitMessage(ctx, "C2", func(m slacksim.Message) bool { return m.Text == "hi" }); m.Ephemeral || m.Source != slacksim.MethodResponseURL {
		t.Errorf("posted through the response_url: %+v", m)
	}
}

func TestBlocksBySurface(t *testing.T) {
	fs := slacksim.New(t)
	c := dialRaw(t, fs)
	ctx := testCtx(t, 5*time.Second)
	api := newAPI(fs)
	md := json.RawMessage(`[{"type":"markdown","text":"**hi**"}]`)
	fileInput := json.RawMessage(`[{"type":"input","label":{"type":"plain_text","text":"File"},"element":{"type":"file_input","action_id":"f"}}]`)
	post := func(blocks json.RawMessage) error {
		_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false), slack.MsgOptionBlocks(rawBlocks(t, blocks)...))
		return err
	}
	if err := post(md); err != nil {
		t.Errorf("markdown block in a message: %v", err)
	}
	if err := post(fileInput); err == nil || err.Error() != "invalid_blocks" {
		t.Errorf("file_input in a message: %v, want invalid_blocks", err)
	}
	d := fs.SlashCommand(ctx, slacksim.Command{User: "U1", Channel: "C1", Command: "/sticker"})
	c.next()
	c.ack(d.EnvelopeID)
	v := modal("x", rawBlocks(t, md)...)
	if _, err := api.OpenViewContext(ctx, d.TriggerID, v); err == nil || err.Error() != "invalid_arguments" {
		t.Errorf("markdown block in a modal: %v, want invalid_arguments", err)
	}
}

// rawBlocks decodes a blocks array into slack-go blocks (unknown types
// included, as raw JSON).
func rawBlocks(t *testing.T, raw json.RawMessage) []slack.Block {
	t.Helper()
	var bs slack.Blocks
	if err := json.Unmarshal(raw, &bs); err != nil {
		t.Fatal(err)
	}
	return bs.BlockSet
}
