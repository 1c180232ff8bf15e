package slacksim_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/slacksim"
)

func TestAuthTest(t *testing.T) {
	fs := slacksim.New(t)
	ctx := testCtx(t, 5*time.Second)
	// slack-go sends auth.test as a form with token=.
	r, err := newAPI(fs).AuthTestContext(ctx)
	if err != nil || r.UserID != slacksim.BotUserID || r.BotID != slacksim.BotID || r.TeamID != slacksim.TeamID {
		t.Fatalf("auth.test = %+v, %v", r, err)
	}
	if c := fs.Calls("auth.test"); len(c) != 1 || c[0].Token != slacksim.TokenBot {
		t.Errorf("calls = %+v", c)
	}
	for token, want := range map[string]string{"": "not_authed", "xoxb-nope": "invalid_auth"} {
		_, err := slack.New(token, slack.OptionAPIURL(fs.APIURL())).AuthTestContext(ctx)
		if err == nil || err.Error() != want {
			t.Errorf("token %q: %v, want %s", token, err, want)
		}
	}
	// Bearer header, JSON body.
	req, _ := http.NewRequest(http.MethodPost, fs.APIURL()+"auth.test", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+fs.BotToken())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	if body["ok"] != true {
		t.Errorf("bearer auth.test = %v", body)
	}
	err = newAPI(fs).AddReactionContext(ctx, "thumbsup", slack.ItemRef{Channel: "C1", Timestamp: "1.2"})
	if err == nil || err.Error() != "unknown_method" {
		t.Errorf("unimplemented method: %v", err)
	}
}

func TestPostMessage(t *testing.T) {
	fs := slacksim.New(t)
	ctx := testCtx(t, 5*time.Second)
	api := newAPI(fs)
	blocks := []slack.Block{
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*cat*", false, false), nil, nil),
		slack.NewActionBlock("acts", slack.NewButtonBlockElement("send", "v1", slack.NewTextBlockObject(slack.PlainTextType, "Send", false, false))),
	}
	ch, ts, msg, err := api.PostMessageWithResponseContext(ctx, "C1", slack.MsgOptionText("hello", false), slack.MsgOptionBlocks(blocks...))
	if err != nil || ch != "C1" || ts == "" || msg.Timestamp != ts || msg.BotID != slacksim.BotID || len(msg.Blocks.BlockSet) != 2 {
		t.Fatalf("postMessage = %s %s %+v %v", ch, ts, msg, err)
	}
	call := fs.WaitCall(ctx, "chat.postMessage", nil)
	if call.Token != slacksim.TokenBot || call.Params["channel"] != "C1" || !json.Valid(call.Blocks()) {
		t.Errorf("call = %+v", call)
	}
	m := fs.Messages("C1")
	if len(m) != 1 || m[0].TS != ts || m[0].Ephemeral || m[0].Text != "hello" {
		t.Fatalf("messages = %+v", m)
	}
	// Slack fills in the block_id it generates.
	var stored []map[string]any
	_ = json.Unmarshal(m[0].Blocks, &stored)
	if stored[0]["block_id"] == nil || stored[1]["block_id"] != "acts" {
		t.Errorf("stored blocks = %s", m[0].Blocks)
	}

	for _, tc := range []struct {
		channel string
		opts    []slack.MsgOption
		want    string
	}{
		{"C2", []slack.MsgOption{slack.MsgOptionText("x", false)}, "not_in_channel"},
		{"G1", []slack.MsgOption{slack.MsgOptionText("x", false)}, "channel_not_found"},
		{"C404", []slack.MsgOption{slack.MsgOptionText("x", false)}, "channel_not_found"},
		{"C1", nil, "no_text"},
	} {
		if _, _, err := api.PostMessageContext(ctx, tc.channel, tc.opts...); err == nil || err.Error() != tc.want {
			t.Errorf("post to %s: %v, want %s", tc.channel, err, tc.want)
		}
	}
	// A user ID opens the DM.
	if ch, _, err := api.PostMessageContext(ctx, "U1", slack.MsgOptionText("hi", false)); err != nil || ch != "D1" {
		t.Errorf("post to U1: %s %v", ch, err)
	}

	// chat.update and chat.delete.
	if _, _, _, err := api.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionText("edited", false)); err != nil {
		t.Errorf("update: %v", err)
	}
	if m, _ := fs.LookupMessage(ts); m.Text != "edited" || m.Edits != 1 || len(m.Blocks) == 0 {
		t.Errorf("after update: %+v", m)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, "C1", "1.2", slack.MsgOptionText("x", false)); err == nil || err.Error() != "message_not_found" {
		t.Errorf("update unknown: %v", err)
	}
	if _, _, err := api.DeleteMessageContext(ctx, "C1", ts); err != nil {
		t.Errorf("delete: %v", err)
	}
	if len(fs.Messages("C1")) != 0 {
		t.Errorf("messages after delete: %+v", fs.Messages("C1"))
	}
}

func TestPostEphemeral(t *testing.T) {
	fs := slacksim.New(t)
	ctx := testCtx(t, 5*time.Second)
	api := newAPI(fs)
	ts, err := api.PostEphemeralContext(ctx, "C1", "U2", slack.MsgOptionText("psst", false))
	if err != nil || ts == "" {
		t.Fatalf("postEphemeral: %q %v", ts, err)
	}
	m := fs.Messages("C1")
	if len(m) != 1 || !m[0].Ephemeral || m[0].User != "U2" || m[0].TS != ts {
		t.Errorf("messages = %+v", m)
	}
	if _, err := api.PostEphemeralContext(ctx, "C1", "U9", slack.MsgOptionText("x", false)); err == nil || err.Error() != "user_not_in_channel" {
		t.Errorf("stranger: %v", err)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionText("x", false)); err == nil || err.Error() != "message_not_found" {
		t.Errorf("chat.update of an ephemeral message: %v", err)
	}
}

func TestBlockKitValidation(t *testing.T) {
	fs := slacksim.New(t)
	ctx := testCtx(t, 5*time.Second)
	api := newAPI(fs)
	private := fs.AddFile(slacksim.FileSpec{Name: "cat.png", Data: pngBytes})
	shared := fs.AddFile(slacksim.FileSpec{Name: "dog.png", Data: pngBytes, Channels: []string{"C1"}})
	button := func(text, value, actionID string) string {
		return fmt.Sprintf(`{"type":"button","text":{"type":"plain_text","text":%q},"value":%q,"action_id":%q}`, text, value, actionID)
	}
	repeat := func(s string, n int) string { return strings.TrimSuffix(strings.Repeat(s+",", n), ",") }
	section := `{"type":"section","text":{"type":"mrkdwn","text":"hi"}}`
	for _, tc := range []struct {
		name, blocks, want string
	}{
		{"ok", `[` + section + `,{"type":"actions","elements":[` + button("Send", "v", "send") + `]}]`, ""},
		{"ok shared slack_file", `[{"type":"image","slack_file":{"id":"` + shared.ID + `"},"alt_text":"dog"}]`, ""},
		{"51 blocks", `[` + repeat(`{"type":"divider"}`, 51) + `]`, "no more than 50 items allowed [json-pointer:/blocks]"},
		{"long section", `[{"type":"section","text":{"type":"mrkdwn","text":"` + strings.Repeat("a", 3001) + `"}}]`, "[json-pointer:/blocks/0/text/text]"},
		{"long context", `[{"type":"context","elements":[{"type":"mrkdwn","text":"` + strings.Repeat("a", 3001) + `"}]}]`, "[json-pointer:/blocks/0/elements/0/text]"},
		{"image without alt_text", `[{"type":"image","image_url":"https://example.com/a.png"}]`, "alt_text"},
		{"image with both", `[{"type":"image","image_url":"https://example.com/a.png","slack_file":{"id":"` + shared.ID + `"},"alt_text":"a"}]`, "exactly one"},
		{"image with neither", `[{"type":"image","alt_text":"a"}]`, "exactly one"},
		{"image_url not http", `[{"type":"image","image_url":"ftp://example.com/a.png","alt_text":"a"}]`, "[json-pointer:/blocks/0/image_url]"},
		{"image_url too long", `[{"type":"image","image_url":"https://example.com/` + strings.Repeat("a", 3000) + `","alt_text":"a"}]`, "[json-pointer:/blocks/0/image_url]"},
		{"slack_file bad id", `[{"type":"image","slack_file":{"id":"F12"},"alt_text":"a"}]`, "invalid slack file [json-pointer:/blocks/0/slack_file]"},
		{"slack_file unknown", `[{"type":"image","slack_file":{"id":"F0123456789"},"alt_text":"a"}]`, "invalid slack file"},
		{"slack_file private", `[{"type":"image","slack_file":{"id":"` + private.ID + `"},"alt_text":"a"}]`, "invalid slack file"},
		{"button text 76", `[{"type":"actions","elements":[` + button(strings.Repeat("b", 76), "v", "a") + `]}]`, "[json-pointer:/blocks/0/elements/0/text/text]"},
		{"button value 2001", `[{"type":"actions","elements":[` + button("b", strings.Repeat("v", 2001), "a") + `]}]`, "[json-pointer:/blocks/0/elements/0/value]"},
		{"action_id 256", `[{"type":"actions","elements":[` + button("b", "v", strings.Repeat("a", 256)) + `]}]`, "[json-pointer:/blocks/0/elements/0/action_id]"},
		{"duplicate action_id", `[{"type":"actions","elements":[` + button("b", "v", "same") + `,` + button("c", "v", "same") + `]}]`, "duplicate action_id"},
		{"26 elements", `[{"type":"actions","elements":[` + repeat(button("b", "v", ""), 26) + `]}]`, "no more than 25 items allowed"},
		{"block_id 256", `[{"type":"divider","block_id":"` + strings.Repeat("x", 256) + `"}]`, "[json-pointer:/blocks/0/block_id]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := api.PostMessageContext(ctx, "C1", slack.UnsafeMsgOptionEndpoint(fs.APIURL()+"chat.postMessage", func(v url.Values) {
				v.Set("blocks", tc.blocks)
			}))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			var se slack.SlackErrorResponse
			if !errors.As(err, &se) || se.Err != "invalid_blocks" {
				t.Fatalf("err = %v, want invalid_blocks", err)
			}
			var msgs []string
			for _, e := range se.Errors {
				if e.Message != nil {
					msgs = append(msgs, *e.Message)
				}
			}
			if !strings.Contains(strings.Join(msgs, "\n"), tc.want) {
				t.Errorf("errors = %q, want one containing %q", msgs, tc.want)
			}
		})
	}
	_, _, err := api.PostMessageContext(ctx, "C1", slack.UnsafeMsgOptionEndpoint(fs.APIURL()+"chat.postMessage", func(v url.Values) { v.Set("blocks", "{nope") }))
	if err == nil || err.Error() != "invalid_blocks_format" {
		t.Errorf("malformed blocks: %v", err)
	}
}

func TestProcessingFileIsNotUsable(t *testing.T) {
	fs := slacksim.New(t, slacksim.WithFileProcessing(200*time.Millisecond))
	ctx := testCtx(t, 5*time.Second)
	api := newAPI(fs)
	sum, err := api.UploadFileContext(ctx, slack.UploadFileParameters{Filename: "cat.png", FileSize: len(pngBytes), Reader: bytes.NewReader(pngBytes), Channel: "C1"})
	if err != nil {
		t.Fatal(err)
	}
	img := slack.NewImageBlockSlackFile(&slack.SlackFileObject{ID: sum.ID}, "cat", "", nil)
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionBlocks(img)); err == nil || err.Error() != "invalid_blocks" {
		t.Errorf("while processing: %v", err)
	}
	fs.WaitUntil(ctx, "processing done", func() bool { f, _ := fs.GetFile(sum.ID); return !f.Processing })
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionBlocks(img)); err != nil {
		t.Errorf("after processing: %v", err)
	}
}

func TestHasUnescapedSpecial(t *testing.T) {
	for text, want := range map[string]bool{
		"<!channel> hi":             true,
		"<!here|here>":              true,
		"hey <!everyone>":           true,
		"<http://evil|click>":       true,
		"&lt;!channel&gt;":          false,
		"<!channelx>":               false,
		"plain <@U123> and <#C1|x>": false,
	} {
		if got := slacksim.HasUnescapedSpecial(text); got != want {
			t.Errorf("HasUnescapedSpecial(%q) = %v", text, got)
		}
	}
	m := slacksim.Message{Text: "top", Blocks: json.RawMessage(`[{"type":"section","text":{"type":"mrkdwn","text":"<!here>"}},{"type":"context","elements":[{"type":"mrkdwn","text":"b"},{"type":"plain_text","text":"<!channel>"}]}]`)}
	if got := m.MrkdwnTexts(); len(got) != 3 || got[1] != "<!here>" {
		t.Errorf("MrkdwnTexts = %q", got)
	}
}

func TestWebAPIFailureInjection(t *testing.T) {
	fs := slacksim.New(t)
	ctx := testCtx(t, 5*time.Second)
	api := newAPI(fs)
	post := func() error {
		_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false))
		return err
	}
	fs.FailNext("chat.postMessage", 1, slacksim.Failure{Status: http.StatusTooManyRequests, RetryAfter: 3 * time.Second})
	var rl *slack.RateLimitedError
	if err := post(); !errors.As(err, &rl) || rl.RetryAfter != 3*time.Second {
		t.Errorf("429 with Retry-After: %v", err)
	}
	fs.FailNext("chat.postMessage", 1, slacksim.Failure{Status: http.StatusTooManyRequests})
	var sc slack.StatusCodeError
	if err := post(); !errors.As(err, &sc) || sc.Code != 429 {
		t.Errorf("429 without Retry-After: %v", err)
	}
	fs.FailNext("chat.postMessage", 2, slacksim.Failure{Status: http.StatusInternalServerError})
	for range 2 {
		if err := post(); !errors.As(err, &sc) || sc.Code != 500 {
			t.Errorf("500: %v", err)
		}
	}
	fs.FailNext("chat.postMessage", 1, slacksim.Failure{Error: "fatal_error"})
	if err := post(); err == nil || err.Error() != "fatal_error" {
		t.Errorf("error: %v", err)
	}
	fs.FailNext("chat.postMessage", 1, slacksim.Failure{Delay: 50 * time.Millisecond})
	start := time.Now()
	if err := post(); err != nil || time.Since(start) < 50*time.Millisecond {
		t.Errorf("delay: %v after %v", err, time.Since(start))
	}
	if err := post(); err != nil {
		t.Errorf("after failures: %v", err)
	}
	// slack-go's OptionRetry waits out Retry-After (min 1s) and succeeds.
	fs.FailNext("chat.postMessage", 1, slacksim.Failure{Status: http.StatusTooManyRequests, RetryAfter: time.Millisecond})
	retrying := newAPI(fs, slack.OptionRetry(1))
	if _, _, err := retrying.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false)); err != nil {
		t.Errorf("with OptionRetry: %v", err)
	}
	calls := fs.Calls("chat.postMessage")
	if calls[0].Status != 429 || calls[0].Error != "ratelimited" {
		t.Errorf("recorded call = %+v", calls[0])
	}
}

func TestResponseURL(t *testing.T) {
	fs := slacksim.New(t)
	c := dialRaw(t, fs)
	ctx := testCtx(t, 5*time.Second)
	api := newAPI(fs)

	cmd := fs.SlashCommand(ctx, slacksim.Command{User: "U1", Channel: "C2", Command: "/sticker", Text: "cat"})
	c.next()
	c.ack(cmd.EnvelopeID)
	preview := []slack.Block{
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "cat", false, false), nil, nil),
		slack.NewActionBlock("", slack.NewButtonBlockElement("send", "sticker-1", slack.NewTextBlockObject(slack.PlainTextType, "Send", false, false)),
			slack.NewButtonBlockElement("cancel", "", slack.NewTextBlockObject(slack.PlainTextType, "Cancel", false, false))),
	}
	// The bot is not in C2, but response_url still works there.
	if _, _, err := api.PostMessageContext(ctx, "", slack.MsgOptionResponseURL(cmd.ResponseURL, slack.ResponseTypeEphemeral), slack.MsgOptionBlocks(preview...)); err != nil {
		t.Fatalf("ephemeral via response_url: %v", err)
	}
	post := fs.WaitResponse(ctx, cmd.ResponseURL)
	if post.Status != 200 || post.ReplaceOriginal || post.DeleteOriginal || post.EnvelopeID != cmd.EnvelopeID || !post.Message.Ephemeral || post.Message.User != "U1" || post.Message.Channel != "C2" {
		t.Fatalf("post = %+v", post)
	}

	// Clicking "send" in the preview gives a response_url whose original is the preview.
	click := fs.BlockAction(ctx, slacksim.Click{User: "U1", Message: post.Message, ActionID: "send"})
	if click.Err != nil {
		t.Fatal(click.Err)
	}
	f := c.next()
	var cb slack.InteractionCallback
	if err := json.Unmarshal(f.Payload, &cb); err != nil {
		t.Fatal(err)
	}
	if cb.Type != slack.InteractionTypeBlockActions || cb.User.ID != "U1" || cb.Channel.ID != "C2" || cb.ResponseURL != click.ResponseURL || cb.TriggerID != click.TriggerID ||
		!cb.Container.IsEphemeral || cb.Container.MessageTs != post.Message.TS || len(cb.ActionCallback.BlockActions) != 1 || cb.ActionCallback.BlockActions[0].Value != "sticker-1" || cb.Message.Timestamp != "" {
		t.Errorf("callback = %+v", cb)
	}
	c.ack(click.EnvelopeID)
	click2 := fs.BlockAction(ctx, slacksim.Click{User: "U1", Message: post.Message, ActionID: "cancel"})
	if click2.Err != nil {
		t.Fatal(click2.Err)
	}
	c.next()
	c.ack(click2.EnvelopeID)
	if _, _, err := api.PostMessageContext(ctx, "", slack.MsgOptionReplaceOriginal(click.ResponseURL), slack.MsgOptionText("sent!", false)); err != nil {
		t.Fatalf("replace_original: %v", err)
	}
	replaced := fs.WaitResponse(ctx, click.ResponseURL)
	if !replaced.ReplaceOriginal || replaced.Message.TS != post.Message.TS || replaced.Message.Text != "sent!" || replaced.Message.Edits != 1 {
		t.Errorf("replace = %+v", replaced)
	}
	if _, _, err := api.PostMessageContext(ctx, "", slack.MsgOptionResponseURL(click.ResponseURL, slack.ResponseTypeInChannel), slack.MsgOptionText("a sticker", false)); err != nil {
		t.Fatalf("in_channel: %v", err)
	}
	m := fs.WaitMessage(ctx, "C2", func(m slacksim.Message) bool { return !m.Ephemeral })
	if m.Text != "a sticker" || m.Source != slacksim.MethodResponseURL {
		t.Errorf("in_channel message = %+v", m)
	}
	// The bot cannot take it back: it is not in C2.
	if _, _, err := api.DeleteMessageContext(ctx, "C2", m.TS); err == nil || err.Error() != "not_in_channel" {
		t.Errorf("chat.delete of a response_url post where the bot is not a member: %v, want not_in_channel", err)
	}

	// Cancel (clicked before the replace) deletes the preview; this client
	// sends the boolean as a string.
	resp, err := http.Post(click2.ResponseURL, "application/json", strings.NewReader(`{"delete_original":"true"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	del := fs.WaitResponse(ctx, click2.ResponseURL)
	if !del.DeleteOriginal || del.Deleted == nil || del.Deleted.TS != post.Message.TS || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("delete = %+v", del)
	}
	if _, ok := fs.LookupMessage(post.Message.TS); !ok {
		t.Error("deleted message forgotten")
	}
	for _, m := range fs.Messages("C2") {
		if m.TS == post.Message.TS {
			t.Errorf("deleted message still visible")
		}
	}
	// Another user cannot click someone else's ephemeral message.
	if d := fs.BlockAction(ctx, slacksim.Click{User: "U2", Message: post.Message, ActionID: "send"}); d.Err == nil {
		t.Error("click on a deleted message accepted")
	}

	// Five uses, then used_url.
	for i := range 4 {
		if err := slack.PostWebhookContext(ctx, cmd.ResponseURL, &slack.WebhookMessage{Text: fmt.Sprint(i)}); err != nil {
			t.Fatalf("use %d: %v", i+2, err)
		}
	}
	err = slack.PostWebhookContext(ctx, cmd.ResponseURL, &slack.WebhookMessage{Text: "6"})
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != 404 {
		t.Errorf("6th use: %v", err)
	}
	if p := fs.WaitResponseN(ctx, cmd.ResponseURL, 6); p.Answer != "used_url" {
		t.Errorf("6th post = %+v", p)
	}

	// Failure injection on response_url.
	fs.FailNext(slacksim.MethodResponseURL, 1, slacksim.Failure{Status: 500})
	if err := slack.PostWebhookContext(ctx, click.ResponseURL, &slack.WebhookMessage{Text: "x"}); !errors.As(err, &sc) || sc.Code != 500 {
		t.Errorf("injected 500: %v", err)
	}
	if err := slack.PostWebhookContext(ctx, click.ResponseURL, &slack.WebhookMessage{Text: "x", Blocks: &slack.Blocks{BlockSet: []slack.Block{slack.NewImageBlock("ftp://x", "", "", nil)}}}); !errors.As(err, &sc) || sc.Code != 400 {
		t.Errorf("invalid blocks: %v", err)
	}
	if v := fs.Violations(); len(v) != 0 {
		t.Errorf("violations: %v", v)
	}
}

func TestSlashCommandAckInChannel(t *testing.T) {
	fs := slacksim.New(t)
	c := dialRaw(t, fs)
	ctx := testCtx(t, 5*time.Second)
	d := fs.SlashCommand(ctx, slacksim.Command{User: "U1", Channel: "C1", Command: "/sticker", Text: "cat"})
	c.next()
	c.send(map[string]any{"envelope_id": d.EnvelopeID, "payload": map[string]any{"response_type": "in_channel", "text": "here"}})
	m := fs.WaitMessage(ctx, "C1", func(m slacksim.Message) bool { return m.Source == "ack" })
	if m.Ephemeral || m.Text != "here" {
		t.Errorf("ack message = %+v", m)
	}
	if all := fs.Messages("C1"); len(all) != 2 || all[0].Text != "/sticker cat" {
		t.Errorf("messages = %+v", all)
	}
	// Invalid blocks in an ack are a violation.
	d2 := fs.SlashCommand(ctx, slacksim.Command{User: "U1", Channel: "C1", Command: "/sticker"})
	c.next()
	c.send(map[string]any{"envelope_id": d2.EnvelopeID, "payload": map[string]any{"blocks": []any{map[string]any{"type": "image", "image_url": "https://x/y.png"}}}})
	fs.WaitUntil(ctx, "violation", func() bool { return len(fs.Violations()) == 1 })
	if v := fs.Violations()[0]; v.Kind != slacksim.ViolationBadAckPayload || v.EnvelopeID != d2.EnvelopeID {
		t.Errorf("violation = %v", v)
	}
}

// pngBytes is a 1x1 PNG.
var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")

func TestBlockActionOnChannelMessage(t *testing.T) {
	fs := slacksim.New(t)
	c := dialRaw(t, fs)
	ctx := testCtx(t, 5*time.Second)
	api := newAPI(fs)
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, slack.NewTextBlockObject(slack.PlainTextType, "Pick", false, false), "pick",
		slack.NewOptionBlockObject("a", slack.NewTextBlockObject(slack.PlainTextType, "A", false, false), nil),
		slack.NewOptionBlockObject("b", slack.NewTextBlockObject(slack.PlainTextType, "B", false, false), nil))
	_, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("vote", false), slack.MsgOptionBlocks(
		slack.NewActionBlock("", sel, slack.NewButtonBlockElement("go", "42", slack.NewTextBlockObject(slack.PlainTextType, "Go", false, false)))))
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := fs.LookupMessage(ts)
	for _, click := range []slacksim.Click{
		{User: "U2", Message: msg, ActionID: "go"},
		{User: "U2", Message: msg, ActionID: "pick", Value: "b"},
	} {
		d := fs.BlockAction(ctx, click)
		if d.Err != nil {
			t.Fatal(d.Err)
		}
		f := c.next()
		var cb slack.InteractionCallback
		if err := json.Unmarshal(f.Payload, &cb); err != nil {
			t.Fatal(err)
		}
		act := cb.ActionCallback.BlockActions[0]
		if cb.Message.Timestamp != ts || cb.Message.Text != "vote" || len(cb.Message.Blocks.BlockSet) != 1 || cb.Container.IsEphemeral ||
			act.ActionID != click.ActionID || act.BlockID == "" || !strings.HasPrefix(cb.ResponseURL, fs.URL()+"/hooks/actions/") {
			t.Errorf("callback = %+v", cb)
		}
		if click.ActionID == "go" && act.Value != "42" {
			t.Errorf("button value = %q", act.Value)
		}
		if click.ActionID == "pick" && act.SelectedOption.Value != "b" {
			t.Errorf("selected = %+v", act.SelectedOption)
		}
	}
	if d := fs.BlockAction(ctx, slacksim.Click{User: "U2", Message: msg, ActionID: "nope"}); d.Err == nil {
		t.Error("click on a missing element accepted")
	}
}
