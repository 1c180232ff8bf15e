package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stickerbot/stickerbot/internal/slacksim"
	"github.com/stickerbot/stickerbot/internal/store"
	"github.com/stickerbot/stickerbot/internal/testdb"
)

// syncBuffer collects the bot's logs from its goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// harness is the real bot (run) against a fake Slack and a real database.
type harness struct {
	fs    *slacksim.Server
	db    testdb.DB
	store *store.Store
	logs  *syncBuffer
	ctx   context.Context
	// mode is the transport Slack uses: "socket" or "http".
	mode string
	// botURL (http://127.0.0.1:PORT) and secret (the signing secret) are
	// set in HTTP mode.
	botURL, secret string
	// vars is the bot's environment, for starting another one like it.
	vars map[string]string
}

// transports are the ways Slack delivers to the bot: Socket Mode, and
// signed HTTP requests (SLACK_MODE=http).
var transports = []string{"socket", "http"}

// transportEnv returns the startBot env that runs the bot over mode.
func transportEnv(mode string) map[string]string {
	if mode == "http" {
		return map[string]string{"SLACK_MODE": "http"}
	}
	return nil
}

// freeLoopbackAddr returns a 127.0.0.1 address with a port that was free a
// moment ago.
func freeLoopbackAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startBot runs the bot against a fake Slack and a fresh database holding
// examples/stickers.json, and returns once it is ready: in Socket Mode (the
// default) when it holds its connections; with env["SLACK_MODE"] == "http"
// when /readyz answers 200 on its HTTP_ADDR (a free loopback port unless env
// names one), the fake delivering signed requests to it.
func startBot(t *testing.T, env map[string]string, opts ...slacksim.Option) *harness {
	t.Helper()
	mode, botURL, secret := "socket", "", ""
	httpVars := map[string]string{}
	if env["SLACK_MODE"] == "http" {
		mode = "http"
		secret = env["SLACK_SIGNING_SECRET"]
		if secret == "" {
			b := make([]byte, 16)
			_, _ = rand.Read(b)
			secret = hex.EncodeToString(b)
		}
		addr := env["HTTP_ADDR"]
		if _, port, err := net.SplitHostPort(addr); err != nil || port == "0" || port == "" {
			addr = freeLoopbackAddr(t)
		}
		_, port, _ := net.SplitHostPort(addr)
		botURL = "http://127.0.0.1:" + port
		httpVars["SLACK_SIGNING_SECRET"], httpVars["HTTP_ADDR"] = secret, addr
		opts = append(opts[:len(opts):len(opts)], slacksim.WithRequestURL(botURL, secret))
	}
	// A library channel the bot is in, as the README sets up, so admins
	// are offered uploads; a test's own channels replace it.
	lib := slacksim.Channel{ID: "CSTICKERS", Name: "sticker-library", BotMember: true, Members: []string{admin}}
	opts = append([]slacksim.Option{slacksim.WithChannels(append(slacksim.DefaultChannels(), lib)...)}, opts...)
	fs := slacksim.New(t, opts...)
	db := testdb.New(t)
	st := store.New(db.Pool)
	testdb.LoadSample(t, st)
	vars := map[string]string{
		"SLACK_BOT_TOKEN":         fs.BotToken(),
		"SLACK_APP_TOKEN":         fs.AppToken(),
		"SLACK_API_URL":           fs.APIURL(),
		"DATABASE_URL":            db.URL,
		"STICKER_ADMINS":          "UADMIN",
		"STICKER_LIBRARY_CHANNEL": lib.ID,
		"LOG_LEVEL":               "debug",
	}
	for k, v := range env {
		vars[k] = v
	}
	for k, v := range httpVars {
		vars[k] = v
	}
	// Registered first, so it runs after the bot has stopped.
	t.Cleanup(func() {
		for _, v := range fs.Violations() {
			t.Errorf("fake Slack saw a protocol violation: %+v", v)
		}
		if c := fs.Connections(); mode == "http" && len(c) > 0 {
			t.Errorf("in HTTP mode the bot opened %d Socket Mode connection(s)", len(c))
		}
	})
	logs, exited := launchBot(t, vars, fs.BotToken(), fs.AppToken(), secret)
	tctx, tcancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(tcancel)
	if mode == "http" {
		waitReady(t, tctx, botURL, exited)
	} else {
		fs.WaitConnections(tctx, 2)
	}
	return &harness{fs: fs, db: db, store: st, logs: logs, ctx: tctx, mode: mode, botURL: botURL, secret: secret, vars: vars}
}

// launchBot runs the bot (run, as main does) with vars as its environment
// until the test ends; then it stops it as SIGTERM would, and checks that
// it stopped cleanly and that none of secrets reached its logs.
func launchBot(t *testing.T, vars map[string]string, secrets ...string) (*syncBuffer, <-chan struct{}) {
	t.Helper()
	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	exited := make(chan struct{})
	go func() {
		done <- run(ctx, []string{"stickerbot"}, envOf(vars), nil, &bytes.Buffer{}, logs)
		close(exited)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run returned %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("the bot did not stop within 30s of SIGTERM")
		}
		out := logs.String()
		for _, s := range secrets {
			if s != "" && strings.Contains(out, s) {
				t.Errorf("a token or the signing secret is in the logs")
			}
		}
		if t.Failed() {
			t.Logf("bot logs:\n%s", out)
		}
	})
	return logs, exited
}

// accepted waits for the first post to url that Slack accepted (200).
func (h *harness) accepted(url string) slacksim.ResponsePost {
	var got slacksim.ResponsePost
	h.fs.WaitUntil(h.ctx, "a post Slack accepts on "+url, func() bool {
		for _, p := range h.fs.ResponsePosts() {
			if p.URL == url && p.Status == 200 {
				got = p
				return true
			}
		}
		return false
	})
	return got
}

// waitReady polls botURL/readyz until it answers 200, failing the test when
// ctx ends or the bot exits first.
func waitReady(t *testing.T, ctx context.Context, botURL string, exited <-chan struct{}) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, botURL+"/readyz", nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-exited:
			t.Fatalf("the bot exited before %s/readyz answered 200", botURL)
		case <-ctx.Done():
			t.Fatalf("%s/readyz did not answer 200: %v", botURL, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (h *harness) command(user, channel, text string) slacksim.Delivery {
	d := h.fs.SlashCommand(h.ctx, slacksim.Command{User: user, Channel: channel, Command: "/sticker", Text: text})
	if d.Err != nil {
		panic(d.Err)
	}
	return d
}

// blocks decodes a message's blocks loosely, for assertions.
func blocks(t *testing.T, raw json.RawMessage) []map[string]any {
	t.Helper()
	var bs []map[string]any
	if err := json.Unmarshal(raw, &bs); err != nil {
		t.Fatalf("blocks %s: %v", raw, err)
	}
	return bs
}

func imageURL(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	for _, b := range blocks(t, raw) {
		if b["type"] == "image" {
			s, _ := b["image_url"].(string)
			return s
		}
	}
	t.Fatalf("no image block in %s", raw)
	return ""
}

func buttons(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	var ids []string
	for _, b := range blocks(t, raw) {
		if b["type"] != "actions" {
			continue
		}
		for _, e := range b["elements"].([]any) {
			ids = append(ids, e.(map[string]any)["action_id"].(string))
		}
	}
	return ids
}

func usesOf(t *testing.T, h *harness, name string) int64 {
	t.Helper()
	st, err := h.store.GetByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return st.UsageCount
}

func TestSearchNextSend(t *testing.T) {
	t.Parallel()
	for _, mode := range transports {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			h := startBot(t, transportEnv(mode))
			d := h.command("U1", "C1", "search happy")
			ack := h.fs.WaitAck(h.ctx, d.EnvelopeID)
			if len(ack.Payload) != 0 && string(ack.Payload) != "null" && string(ack.Payload) != "{}" {
				t.Errorf("slash command acked with %s; the preview goes through the response_url", ack.Payload)
			}
			preview := h.fs.WaitResponse(h.ctx, d.ResponseURL)
			if preview.ResponseType == "in_channel" || !preview.Message.Ephemeral {
				t.Fatalf("preview is not ephemeral: %+v", preview)
			}
			if got := buttons(t, preview.Blocks); strings.Join(got, ",") != "sticker_send,sticker_next,sticker_fav,sticker_cancel" {
				t.Fatalf("buttons %v", got)
			}
			first := imageURL(t, preview.Blocks)

			next := h.fs.BlockAction(h.ctx, slacksim.Click{User: "U1", Message: preview.Message, ActionID: "sticker_next"})
			replaced := h.fs.WaitResponse(h.ctx, next.ResponseURL)
			if !replaced.ReplaceOriginal {
				t.Fatalf("Next did not replace the preview: %+v", replaced)
			}
			second := imageURL(t, replaced.Blocks)
			if second == first {
				t.Fatalf("Next showed the same sticker %s", second)
			}

			send := h.fs.BlockAction(h.ctx, slacksim.Click{User: "U1", Message: replaced.Message, ActionID: "sticker_send"})
			posted := h.fs.WaitMessage(h.ctx, "C1", func(m slacksim.Message) bool { return !m.Ephemeral })
			if posted.Source != "chat.postMessage" || imageURL(t, posted.Blocks) != second {
				t.Fatalf("posted %+v", posted)
			}
			// It says who sent it, by name and picture, and how; a
			// mention would notify the sender of their own sticker.
			said := strings.Join(posted.MrkdwnTexts(), " ")
			if !strings.Contains(said, "Sent by *User One* with /sticker") || strings.Contains(said+posted.Text, "<@") {
				t.Errorf("the posted sticker doesn't say who sent it, or mentions them: %v", posted.MrkdwnTexts())
			}
			if !strings.Contains(string(posted.Blocks), `"image_url":"https://avatars.example.com/U1-48.png"`) {
				t.Errorf("the posted sticker doesn't show the sender's picture: %s", posted.Blocks)
			}
			del := h.fs.WaitResponse(h.ctx, send.ResponseURL)
			if !del.DeleteOriginal {
				t.Errorf("the preview was not removed: %+v", del)
			}
			h.fs.WaitUntil(h.ctx, "usage counted", func() bool { return usesOf(t, h, "sweat smile")+usesOf(t, h, "laughing") == 1 })
			if n := len(h.fs.Calls("chat.postMessage")); n != 1 {
				t.Errorf("%d chat.postMessage calls, want 1", n)
			}
		})
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	for _, mode := range transports {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			h := startBot(t, transportEnv(mode))
			d := h.command("U1", "C1", "cat")
			preview := h.fs.WaitResponse(h.ctx, d.ResponseURL)
			if got := imageURL(t, preview.Blocks); !strings.HasSuffix(got, "1f431.png") {
				t.Fatalf("/sticker cat showed %s", got)
			}
			c := h.fs.BlockAction(h.ctx, slacksim.Click{User: "U1", Message: preview.Message, ActionID: "sticker_cancel"})
			if r := h.fs.WaitResponse(h.ctx, c.ResponseURL); !r.DeleteOriginal {
				t.Fatalf("cancel: %+v", r)
			}
			if len(h.fs.Calls("chat.postMessage")) != 0 {
				t.Fatal("cancel posted something")
			}
		})
	}
}

func TestNoMatchHelpAndUnknown(t *testing.T) {
	t.Parallel()
	for _, mode := range transports {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			h := startBot(t, transportEnv(mode))
			cases := []struct{ text, want string }{
				{"search xyzzyplugh", "No sticker matches"},
				{"help", "/sticker search"},
				{"serach cat", "/sticker search"},
				{"--verbose", "/sticker search"},
			}
			for _, c := range cases {
				d := h.command("U1", "C1", c.text)
				r := h.fs.WaitResponse(h.ctx, d.ResponseURL)
				if text := strings.Join(r.Message.MrkdwnTexts(), " "); !strings.Contains(text, c.want) {
					t.Errorf("/sticker %s answered %q, want %q", c.text, text, c.want)
				}
			}
			// "/sticker" alone opens the picker instead (picker_e2e_test.go).
			h.openPicker(t, "U1", "C1")
		})
	}
}

func TestEscaping(t *testing.T) {
	t.Parallel()
	for _, mode := range transports {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			h := startBot(t, transportEnv(mode))
			// Slack sends user text HTML-encoded.
			for _, q := range []string{"&lt;!channel&gt; cat", "&lt;https://evil.example|click&gt;", "&lt;!here&gt;"} {
				d := h.command("U1", "C1", q)
				r := h.fs.WaitResponse(h.ctx, d.ResponseURL)
				for _, text := range r.Message.MrkdwnTexts() {
					if slacksim.HasUnescapedSpecial(text) {
						t.Errorf("query %q came back unescaped: %q", q, text)
					}
				}
			}
		})
	}
}

func TestMention(t *testing.T) {
	t.Parallel()
	for _, mode := range transports {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			h := startBot(t, transportEnv(mode))
			ev := h.fs.Event(h.ctx, map[string]any{
				"type": "app_mention", "user": "U1", "text": "<@" + slacksim.BotUserID + "> 고양이",
				"ts": "1700000000.000100", "channel": "C1", "event_ts": "1700000000.000100",
			})
			h.fs.WaitAck(h.ctx, ev.EnvelopeID)
			call := h.fs.WaitCall(h.ctx, "chat.postEphemeral", func(c slacksim.Call) bool { return c.Error == "" })
			if call.Params["user"] != "U1" || call.Params["channel"] != "C1" || !strings.HasSuffix(imageURL(t, call.Blocks()), "1f431.png") {
				t.Fatalf("mention preview: %+v", call.Params)
			}
			// Slack redelivers; the bot must not preview twice. Over HTTP the
			// retry carries X-Slack-Retry-Num: 1 and X-Slack-Retry-Reason.
			reason := "timeout"
			if mode == "http" {
				reason = slacksim.RetryHTTPTimeout
			}
			re := h.fs.Redeliver(h.ctx, ev.EnvelopeID, slacksim.WithRetry(1, reason))
			if re.Err != nil || re.EventID != ev.EventID {
				t.Fatalf("redelivery: %+v", re)
			}
			h.fs.WaitAck(h.ctx, re.EnvelopeID)
			again := h.fs.Event(h.ctx, map[string]any{"type": "app_mention", "user": "U2", "text": "<@" + slacksim.BotUserID + "> dog", "channel": "C1", "ts": "1700000000.000200"})
			h.fs.WaitAck(h.ctx, again.EnvelopeID)
			h.fs.WaitUntil(h.ctx, "second mention answered", func() bool { return len(h.fs.Calls("chat.postEphemeral")) >= 2 })
			time.Sleep(200 * time.Millisecond) // a duplicate, if any, has had time to arrive
			if n := len(h.fs.Calls("chat.postEphemeral")); n != 2 {
				t.Fatalf("%d ephemeral previews, want 2 (one per mention, none for the redelivery)", n)
			}
		})
	}
}

func TestSendFallsBackToResponseURL(t *testing.T) {
	t.Parallel()
	for _, mode := range transports {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			h := startBot(t, transportEnv(mode))
			d := h.command("U1", "C2", "cat") // C2: the bot is not a member
			preview := h.fs.WaitResponse(h.ctx, d.ResponseURL)
			send := h.fs.BlockAction(h.ctx, slacksim.Click{User: "U1", Message: preview.Message, ActionID: "sticker_send"})
			h.fs.WaitCall(h.ctx, "chat.postMessage", func(c slacksim.Call) bool { return c.Error == "not_in_channel" })
			posted := h.fs.WaitMessage(h.ctx, "C2", func(m slacksim.Message) bool { return !m.Ephemeral })
			if posted.Source != slacksim.MethodResponseURL || !strings.HasSuffix(imageURL(t, posted.Blocks), "1f431.png") {
				t.Fatalf("fallback post: %+v", posted)
			}
			h.fs.WaitResponseN(h.ctx, send.ResponseURL, 2) // the in_channel post, then the preview's removal
			h.fs.WaitUntil(h.ctx, "usage counted", func() bool { return usesOf(t, h, "cat") == 1 })
		})
	}
}

func TestSendFailuresAreExplained(t *testing.T) {
	t.Parallel()
	h := startBot(t, nil)
	cases := []struct {
		name    string
		channel string
		fail    func()
		want    string
	}{
		{"channel_not_found on both paths", "G1", func() {
			h.fs.FailNext(slacksim.MethodResponseURL, 1, slacksim.Failure{Error: "channel_not_found"})
		}, "can't post in this conversation"},
		{"ratelimited", "C1", func() {
			h.fs.FailNext("chat.postMessage", 4, slacksim.Failure{Status: 429, RetryAfter: time.Second})
		}, "slow down"},
		{"server error", "C1", func() {
			h.fs.FailNext("chat.postMessage", 4, slacksim.Failure{Status: 500})
		}, "try again"},
	}
	for _, c := range cases {
		d := h.command("U1", c.channel, "dog")
		preview := h.fs.WaitResponse(h.ctx, d.ResponseURL)
		c.fail()
		send := h.fs.BlockAction(h.ctx, slacksim.Click{User: "U1", Message: preview.Message, ActionID: "sticker_send"})
		var got []string
		h.fs.WaitUntil(h.ctx, c.name+": user told", func() bool {
			got = nil
			for _, p := range h.fs.ResponsePosts() {
				if p.URL == send.ResponseURL && p.Status == 200 {
					got = append(got, p.Text)
				}
			}
			return len(got) > 0
		})
		if !strings.Contains(strings.Join(got, " "), c.want) {
			t.Errorf("%s: user was told %q, want %q", c.name, got, c.want)
		}
	}
	if n := usesOf(t, h, "dog"); n != 0 {
		t.Errorf("failed sends counted: %d", n)
	}
}

// TestRejectedAppTokenExits: when Slack refuses the app token the bot says
// which variable is wrong and exits, instead of hanging with a green
// /healthz.
func TestRejectedAppTokenExits(t *testing.T) {
	t.Parallel()
	fs := slacksim.New(t)
	db := testdb.New(t)
	vars := map[string]string{
		"SLACK_BOT_TOKEN": fs.BotToken(), "SLACK_APP_TOKEN": "xapp-1-A0-revoked-secret",
		"SLACK_API_URL": fs.APIURL(), "DATABASE_URL": db.URL, "HTTP_ADDR": "127.0.0.1:0",
	}
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(context.Background(), []string{"stickerbot"}, envOf(vars), nil, &bytes.Buffer{}, logs)
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "SLACK_APP_TOKEN") || strings.Contains(err.Error()+logs.String(), "revoked-secret") {
			t.Fatalf("run returned %v; logs:\n%s", err, logs)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("the bot kept running with a rejected app token; logs:\n%s", logs)
	}
}

// TestPreviewWithoutImage: when Slack refuses a preview's image (a dead
// image URL answers 400 on the response_url), the user still gets the
// preview, without the image, with its buttons.
func TestPreviewWithoutImage(t *testing.T) {
	t.Parallel()
	h := startBot(t, nil)
	h.fs.FailNext(slacksim.MethodResponseURL, 1, slacksim.Failure{Status: 400})
	d := h.command("U1", "C1", "happy") // several match, so Next leads on
	got := h.accepted(d.ResponseURL)
	if ids := buttons(t, got.Blocks); strings.Join(ids, ",") != "sticker_send,sticker_next,sticker_fav,sticker_cancel" {
		t.Fatalf("buttons %v in %s", ids, got.Blocks)
	}
	for _, b := range blocks(t, got.Blocks) {
		if b["type"] == "image" {
			t.Fatalf("the refused image is still there: %s", got.Blocks)
		}
	}
	if !strings.Contains(strings.Join(got.Message.MrkdwnTexts(), " "), "can't show") {
		t.Errorf("the preview doesn't say the image is missing: %v", got.Message.MrkdwnTexts())
	}
}
