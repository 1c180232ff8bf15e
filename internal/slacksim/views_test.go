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
