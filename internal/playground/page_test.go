package playground

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/stickerbot/stickerbot/internal/browsertest"
	"github.com/stickerbot/stickerbot/internal/playground/sample"
)

// The tests here run the page in headless Chromium against a fake
// workspace: what it shows for a given State, and what it asks for.

func samplePNG(t *testing.T) []byte {
	t.Helper()
	drafts, err := sample.Drafts()
	if err != nil {
		t.Fatal(err)
	}
	return drafts[0].Image.Data
}

func open(t *testing.T, ws *fakeWorkspace, hash string) *browsertest.Browser {
	t.Helper()
	url := serve(t, ws)
	b := browsertest.Start(t)
	b.Do("open the page", chromedp.Navigate(url+"/"+hash))
	b.WaitJS("the first state", `document.querySelector("#user-switcher .me-name")`)
	return b
}

func text(v string) map[string]any { return map[string]any{"type": "mrkdwn", "text": v} }
func plainText(v string) map[string]any {
	return map[string]any{"type": "plain_text", "text": v}
}

// Block Kit as the bot sends it, and what people may put in it, is shown
// as Slack shows it: formatting applied, escaped text as text, nothing of
// it run as HTML.
func TestPageRendersBlockKit(t *testing.T) {
	t.Parallel()
	ws := newFakeWorkspace()
	ws.addFile("F0CAT", "cat.png", samplePNG(t))
	ws.addMessage(Message{Channel: "C1", User: "U2", Text: "hello &lt;!channel&gt; &amp; <@UBOT> look at <https://example.com/a?b=1&amp;c=2|this link>"}, "")
	ws.addMessage(Message{Channel: "C1", User: "UBOT", Bot: true, Text: "Sticker preview: cat", Blocks: blocksJSON(t, []any{
		map[string]any{"type": "header", "text": plainText("A header")},
		map[string]any{"type": "image", "block_id": "img", "alt_text": "cat", "title": plainText("cat"),
			"slack_file": map[string]any{"id": "F0CAT"}},
		map[string]any{"type": "context", "elements": []any{
			text("*cat* · `kitty` `고양이` _italic_ ~gone~"), text("Result 1 for “&lt;script&gt;alert(1)&lt;/script&gt;”"),
		}},
		map[string]any{"type": "divider"},
		map[string]any{"type": "section", "text": text("a *bold <http://x.test|link>* and ```pre *not bold*```")},
		map[string]any{"type": "actions", "block_id": "sticker_preview", "elements": []any{
			map[string]any{"type": "button", "action_id": "sticker_send", "value": "v", "style": "primary", "text": plainText("Send")},
			map[string]any{"type": "button", "action_id": "sticker_next", "value": "v", "text": plainText("Next")},
			map[string]any{"type": "button", "action_id": "sticker_cancel", "value": "v", "style": "danger", "text": plainText("Cancel")},
		}},
		map[string]any{"type": "card"},
	})}, "U1")
	ws.addMessage(Message{Channel: "C1", User: "UBOT", Bot: true, Refused: &Refusal{
		Method: "chat.postMessage", Error: "invalid_blocks", Detail: []string{"must be less than 3001 characters [json-pointer:/blocks/0/text/text]"},
	}}, "U1")
	b := open(t, ws, "#/U1/C1")
	b.WaitJS("the image loads", `(() => { const i = document.querySelector(".bk-image-img"); return i && i.complete && i.naturalWidth > 0 })()`)
	b.Screenshot("block-kit")

	first := b.Text(`.msg:nth-child(1) .msg-content`)
	if want := "hello <!channel> & @stickerbot look at this link"; !strings.Contains(first, want) {
		t.Errorf("user message shows %q, want it to contain %q", first, want)
	}
	checks := map[string]string{
		// Escaped text is shown as text, never run.
		`document.querySelectorAll("script").length`:                                            "2",
		`document.querySelector(".msg .link").getAttribute("href")`:                             "https://example.com/a?b=1&c=2",
		`document.querySelector(".mention").textContent`:                                        "@stickerbot",
		`document.querySelector(".bk-header").textContent`:                                      "A header",
		`document.querySelector(".bk-context .mk-b").textContent`:                               "cat",
		`document.querySelectorAll(".bk-context .mk-code").length`:                              "2",
		`document.querySelector(".bk-context .mk-i").textContent`:                               "italic",
		`document.querySelector(".bk-context .mk-s").textContent`:                               "gone",
		`document.querySelectorAll(".bk-context-text")[1].textContent`:                          "Result 1 for “<script>alert(1)</script>”",
		`document.querySelector(".bk-section .mk-b .link").textContent`:                         "link",
		`document.querySelector(".bk-section .mk-pre").textContent`:                             "pre *not bold*",
		`document.querySelector("[data-action-id=sticker_send]").className`:                     "bk-button primary",
		`document.querySelector("[data-action-id=sticker_cancel]").className`:                   "bk-button danger",
		`document.querySelector("[data-action-id=sticker_next]").className`:                     "bk-button",
		`document.querySelector(".bk-image-title").textContent`:                                 "cat",
		`document.querySelectorAll(".msg.ephemeral .ephemeral-note").length`:                    "2",
		`document.querySelector(".msg.ephemeral .ephemeral-note").textContent.trim()`:           "Only visible to you",
		`document.querySelector(".refusal-error").textContent`:                                  "invalid_blocks",
		`document.querySelector(".refusal-detail li").textContent`:                              "must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
		`document.querySelector("[data-block-type=card]").classList.contains("bk-unsupported")`: "true",
	}
	for expr, want := range checks {
		if got := browsertest.Eval[any](b, "String("+expr+")"); got != want {
			t.Errorf("%s = %q, want %q", expr, got, want)
		}
	}

	// Another user does not see the first user's ephemeral messages.
	b.Do("switch to ben", chromedp.Click(chromedp.CSS("#user-switcher")), chromedp.Click(chromedp.CSS(`.user-menu [data-user=U2]`)))
	b.WaitJS("ben's view", `document.querySelector("#user-switcher").dataset.user === "U2"`)
	b.WaitJS("no ephemeral", `document.querySelectorAll(".msg").length === 1`)
	b.Screenshot("as-ben")
}

// The composer offers the app's commands with their usage hint, and sends
// what was typed; messages and replacements appear live.
func TestPageComposerAndButtons(t *testing.T) {
	t.Parallel()
	ws := newFakeWorkspace()
	b := open(t, ws, "#/U1/C1")
	b.Do("type /st", chromedp.SendKeys(chromedp.CSS("#composer-input"), "/st"))
	b.WaitJS("the command popup", `!document.querySelector("#command-popup").hidden`)
	if got := b.Text("#command-popup .popup-item"); !strings.Contains(got, "/sticker search <words> | help") || !strings.Contains(got, "Search stickers") {
		t.Errorf("popup shows %q", got)
	}
	b.Screenshot("command-popup")
	b.Do("complete with Tab", chromedp.SendKeys(chromedp.CSS("#composer-input"), "\t"))
	b.WaitJS("the usage hint", `!document.querySelector("#usage-hint").hidden`)
	b.Do("type cat and Enter", chromedp.SendKeys(chromedp.CSS("#composer-input"), "cat"), browsertest.Enter())
	got := waitRequest[MessageRequest](t, ws, 1)
	if got != (MessageRequest{User: "U1", Channel: "C1", Text: "/sticker cat"}) {
		t.Errorf("message request %+v", got)
	}
	if v := browsertest.Eval[string](b, `document.querySelector("#composer-input").value`); v != "" {
		t.Errorf("composer still holds %q", v)
	}

	// The app's answer arrives on the event stream, without a reload.
	m := ws.addMessage(Message{Channel: "C1", User: "UBOT", Bot: true, Text: "preview", Blocks: blocksJSON(t, []any{
		map[string]any{"type": "section", "text": text("first result")},
		map[string]any{"type": "actions", "block_id": "sticker_preview", "elements": []any{
			map[string]any{"type": "button", "action_id": "sticker_next", "value": "v", "text": plainText("Next")},
		}},
	})}, "U1")
	b.WaitJS("the preview", `document.querySelector("[data-action-id=sticker_next]")`)
	b.Do("click Next", chromedp.Click(chromedp.CSS("[data-action-id=sticker_next]")))
	act := waitRequest[ActionRequest](t, ws, 1)
	if act.User != "U1" || act.Channel != "C1" || act.TS != m.TS || act.BlockID != "sticker_preview" || act.ActionID != "sticker_next" {
		t.Errorf("action request %+v", act)
	}
	// replace_original replaces it in place; delete_original removes it.
	ws.replaceMessage(m.TS, func(m *Message) {
		m.Blocks = blocksJSON(t, []any{map[string]any{"type": "section", "text": text("second result")}})
	})
	b.WaitJS("replaced", `document.querySelector(".msg .bk-section-text").textContent === "second result" && document.querySelectorAll(".msg").length === 1`)
	ws.mu.Lock()
	ws.messages = nil
	ws.bumpLocked()
	ws.mu.Unlock()
	b.WaitJS("removed", `document.querySelectorAll(".msg").length === 0`)
}

// Modals: the Slack client's own checks, file uploads, submission, field
// errors under the field, typed input kept across an update, close.
func TestPageModal(t *testing.T) {
	t.Parallel()
	ws := newFakeWorkspace()
	b := open(t, ws, "#/U1/C1")
	ws.openModal("U1", View{ID: "V1", Type: ViewModal, Hash: "h1", View: blocksJSON(t, map[string]any{
		"type": "modal", "callback_id": "sticker_add", "title": plainText("Add a sticker"),
		"submit": plainText("Save"), "close": plainText("Cancel"),
		"blocks": []any{
			map[string]any{"type": "input", "block_id": "name", "label": plainText("Name"),
				"hint":    plainText("Unique; people search for it."),
				"element": map[string]any{"type": "plain_text_input", "action_id": "name", "max_length": 80, "placeholder": plainText("e.g. thumbs up")}},
			map[string]any{"type": "input", "block_id": "file", "optional": true, "label": plainText("Image file"),
				"element": map[string]any{"type": "file_input", "action_id": "file", "filetypes": []string{"png", "jpg"}, "max_files": 1}},
			map[string]any{"type": "input", "block_id": "kind", "optional": true, "label": plainText("Kind"),
				"element": map[string]any{"type": "static_select", "action_id": "kind", "options": []any{
					map[string]any{"text": plainText("Funny"), "value": "funny"},
					map[string]any{"text": plainText("Serious"), "value": "serious"},
				}}},
		},
	})})
	b.WaitJS("the modal", `document.querySelector(".modal[data-view-id=V1]")`)
	if got := b.Text(".modal-title"); got != "Add a sticker" {
		t.Errorf("modal title %q", got)
	}
	// Empty required field: the client says so and sends nothing.
	b.Do("submit empty", chromedp.Click(chromedp.CSS(".modal-submit")))
	b.WaitJS("required", `document.querySelector(".bk-field-error[data-block-id=name]").textContent === "Please complete this required field."`)
	if n := len(requestsOf[SubmitRequest](ws)); n != 0 {
		t.Fatalf("%d submissions of an incomplete form", n)
	}
	dir := t.TempDir()
	png := filepath.Join(dir, "party.png")
	if err := os.WriteFile(png, samplePNG(t), 0o644); err != nil {
		t.Fatal(err)
	}
	b.Do("fill in", chromedp.SendKeys(chromedp.CSS(`.bk-input-control[data-action-id=name]`), "bad/name"),
		chromedp.SetUploadFiles(chromedp.CSS(`input[type=file]`), []string{png}))
	b.WaitJS("uploaded", `document.querySelector(".bk-file-chip[data-file-id]") && document.querySelector(".bk-file-chip").dataset.fileId !== ""`)
	b.Do("choose a kind", chromedp.SetValue(chromedp.CSS(`select[data-action-id=kind]`), "funny"))
	up := waitRequest[File](t, ws, 1)
	ws.submit = func(r SubmitRequest) SubmitResult {
		return SubmitResult{Outcome: OutcomeErrors, Errors: map[string]string{"name": "Use letters, digits and spaces."}}
	}
	b.Screenshot("modal-filled")
	b.Do("submit", chromedp.Click(chromedp.CSS(".modal-submit")))
	sub := waitRequest[SubmitRequest](t, ws, 1)
	if v := sub.State["name"]["name"].Value; v == nil || *v != "bad/name" {
		t.Errorf("submitted name %v", v)
	}
	if f := sub.State["file"]["file"].Files; len(f) != 1 || f[0] != up.ID {
		t.Errorf("submitted files %v, uploaded %s", f, up.ID)
	}
	if s := sub.State["kind"]["kind"].Selected; len(s) != 1 || s[0] != "funny" {
		t.Errorf("submitted kind %v", s)
	}
	b.WaitJS("the field error", `document.querySelector(".bk-field-error[data-block-id=name]").textContent === "Use letters, digits and spaces."`)
	b.Screenshot("modal-field-error")

	// An update with the same block and action IDs keeps what was typed.
	ws.updateTopModal("U1", func(v *View) {
		v.Hash = "h2"
		v.Errors = nil
		var spec map[string]any
		_ = jsonUnmarshal(v.View, &spec)
		spec["title"] = plainText("Add a sticker (2)")
		v.View = blocksJSON(t, spec)
	})
	b.WaitJS("updated", `document.querySelector(".modal-title").textContent === "Add a sticker (2)"`)
	if v := browsertest.Eval[string](b, `document.querySelector(".bk-input-control[data-action-id=name]").value`); v != "bad/name" {
		t.Errorf("after the update the name holds %q", v)
	}
	b.Do("close", chromedp.Click(chromedp.CSS(".modal-x")))
	if c := waitRequest[CloseRequest](t, ws, 1); c != (CloseRequest{User: "U1", ViewID: "V1", All: true}) {
		t.Errorf("close request %+v", c)
	}
	b.WaitJS("closed", `document.querySelector("#modal-layer").hidden`)
}

// Shortcuts come from the app's manifest: message shortcuts in a message's
// "More actions" menu, global ones in the composer's menu.
func TestPageShortcutsAndHome(t *testing.T) {
	t.Parallel()
	ws := newFakeWorkspace()
	m := ws.addMessage(Message{Channel: "C1", User: "U2", Text: "lunch?"}, "")
	b := open(t, ws, "#/U1/C1")
	b.Do("open More actions", chromedp.Click(chromedp.CSS(".msg .more-actions")))
	b.WaitJS("the menu", `document.querySelector(".message-menu [data-callback-id=reply_sticker]")`)
	b.Screenshot("more-actions")
	b.Do("Reply with a sticker", chromedp.Click(chromedp.CSS(".message-menu [data-callback-id=reply_sticker]")))
	if r := waitRequest[ShortcutRequest](t, ws, 1); r != (ShortcutRequest{User: "U1", CallbackID: "reply_sticker", Channel: "C1", TS: m.TS}) {
		t.Errorf("message shortcut %+v", r)
	}
	b.Do("global shortcuts", chromedp.Click(chromedp.CSS("#shortcuts-button")))
	b.WaitJS("the menu", `document.querySelector(".shortcuts-menu [data-callback-id=find_sticker]")`)
	b.Do("Find a sticker", chromedp.Click(chromedp.CSS(".shortcuts-menu [data-callback-id=find_sticker]")))
	if r := waitRequest[ShortcutRequest](t, ws, 2); r != (ShortcutRequest{User: "U1", CallbackID: "find_sticker"}) {
		t.Errorf("global shortcut %+v", r)
	}

	// The app's page: opening the Home tab tells the app, which publishes.
	b.Do("open the app", chromedp.Click(chromedp.CSS(".nav-app")))
	b.Screenshot("app-opened")
	if r := waitRequest[AppHomeRequest](t, ws, 1); r != (AppHomeRequest{User: "U1", Tab: TabHome}) {
		t.Errorf("app home request %+v", r)
	}
	ws.publishHome("U1", View{ID: "VH", Type: ViewHome, Hash: "1", View: blocksJSON(t, map[string]any{
		"type": "home", "blocks": []any{
			map[string]any{"type": "header", "text": plainText("Your stickers")},
			map[string]any{"type": "actions", "block_id": "home_actions", "elements": []any{
				map[string]any{"type": "button", "action_id": "home_add", "text": plainText("Add a sticker"), "style": "primary"},
			}},
		},
	})})
	b.WaitJS("the Home view", `document.querySelector(".home-view .bk-header")`)
	b.Screenshot("home")
	b.Do("click in Home", chromedp.Click(chromedp.CSS("[data-action-id=home_add]")))
	if r := waitRequest[ActionRequest](t, ws, 1); r.ViewID != "VH" || r.ActionID != "home_add" || r.BlockID != "home_actions" {
		t.Errorf("home action %+v", r)
	}
	b.Do("Messages tab", chromedp.Click(chromedp.CSS("[data-tab=messages]")))
	if r := waitRequest[AppHomeRequest](t, ws, 2); r.Tab != TabMessages {
		t.Errorf("app home request %+v", r)
	}
	b.WaitJS("the DM composer", `document.querySelector("#composer-input").placeholder === "Message stickerbot"`)
}

// mrkdwn as Slack reads it, and nothing in it ever becomes markup of its
// own: the expected HTML is what the renderer builds.
func TestPageMrkdwn(t *testing.T) {
	t.Parallel()
	b := open(t, newFakeWorkspace(), "#/U1/C1")
	cases := []struct{ in, html string }{
		{"*bold* _it_ ~gone~", `<b class="mk-b">bold</b> <i class="mk-i">it</i> <s class="mk-s">gone</s>`},
		{"a*b*c snake_case_name 2*3*4", `a*b*c snake_case_name 2*3*4`},
		{"*bold _both_*", `<b class="mk-b">bold <i class="mk-i">both</i></b>`},
		{"`code *not bold* &lt;b&gt;`", `<code class="mk-code">code *not bold* &lt;b&gt;</code>`},
		{"&lt;b&gt;hi&lt;/b&gt; &amp;amp;", `&lt;b&gt;hi&lt;/b&gt; &amp;amp;`},
		{"<script>alert(1)</script>", `scriptalert(1)/script`}, // unknown control sequences show their text
		{"<javascript:alert(1)|click me>", `click me`},
		{"<https://example.com/?a=1&amp;b=2|a &lt;link&gt;>", `<a class="link" href="https://example.com/?a=1&amp;b=2" target="_blank" rel="noopener noreferrer">a &lt;link&gt;</a>`},
		{"<!here> <!channel|channel> <@U2> <@U9|someone>", `<span class="mention broadcast">@here</span> <span class="mention broadcast">@channel</span> <span class="mention" data-user="U2">@ben</span> <span class="mention" data-user="U9">@someone</span>`},
		{"&gt; quoted\nplain", `<blockquote class="mk-quote">quoted</blockquote>plain`},
		{"one\ntwo", `one<br>two`},
		{"```\nline *1*\n```after", `<pre class="mk-pre">line *1*` + "\n" + `</pre>after`},
		{"* not bold *", `* not bold *`},
		{":tada: :nope:", `🎉 :nope:`},
	}
	for _, c := range cases {
		in, _ := json.Marshal(c.in)
		got := browsertest.Eval[string](b, `(() => { const d = document.createElement("div");
			d.append(BlockKit.mrkdwn(`+string(in)+`, {users: {U2: {name: "ben"}}, channels: {}, app: {bot_user_id: "UBOT", name: "stickerbot"}}));
			return d.innerHTML })()`)
		if got != c.html {
			t.Errorf("mrkdwn %q\n got %s\nwant %s", c.in, got, c.html)
		}
	}
}

// A pushed view shows a back arrow that goes back to the view under it;
// selects in an actions block send their choice.
func TestPageViewStackAndSelects(t *testing.T) {
	t.Parallel()
	ws := newFakeWorkspace()
	b := open(t, ws, "#/U1/C1")
	modal := func(id, title string) View {
		return View{ID: id, Type: ViewModal, Hash: id, View: blocksJSON(t, map[string]any{
			"type": "modal", "title": plainText(title), "close": plainText("Back"),
			"blocks": []any{map[string]any{"type": "actions", "block_id": "pick", "elements": []any{
				map[string]any{"type": "static_select", "action_id": "kind", "placeholder": plainText("Kind"), "options": []any{
					map[string]any{"text": plainText("Funny"), "value": "funny"}, map[string]any{"text": plainText("Sad"), "value": "sad"},
				}},
				map[string]any{"type": "conversations_select", "action_id": "where", "placeholder": plainText("Where")},
			}}},
		})}
	}
	ws.openModal("U1", modal("V1", "First"))
	ws.openModal("U1", modal("V2", "Second"))
	b.WaitJS("the pushed view", `document.querySelector(".modal[data-view-id=V2] .modal-back")`)
	b.Do("choose", chromedp.SetValue(chromedp.CSS(`select[data-action-id=kind]`), "sad"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("select[data-action-id=kind]").dispatchEvent(new Event("change"))`))
	act := waitRequest[ActionRequest](t, ws, 1)
	if act.ViewID != "V2" || act.ActionID != "kind" || act.Input == nil || len(act.Input.Selected) != 1 || act.Input.Selected[0] != "sad" {
		t.Errorf("select action %+v", act)
	}
	if got := browsertest.Eval[string](b, `[...document.querySelectorAll("select[data-action-id=where] option")].map(o => o.textContent).join(",")`); got != "Where,#general,#random,stickerbot" {
		t.Errorf("conversations offered: %s", got)
	}
	b.Do("back", chromedp.Click(chromedp.CSS(".modal-back")))
	if c := waitRequest[CloseRequest](t, ws, 1); c != (CloseRequest{User: "U1", ViewID: "V2"}) {
		t.Errorf("back: %+v", c)
	}
	b.WaitJS("the first view again", `document.querySelector(".modal[data-view-id=V1]") && !document.querySelector(".modal-back")`)
}
