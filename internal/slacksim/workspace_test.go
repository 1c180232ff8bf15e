package slacksim_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/slacksim"
)

// payload decodes a frame's payload.
func payload(t *testing.T, f frame) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(f.Payload, &m); err != nil {
		t.Fatalf("payload %s: %v", f.Payload, err)
	}
	return m
}

func event(t *testing.T, f frame) map[string]any {
	t.Helper()
	ev, _ := payload(t, f)["event"].(map[string]any)
	return ev
}

// What people type is stored and sent as Slack does: escaped, with
// mentions and links in <…>, and the app hears what it subscribes to.
func TestTypeMessage(t *testing.T) {
	t.Parallel()
	fs := slacksim.New(t, slacksim.WithUsers(slacksim.User{ID: "U1", Name: "ana"}, slacksim.User{ID: "U2", Name: "ben"}),
		slacksim.WithApp(slacksim.App{MessagesTab: true, BotEvents: []string{"app_mention", "message.im"}}))
	c := dialRaw(t, fs)
	ctx := testCtx(t, 5*time.Second)

	m, err := fs.TypeMessage(ctx, slacksim.UserMessage{User: "U1", Channel: "C1", Text: "hi @ben & @stickerbot <b> see https://x.test/?a=1&b=2 in #random @here"})
	if err != nil {
		t.Fatal(err)
	}
	want := "hi <@U2> &amp; <@U0FAKEBOT> &lt;b&gt; see <https://x.test/?a=1&amp;b=2> in <#C2|random> <!here>"
	if m.Text != want || m.Author != "U1" || m.Ephemeral {
		t.Errorf("stored %+v\nwant text %q", m, want)
	}
	f := c.next()
	ev := event(t, f)
	if f.Type != "events_api" || ev["type"] != "app_mention" || ev["text"] != want || ev["user"] != "U1" || ev["channel"] != "C1" || ev["ts"] != m.TS {
		t.Errorf("mention event %s", f.Payload)
	}
	c.ack(f.EnvelopeID)

	// The DM with the app: message.im.
	if _, err := fs.TypeMessage(ctx, slacksim.UserMessage{User: "U1", Channel: "D1", Text: "cat"}); err != nil {
		t.Fatal(err)
	}
	f = c.next()
	if ev := event(t, f); ev["type"] != "message" || ev["channel_type"] != "im" || ev["text"] != "cat" {
		t.Errorf("DM event %s", f.Payload)
	}
	c.ack(f.EnvelopeID)

	// A mention where the app is not: Slackbot says so, the app hears nothing.
	if _, err := fs.TypeMessage(ctx, slacksim.UserMessage{User: "U1", Channel: "C2", Text: "@stickerbot cat"}); err != nil {
		t.Fatal(err)
	}
	c.none(200 * time.Millisecond)
	msgs := fs.Messages("C2")
	if len(msgs) != 2 || msgs[1].Author != slacksim.SlackbotID || !msgs[1].Ephemeral || msgs[1].User != "U1" || !strings.Contains(msgs[1].Text, "not in this channel") {
		t.Errorf("C2 messages %+v", msgs)
	}
	if _, err := fs.TypeMessage(ctx, slacksim.UserMessage{User: "U9", Channel: "C1", Text: "x"}); err == nil {
		t.Error("an unknown user posted")
	}
}

func TestTypeCommand(t *testing.T) {
	t.Parallel()
	fs := slacksim.New(t, slacksim.WithApp(slacksim.App{Commands: []string{"/sticker"}}), slacksim.WithAckTimeout(300*time.Millisecond))
	c := dialRaw(t, fs)
	ctx := testCtx(t, 5*time.Second)
	if d := fs.TypeCommand(ctx, slacksim.Command{User: "U1", Channel: "C1", Command: "/stick", Text: "cat"}); d.Err == nil {
		t.Error("an unknown command was sent")
	}
	if m := fs.Messages("C1"); len(m) != 1 || m[0].Author != slacksim.SlackbotID || !strings.Contains(m[0].Text, "is not a valid command") {
		t.Errorf("messages %+v", m)
	}
	d := fs.TypeCommand(ctx, slacksim.Command{User: "U1", Channel: "C1", Command: "/sticker", Text: "<b> & cat"})
	f := c.next()
	if p := payload(t, f); p["text"] != "&lt;b&gt; &amp; cat" || f.EnvelopeID != d.EnvelopeID {
		t.Errorf("command payload %s", f.Payload)
	}
	// No ack: the person sees operation_timeout, from Slackbot.
	fs.WaitMessage(ctx, "C1", func(m slacksim.Message) bool {
		return m.Author == slacksim.SlackbotID && strings.Contains(m.Text, `/sticker failed with the error "operation_timeout"`)
	})
}

func homeView(title string) string {
	b, _ := json.Marshal(map[string]any{"type": "home", "blocks": []any{
		map[string]any{"type": "header", "text": map[string]any{"type": "plain_text", "text": title}},
		map[string]any{"type": "actions", "block_id": "a", "elements": []any{
			map[string]any{"type": "button", "action_id": "go", "value": "v", "text": map[string]any{"type": "plain_text", "text": "Go"}},
		}},
	}})
	return string(b)
}

func TestHome(t *testing.T) {
	t.Parallel()
	fs := slacksim.New(t, slacksim.WithApp(slacksim.App{HomeTab: true, BotEvents: []string{"app_home_opened"}}))
	c := dialRaw(t, fs)
	api := newAPI(fs)
	ctx := testCtx(t, 5*time.Second)

	// Opened before anything is published: no view in the event.
	if _, err := fs.AppHomeOpened(ctx, "U1", "home"); err != nil {
		t.Fatal(err)
	}
	f := c.next()
	if ev := event(t, f); ev["type"] != "app_home_opened" || ev["tab"] != "home" || ev["user"] != "U1" || ev["view"] != nil || ev["channel"] != "D1" {
		t.Errorf("app_home_opened %s", f.Payload)
	}
	c.ack(f.EnvelopeID)

	var req slack.HomeTabViewRequest
	_ = json.Unmarshal([]byte(homeView("Hello")), &req)
	v, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U1", View: req})
	if err != nil {
		t.Fatal(err)
	}
	home, ok := fs.Home("U1")
	if !ok || home.ID != v.ID || home.Type != "home" || !strings.Contains(string(home.Blocks), "Hello") {
		t.Errorf("Home = %+v %v", home, ok)
	}
	if _, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U1", View: req, Hash: &[]string{"stale"}[0]}); err == nil || !strings.Contains(err.Error(), "hash_conflict") {
		t.Errorf("stale hash: %v", err)
	}
	if _, err := fs.AppHomeOpened(ctx, "U1", "home"); err != nil {
		t.Fatal(err)
	}
	f = c.next()
	if view, _ := event(t, f)["view"].(map[string]any); view["id"] != v.ID {
		t.Errorf("app_home_opened after publishing %s", f.Payload)
	}
	c.ack(f.EnvelopeID)

	// A button in the Home tab.
	d := fs.BlockAction(ctx, slacksim.Click{User: "U1", ViewID: v.ID, ActionID: "go"})
	if d.Err != nil {
		t.Fatal(d.Err)
	}
	f = c.next()
	p := payload(t, f)
	if view, _ := p["view"].(map[string]any); p["type"] != "block_actions" || view["type"] != "home" || p["response_url"] != nil {
		t.Errorf("home click %s", f.Payload)
	}

	// A modal is not a Home view, and the Home tab can be off.
	bad, _ := json.Marshal(map[string]any{"type": "modal", "title": map[string]any{"type": "plain_text", "text": "x"}, "blocks": []any{}})
	_ = json.Unmarshal(bad, &req)
	if _, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U1", View: req}); err == nil {
		t.Error("published a modal as a Home view")
	}
	off := slacksim.New(t, slacksim.WithApp(slacksim.App{}))
	_ = json.Unmarshal([]byte(homeView("x")), &req)
	if _, err := newAPI(off).PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U1", View: req}); err == nil || !strings.Contains(err.Error(), "not_enabled") {
		t.Errorf("Home tab off: %v", err)
	}
}

// With the app's configuration, only its shortcuts are offered; a message
// shortcut's response_url posts into the channel.
func TestShortcutsOfTheApp(t *testing.T) {
	t.Parallel()
	fs := slacksim.New(t, slacksim.WithApp(slacksim.App{GlobalShortcuts: []string{"find"}, MessageShortcuts: []string{"reply"}}))
	c := dialRaw(t, fs)
	ctx := testCtx(t, 5*time.Second)
	if d := fs.GlobalShortcut(ctx, slacksim.GlobalShortcut{User: "U1", CallbackID: "nope"}); d.Err == nil {
		t.Error("a shortcut the app does not have was sent")
	}
	m, err := fs.TypeMessage(ctx, slacksim.UserMessage{User: "U2", Channel: "C1", Text: "lunch?"})
	if err != nil {
		t.Fatal(err)
	}
	if d := fs.MessageShortcut(ctx, slacksim.MessageShortcut{User: "U1", CallbackID: "nope", Message: m}); d.Err == nil {
		t.Error("a message shortcut the app does not have was sent")
	}
	fs.MessageShortcut(ctx, slacksim.MessageShortcut{User: "U1", CallbackID: "reply", Message: m})
	f := c.next()
	p := payload(t, f)
	if msg, _ := p["message"].(map[string]any); p["callback_id"] != "reply" || msg["user"] != "U2" {
		t.Errorf("message shortcut %s", f.Payload)
	}
	c.ack(f.EnvelopeID)
	if err := slack.PostWebhookContext(ctx, p["response_url"].(string), &slack.WebhookMessage{Text: "a sticker", ResponseType: "in_channel"}); err != nil {
		t.Fatal(err)
	}
	if msgs := fs.Messages("C1"); msgs[len(msgs)-1].Text != "a sticker" || msgs[len(msgs)-1].Ephemeral {
		t.Errorf("after the response_url: %+v", msgs[len(msgs)-1])
	}
}

// What Slack refuses is recorded where it would have been seen; failures
// the test injects and answers the app expects are not.
func TestRefusals(t *testing.T) {
	t.Parallel()
	fs := slacksim.New(t)
	api := newAPI(fs)
	ctx := testCtx(t, 5*time.Second)
	long := slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", strings.Repeat("x", 3001), false, false), nil, nil)
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionBlocks(long)); err == nil {
		t.Fatal("posted a 3001-character section")
	}
	if _, err := api.PostEphemeralContext(ctx, "C1", "U2", slack.MsgOptionBlocks(long)); err == nil {
		t.Fatal("posted a 3001-character section")
	}
	if _, _, err := api.PostMessageContext(ctx, "C2", slack.MsgOptionText("hi", false)); err == nil {
		t.Fatal("posted where the bot is not")
	}
	fs.FailNext("chat.postMessage", 1, slacksim.Failure{Error: "invalid_blocks"})
	_, _, _ = api.PostMessageContext(ctx, "C1", slack.MsgOptionText("hi", false))
	if _, err := api.OpenViewContext(ctx, "123.456.abc", slack.ModalViewRequest{Type: "modal", Title: slack.NewTextBlockObject("plain_text", "x", false, false)}); err == nil {
		t.Fatal("opened a view with a made-up trigger")
	}
	rs := fs.Refusals()
	if len(rs) != 2 {
		t.Fatalf("refusals %+v, want the two invalid_blocks", rs)
	}
	if r := rs[0]; r.Method != "chat.postMessage" || r.Error != "invalid_blocks" || r.Channel != "C1" || r.User != "" || len(r.Detail) == 0 || !strings.Contains(r.Detail[0], "/blocks/0/text") {
		t.Errorf("first refusal %+v", r)
	}
	if r := rs[1]; r.Method != "chat.postEphemeral" || r.User != "U2" {
		t.Errorf("second refusal %+v", r)
	}
}

// Inputs of any type are sent as Slack sends them; a submission's files
// become readable by the app; field errors stay on the view.
func TestInputsAndViewErrors(t *testing.T) {
	t.Parallel()
	fs := slacksim.New(t)
	c := dialRaw(t, fs)
	api := newAPI(fs)
	ctx := testCtx(t, 5*time.Second)
	d := fs.SlashCommand(ctx, slacksim.Command{User: "U1", Channel: "C1", Command: "/x"})
	c.ack(c.next().EnvelopeID)
	opt := func(v string) *slack.OptionBlockObject {
		return slack.NewOptionBlockObject(v, slack.NewTextBlockObject("plain_text", v, false, false), nil)
	}
	view := slack.ModalViewRequest{Type: "modal", Title: slack.NewTextBlockObject("plain_text", "Form", false, false),
		Submit: slack.NewTextBlockObject("plain_text", "Save", false, false), NotifyOnClose: true,
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("name", slack.NewTextBlockObject("plain_text", "Name", false, false), nil, slack.NewPlainTextInputBlockElement(nil, "name")),
			slack.NewInputBlock("kinds", slack.NewTextBlockObject("plain_text", "Kinds", false, false), nil,
				slack.NewOptionsMultiSelectBlockElement("multi_static_select", nil, "kinds", opt("a"), opt("b"))).WithOptional(true),
			slack.NewInputBlock("where", slack.NewTextBlockObject("plain_text", "Where", false, false), nil,
				slack.NewOptionsSelectBlockElement("conversations_select", nil, "where")).WithOptional(true),
			slack.NewInputBlock("file", slack.NewTextBlockObject("plain_text", "File", false, false), nil, slack.NewFileInputBlockElement("file")).WithOptional(true),
		}}}
	v, err := api.OpenViewContext(ctx, d.TriggerID, view)
	if err != nil {
		t.Fatal(err)
	}
	// Empty required input: the client would not submit.
	if d := fs.ViewSubmission(ctx, slacksim.Submission{User: "U1", Inputs: slacksim.Inputs{}}); d.Err == nil {
		t.Error("submitted an empty required input")
	}
	f := fs.AddFile(slacksim.FileSpec{Name: "a.png", Data: []byte("\x89PNG\r\n\x1a\nxxxx"), User: "U1"})
	if _, _, _, err := api.GetFileInfoContext(ctx, f.ID, 0, 0); err == nil {
		t.Fatal("the app read a file private to its uploader")
	}
	name := "Ana"
	sub := fs.ViewSubmission(ctx, slacksim.Submission{User: "U1", Inputs: slacksim.Inputs{
		"name": {"name": {Value: &name}}, "kinds": {"kinds": {Selected: []string{"a", "b"}}},
		"where": {"where": {Selected: []string{"C2"}}}, "file": {"file": {Files: []string{f.ID}}},
	}})
	fr := c.next()
	p := payload(t, fr)
	values := p["view"].(map[string]any)["state"].(map[string]any)["values"].(map[string]any)
	get := func(b string) map[string]any { return values[b].(map[string]any)[b].(map[string]any) }
	if get("name")["value"] != "Ana" || len(get("kinds")["selected_options"].([]any)) != 2 || get("where")["selected_conversation"] != "C2" ||
		get("file")["files"].([]any)[0].(map[string]any)["id"] != f.ID {
		t.Errorf("state values %v", values)
	}
	if _, _, _, err := api.GetFileInfoContext(ctx, f.ID, 0, 0); err != nil {
		t.Errorf("the app cannot read the submitted file: %v", err)
	}
	c.send(map[string]any{"envelope_id": fr.EnvelopeID, "payload": map[string]any{"response_action": "errors", "errors": map[string]string{"name": "Taken."}}})
	ack, err := fs.AwaitAck(ctx, sub.EnvelopeID)
	if err != nil || ack.Payload == nil {
		t.Fatalf("ack %+v %v", ack, err)
	}
	if open := fs.OpenViews("U1"); len(open) != 1 || open[0].Errors["name"] != "Taken." {
		t.Errorf("open views %+v", open)
	}

	// Closing it: view_closed, as the view asked.
	if _, err := fs.CloseView(ctx, "U1", v.ID, true); err != nil {
		t.Fatal(err)
	}
	fr = c.next()
	if p := payload(t, fr); p["type"] != "view_closed" || p["is_cleared"] != true {
		t.Errorf("view_closed %s", fr.Payload)
	}
	if open := fs.OpenViews("U1"); len(open) != 0 {
		t.Errorf("still open: %+v", open)
	}
	actx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := fs.AwaitAck(actx, "no-such-envelope"); err == nil {
		t.Error("AwaitAck of nothing returned")
	}
}

// Start runs the simulator without a test, as the playground does.
func TestStartWithoutTest(t *testing.T) {
	t.Parallel()
	fs, err := slacksim.Start(slacksim.WithBotToken("xoxb-x"))
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	ctx := testCtx(t, 5*time.Second)
	if _, err := slack.New("xoxb-x", slack.OptionAPIURL(fs.APIURL())).AuthTestContext(ctx); err != nil {
		t.Fatal(err)
	}
	v := fs.Version()
	fs.AddChannel(slacksim.Channel{ID: "C9", Name: "new"})
	fs.AddFile(slacksim.FileSpec{Name: "x.png", Data: []byte("x")})
	if fs.Version() <= v {
		t.Errorf("version %d after changes, was %d", fs.Version(), v)
	}
}
