package main

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/stickerbot/stickerbot/internal/browsertest"
	"github.com/stickerbot/stickerbot/internal/playground/sample"
	"github.com/stickerbot/stickerbot/internal/testdb"
)

// startPlayground runs `stickerbot playground` (run, as main does) on a
// fresh database until the test ends, and returns the page's URL.
func startPlayground(t *testing.T) string {
	t.Helper()
	db := testdb.New(t)
	addr := freeLoopbackAddr(t)
	stdout, logs := &syncBuffer{}, &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"stickerbot", "playground"}, envOf(map[string]string{
			"PLAYGROUND_ADDR": addr, "DATABASE_URL": db.URL, "LOG_LEVEL": "debug",
		}), nil, stdout, logs)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("playground returned %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("the playground did not stop within 30s")
		}
		if t.Failed() {
			t.Logf("playground logs:\n%s", logs.String())
		}
	})
	url := regexp.MustCompile(`open (http://\S+)`)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := url.FindStringSubmatch(stdout.String()); m != nil {
			if m[1] != "http://"+addr {
				t.Errorf("the playground printed %s, listens on %s", m[1], addr)
			}
			return m[1]
		}
		select {
		case err := <-done:
			t.Fatalf("the playground stopped: %v\n%s", err, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the playground printed no URL within 30s:\n%s", logs.String())
		}
	}
}

// updateDocs makes TestPlaygroundInBrowser write the README's screenshots
// (docs/playground-*.png). They look best with a CJK font installed
// (Debian: fonts-noto-cjk).
var updateDocs = flag.Bool("docs", false, "write the playground screenshots under docs/")

// docShot saves a screenshot as docs/name when -docs is given.
func docShot(t *testing.T, b *browsertest.Browser, name string) {
	t.Helper()
	path := b.Screenshot(name)
	if !*updateDocs {
		return
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("..", "..", "docs", name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// imageLoaded is a JS expression: the last message's image has loaded.
const lastImageLoaded = `(() => { const imgs = document.querySelectorAll(".msg .bk-image-img");
	const i = imgs[imgs.length - 1]; return i && i.complete && i.naturalWidth > 0 })()`

// The walk through the playground, in a real browser: the real bot
// answers through the simulated Slack.
func TestPlaygroundInBrowser(t *testing.T) {
	t.Parallel()
	url := startPlayground(t)
	// The walk below needs the whole sample searchable ("happy" has
	// several matches): on a busy machine the images' copies can still be
	// on their way when the URL is printed.
	drafts, err := sample.Drafts()
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for libraryFiles(wctx, t, url) < len(drafts) {
		time.Sleep(20 * time.Millisecond)
	}
	b := browsertest.Start(t)
	b.Do("open the page", chromedp.Navigate(url))
	b.WaitJS("the workspace", `document.querySelector("#user-switcher .me-name") && document.querySelector(".nav-item.active")`)
	if got := b.Text("#user-switcher .me-name"); got != "Ana Lima" {
		t.Errorf("the page opens as %q, want the admin, Ana Lima", got)
	}

	// /sticker cat: the preview, with its image, only for Ana.
	send := func(text string) {
		t.Helper()
		b.Do("type "+text, chromedp.Click(chromedp.CSS("#composer-input")), chromedp.SendKeys(chromedp.CSS("#composer-input"), text), browsertest.Enter())
	}
	send("/sticker cat")
	b.WaitJS("the cat", `[...document.querySelectorAll(".msg.ephemeral .bk-image-img")].some(i => i.alt === "cat" && i.complete && i.naturalWidth > 0)`)
	docShot(t, b, "playground-preview.png")
	b.Do("Cancel", chromedp.Click(chromedp.CSS(".msg.ephemeral [data-action-id=sticker_cancel]")))
	b.WaitJS("no preview", `!document.querySelector(".msg.ephemeral [data-action-id=sticker_send]")`)

	// /sticker happy has two matches: Next shows the second in place.
	send("/sticker happy")
	b.WaitJS("the preview", `document.querySelector(".msg.ephemeral [data-action-id=sticker_send]")`)
	b.WaitJS("the preview's image loads", lastImageLoaded)
	first := browsertest.Eval[string](b, `document.querySelector(".msg.ephemeral .bk-image-img").alt`)

	// Next replaces the preview in place.
	b.Do("Next", chromedp.Click(chromedp.CSS(".msg.ephemeral [data-action-id=sticker_next]")))
	b.WaitJS("the next result", `document.querySelector(".msg.ephemeral .bk-image-img") && document.querySelector(".msg.ephemeral .bk-image-img").alt !== `+strconv.Quote(first))
	b.WaitJS("its image loads", lastImageLoaded)
	if n := browsertest.Eval[int](b, `document.querySelectorAll(".msg.ephemeral [data-action-id=sticker_send]").length`); n != 1 {
		t.Errorf("%d previews after Next, want the one, replaced", n)
	}
	second := browsertest.Eval[string](b, `document.querySelector(".msg.ephemeral .bk-image-img").alt`)
	b.Screenshot("next")

	// Send: the preview goes, the sticker is in the channel for everyone.
	b.Do("Send", chromedp.Click(chromedp.CSS(".msg.ephemeral [data-action-id=sticker_send]")))
	b.WaitJS("sent", `!document.querySelector(".msg.ephemeral [data-action-id=sticker_send]") &&
		[...document.querySelectorAll(".msg:not(.ephemeral)")].some(m => m.textContent.includes("Sent by Ana Lima with /sticker"))`)
	b.Do("switch to Ben", chromedp.Click(chromedp.CSS("#user-switcher")), chromedp.Click(chromedp.CSS(".user-menu [data-user=U0BEN]")))
	b.WaitJS("Ben sees the sticker", `document.querySelector("#user-switcher").dataset.user === "U0BEN" &&
		[...document.querySelectorAll(".msg:not(.ephemeral)")].some(m => m.textContent.includes("Sent by Ana Lima with /sticker"))`)
	b.WaitJS("with its image", lastImageLoaded)
	if got := browsertest.Eval[string](b, `[...document.querySelectorAll(".msg:not(.ephemeral) .bk-image-img")].pop().alt`); got != second {
		t.Errorf("Ben sees %q, Ana sent %q", got, second)
	}
	if n := browsertest.Eval[int](b, `document.querySelectorAll(".msg.ephemeral").length`); n != 0 {
		t.Errorf("Ben sees %d ephemeral messages of Ana's", n)
	}
	b.Screenshot("sent-as-ben")

	// A member may not add stickers: the server says so.
	send("/sticker add")
	b.WaitJS("refused", `[...document.querySelectorAll(".msg.ephemeral")].some(m => m.textContent.includes("Only sticker admins"))`)

	// The admin adds one: upload a PNG, a taken name is a field error, a
	// new one saves, and the sticker is found.
	b.Do("switch to Ana", chromedp.Click(chromedp.CSS("#user-switcher")), chromedp.Click(chromedp.CSS(".user-menu [data-user=U0ANA]")))
	b.WaitJS("Ana again", `document.querySelector("#user-switcher").dataset.user === "U0ANA"`)
	send("/sticker add")
	b.WaitJS("the add modal", `document.querySelector(".modal[data-callback-id=sticker_add]")`)
	png := filepath.Join(t.TempDir(), "parrot.png")
	if err := os.WriteFile(png, drafts[3].Image.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	b.Do("fill in the form",
		chromedp.SendKeys(chromedp.CSS(`.bk-input-control[data-action-id=name]`), "cat"),
		chromedp.SendKeys(chromedp.CSS(`.bk-input-control[data-action-id=tags]`), "parrot, 앵무새"),
		chromedp.SetUploadFiles(chromedp.CSS(`input[type=file]`), []string{png}))
	b.WaitJS("uploaded", `(() => { const c = document.querySelector(".bk-file-chip"); return c && c.dataset.fileId })()`)
	b.Do("Save", chromedp.Click(chromedp.CSS(".modal-submit")))
	b.WaitJS("the field error", `document.querySelector(".bk-field-error[data-block-id=name]").textContent.includes("is taken")`)
	docShot(t, b, "playground-add.png")
	b.Do("fix the name", chromedp.Evaluate[chromedp.Void](`document.querySelector(".bk-input-control[data-action-id=name]").value = ""`),
		chromedp.SendKeys(chromedp.CSS(`.bk-input-control[data-action-id=name]`), "party parrot"),
		chromedp.Click(chromedp.CSS(".modal-submit")))
	b.WaitJS("the modal closes", `document.querySelector("#modal-layer").hidden`)
	b.WaitJS("the confirmation", `[...document.querySelectorAll(".msg.ephemeral")].some(m => m.textContent.includes("party parrot"))`)
	send("/sticker 앵무새")
	b.WaitJS("the new sticker is found", `[...document.querySelectorAll(".msg.ephemeral .bk-image-img")].some(i => i.alt === "party parrot" && i.complete && i.naturalWidth > 0)`)
	b.Screenshot("new-sticker-found")

	// The app's page: its Messages tab is the DM with the bot; the Home
	// tab is there when the manifest turns it on.
	b.Do("open the app", chromedp.Click(chromedp.CSS(".nav-app")))
	b.WaitJS("the app's page", `document.querySelector(".tabs [data-tab]")`)
	if home := browsertest.Eval[bool](b, `!!document.querySelector(".tabs [data-tab=home]")`); home {
		b.WaitJS("the Home view", `document.querySelector(".home-view")`)
		docShot(t, b, "playground-home.png")
	} else {
		b.Do("Messages", chromedp.Click(chromedp.CSS(".tabs [data-tab=messages]")))
		send("/sticker party")
		b.WaitJS("a preview in the DM", `document.querySelector(".msg.ephemeral [data-action-id=sticker_send]")`)
		b.Screenshot("app-messages")
	}

	// A mention: the message is in the channel, the app answers it.
	b.Do("#general", chromedp.Click(chromedp.CSS(`.nav-item[data-channel=C0GENERAL]`)))
	b.WaitJS("general", `document.querySelector(".conv-title").textContent.includes("general")`)
	previews := browsertest.Eval[int](b, `document.querySelectorAll(".msg.ephemeral [data-action-id=sticker_send]").length`)
	send("@stickerbot coffee")
	b.WaitJS("the mention, shown as one", `[...document.querySelectorAll(".msg:not(.ephemeral) .mention")].some(m => m.textContent === "@stickerbot")`)
	b.WaitJS("the app's answer", `document.querySelectorAll(".msg.ephemeral [data-action-id=sticker_send]").length > `+strconv.Itoa(previews)+` &&
		[...document.querySelectorAll(".msg.ephemeral .bk-image-img")].some(i => i.alt === "coffee")`)
	b.Screenshot("mention")

	// A message's "More actions" menu lists the app's message shortcuts
	// ("Reply with a sticker" once the app has it).
	b.Do("More actions", chromedp.Click(chromedp.CSS(".msg:not(.ephemeral) .more-actions")))
	b.WaitJS("the menu", `document.querySelector(".message-menu")`)
	if browsertest.Eval[bool](b, `!!document.querySelector(".message-menu [data-callback-id]")`) {
		b.Do("the first message shortcut", chromedp.Click(chromedp.CSS(".message-menu [data-callback-id]")))
		b.WaitJS("its modal", `document.querySelector(".modal")`)
		b.Screenshot("message-shortcut")
	} else if got := b.Text(".message-menu .menu-empty"); !strings.Contains(got, "no message shortcuts") {
		t.Errorf("More actions shows %q", got)
	}
}
