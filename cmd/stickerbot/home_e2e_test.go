package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stickerbot/stickerbot/internal/slacksim"
)

// End-to-end tests of what the bot remembers of people (issue 14):
// favourites, the Home tab, direct messages, stats and taking back a
// sticker, over both transports, the refusals included.

// withAdminUser makes UADMIN a person of the fake workspace too (the
// Home tab is published only to people who exist).
func withAdminUser() slacksim.Option {
	avatar := func(id string) string { return "https://avatars.example.com/" + id + "-48.png" }
	return slacksim.WithUsers(
		slacksim.User{ID: "U1", Name: "u1", RealName: "User One", Avatar: avatar("U1")},
		slacksim.User{ID: "U2", Name: "u2", RealName: "User Two", Avatar: avatar("U2")},
		slacksim.User{ID: "U3", Name: "u3", RealName: "User Three", Avatar: avatar("U3")},
		slacksim.User{ID: admin, Name: "admin", RealName: "Sticker Admin", Avatar: avatar(admin)},
	)
}

// mrkdwn joins every mrkdwn and plain text of raw blocks, for assertions.
func mrkdwn(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	if !json.Valid(raw) {
		t.Fatalf("blocks %s are not JSON", raw)
	}
	return strings.Join(slacksim.Texts(raw, "mrkdwn", "plain_text"), " | ")
}

// waitHome waits for user's Home tab to say want, and returns it.
func (h *harness) waitHome(t *testing.T, user, want string) slacksim.View {
	t.Helper()
	var v slacksim.View
	h.fs.WaitUntil(h.ctx, user+"'s Home tab saying "+want, func() bool {
		var ok bool
		v, ok = h.fs.Home(user)
		return ok && strings.Contains(mrkdwn(t, v.Blocks), want)
	})
	return v
}

// clickHome clicks actionID (the button with value, if not empty) on
// user's Home tab.
func (h *harness) clickHome(t *testing.T, user, actionID, value string) slacksim.Delivery {
	t.Helper()
	v, ok := h.fs.Home(user)
	if !ok {
		t.Fatalf("%s has no Home tab", user)
	}
	c := slacksim.Click{User: user, ViewID: v.ID, ActionID: actionID}
	if value != "" {
		c.BlockID = blockOf(t, v.Blocks, value)
	}
	d := h.fs.BlockAction(h.ctx, c)
	if d.Err != nil {
		t.Fatalf("click %s %s on the Home tab: %v", actionID, value, d.Err)
	}
	return d
}

// homeValues returns the values of the actionID buttons on user's Home tab.
func homeValues(t *testing.T, raw json.RawMessage, actionID string) []string {
	t.Helper()
	var out []string
	for _, b := range blocks(t, raw) {
		for _, e := range anySlice(b["elements"]) {
			if m, _ := e.(map[string]any); m["action_id"] == actionID {
				v, _ := m["value"].(string)
				out = append(out, v)
			}
		}
	}
	return out
}

func TestFavourites(t *testing.T) {
	t.Parallel()
	for _, mode := range transports {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			h := startBot(t, transportEnv(mode))
			d := h.command("U1", "C1", "cat")
			preview := h.fs.WaitResponse(h.ctx, d.ResponseURL)
			if got := buttons(t, preview.Blocks); !slices.Contains(got, "sticker_fav") {
				t.Fatalf("the preview offers no ☆: %v", got)
			}
			// Two clicks on ☆ (the second before the first's answer shows)
			// make it a favourite once; the preview turns to ★.
			for range 2 {
				h.fs.BlockAction(h.ctx, slacksim.Click{User: "U1", Message: preview.Message, ActionID: "sticker_fav"})
			}
			h.fs.WaitUntil(h.ctx, "the preview's star turned", func() bool {
				m, _ := h.fs.LookupMessage(preview.Message.TS)
				return slices.Contains(buttons(t, m.Blocks), "sticker_unfav") &&
					strings.Contains(mrkdwn(t, m.Blocks), "Added to your favourites")
			})
			favs := h.command("U1", "C1", "favs")
			list := h.fs.WaitResponse(h.ctx, favs.ResponseURL)
			if !strings.Contains(mrkdwn(t, list.Blocks), "Your favourites* · 1 sticker") || !slices.Contains(buttons(t, list.Blocks), "favs_send") {
				t.Fatalf("/sticker favs: %s", mrkdwn(t, list.Blocks))
			}
			// U2 has none.
			other := h.fs.WaitResponse(h.ctx, h.command("U2", "C1", "favs").ResponseURL)
			if !strings.Contains(mrkdwn(t, other.Blocks), "no favourite stickers yet") {
				t.Errorf("U2's favourites: %s", mrkdwn(t, other.Blocks))
			}
			// Send from the list, twice in a row: one sticker.
			for range 2 {
				h.fs.BlockAction(h.ctx, slacksim.Click{User: "U1", Message: list.Message, ActionID: "favs_send"})
			}
			h.sentBy(t, "C1", "U1", "from their /sticker favs", 0)
			time.Sleep(300 * time.Millisecond) // a second post, if any, has had time to arrive
			if n := h.botMessages("C1"); n != 1 {
				t.Errorf("%d stickers posted by two clicks on Send, want 1", n)
			}

			// A sticker deleted from the library leaves the favourites.
			cat, err := h.store.GetByName(h.ctx, "cat")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := h.store.Delete(h.ctx, cat.ID); err != nil {
				t.Fatal(err)
			}
			after := h.fs.WaitResponse(h.ctx, h.command("U1", "C1", "favs").ResponseURL)
			if !strings.Contains(mrkdwn(t, after.Blocks), "no favourite stickers yet") {
				t.Errorf("favourites after the sticker was deleted: %s", mrkdwn(t, after.Blocks))
			}
		})
	}
}

func TestHomeTab(t *testing.T) {
	t.Parallel()
	for _, mode := range transports {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			h := startBot(t, transportEnv(mode), withAdminUser())
			cat, err := h.store.GetByName(h.ctx, "cat")
			if err != nil {
				t.Fatal(err)
			}
			if err := h.store.SetFavourite(h.ctx, "U1", cat.ID, true); err != nil {
				t.Fatal(err)
			}
			if _, err := h.fs.AppHomeOpened(h.ctx, "U1", "home"); err != nil {
				t.Fatal(err)
			}
			v := h.waitHome(t, "U1", "Your favourites")
			said := mrkdwn(t, v.Blocks)
			for _, want := range []string{"Search stickers", "stickers* to search", "Send to", "*cat*"} {
				if !strings.Contains(said, want) {
					t.Errorf("the Home tab doesn't show %q: %s", want, said)
				}
			}
			if strings.Contains(said, "For sticker admins") || strings.Contains(said, "Add a sticker") {
				t.Errorf("a member's Home tab shows the admins' part: %s", said)
			}
			// Send before choosing where: the tab says to choose.
			h.clickHome(t, "U1", "home_send", homeValues(t, v.Blocks, "home_send")[0])
			h.waitHome(t, "U1", "Choose where to send it first")

			// Choose #general, then Send twice in a row: one sticker.
			if d := h.fs.Choose(h.ctx, slacksim.Choice{User: "U1", ViewID: v.ID, ActionID: "home_where", Conversation: "C1"}); d.Err != nil {
				t.Fatal(d.Err)
			}
			v = h.waitHome(t, "U1", "Send now posts to <#C1>")
			for range 2 {
				h.clickHome(t, "U1", "home_send", homeValues(t, v.Blocks, "home_send")[0])
			}
			h.sentBy(t, "C1", "U1", "from the stickerbot Home tab", 0)
			v = h.waitHome(t, "U1", "Sent *cat* to <#C1>")
			time.Sleep(300 * time.Millisecond)
			if n := h.botMessages("C1"); n != 1 {
				t.Errorf("%d stickers posted by two clicks on the Home tab's Send, want 1", n)
			}
			// The send shows among the recents, and the team's most sent.
			h.fs.AppHomeOpened(h.ctx, "U1", "home")
			h.fs.WaitUntil(h.ctx, "the Home tab published again", func() bool {
				v, _ = h.fs.Home("U1")
				said := mrkdwn(t, v.Blocks)
				return strings.Contains(said, "sent once this week") && !strings.Contains(said, "Sent *cat*")
			})
			if !strings.Contains(mrkdwn(t, v.Blocks), "Send* posts to <#C1>") {
				t.Errorf("reopening the Home tab forgot where Send posts: %s", mrkdwn(t, v.Blocks))
			}

			// Where the bot is not a member, the tab says so.
			if d := h.fs.Choose(h.ctx, slacksim.Choice{User: "U1", ViewID: v.ID, ActionID: "home_where", Conversation: "C2"}); d.Err != nil {
				t.Fatal(d.Err)
			}
			v = h.waitHome(t, "U1", "Send now posts to <#C2>")
			h.clickHome(t, "U1", "home_send", homeValues(t, v.Blocks, "home_send")[0])
			h.waitHome(t, "U1", "I can't post in this conversation (not_in_channel)")
			// Invited, the same Send again (within the double-click
			// window) posts: a failed Send does not count as a click.
			h.fs.AddChannel(slacksim.Channel{ID: "C2", Name: "random", BotMember: true, Members: []string{"U1", "U2", "U3"}})
			h.clickHome(t, "U1", "home_send", homeValues(t, v.Blocks, "home_send")[0])
			h.sentBy(t, "C2", "U1", "from the stickerbot Home tab", 0)

			// Search opens the picker.
			h.clickHome(t, "U1", "home_search", "")
			h.fs.WaitUntil(h.ctx, "the picker opened", func() bool { return len(h.fs.OpenViews("U1")) == 1 })

			// An admin's tab has the team's numbers and an Add button, which
			// opens the add modal.
			h.fs.AppHomeOpened(h.ctx, admin, "home")
			av := h.waitHome(t, admin, "For sticker admins")
			for _, want := range []string{"Sent per day", "Most sent this week", "Never sent", "Newest additions", "Add a sticker"} {
				if !strings.Contains(mrkdwn(t, av.Blocks), want) {
					t.Errorf("the admin's Home tab lacks %q", want)
				}
			}
			h.clickHome(t, admin, "home_add", "")
			h.fs.WaitUntil(h.ctx, "the add modal opened", func() bool {
				views := h.fs.OpenViews(admin)
				return len(views) == 1 && views[0].CallbackID == "sticker_add"
			})
			// A member forging the admin's Add opens nothing.
			forged := h.fs.Interactive(h.ctx, map[string]any{"type": "block_actions", "user": map[string]any{"id": "U2"},
				"trigger_id": "1.2.forged", "container": map[string]any{"type": "view", "view_id": v.ID},
				"view":    map[string]any{"id": v.ID, "type": "home", "private_metadata": "{}"},
				"actions": []any{map[string]any{"type": "button", "action_id": "home_add", "value": "add"}}})
			h.fs.WaitAck(h.ctx, forged.EnvelopeID)
			time.Sleep(200 * time.Millisecond)
			if len(h.fs.OpenViews("U2")) != 0 {
				t.Error("a member's forged Add opened the add modal")
			}
			noUserErrors(t, h)
		})
	}
}

// TestHomeTabTurnedOff: with the Home tab off in the app's settings,
// views.publish fails with not_enabled; the bot says so in its log and
// does not retry.
func TestHomeTabTurnedOff(t *testing.T) {
	t.Parallel()
	app := slacksim.App{HomeTab: false, MessagesTab: true,
		Commands: []string{"/sticker"}, MessageShortcuts: []string{"reply_with_sticker", "remove_sticker"}, GlobalShortcuts: []string{"send_sticker"},
		BotEvents: []string{"app_mention", "message.im", "app_home_opened"}}
	h := startBot(t, nil, slacksim.WithApp(app))
	if _, err := h.fs.AppHomeOpened(h.ctx, "U1", "home"); err != nil {
		t.Fatal(err)
	}
	h.fs.WaitCall(h.ctx, "views.publish", func(c slacksim.Call) bool { return c.Error == "not_enabled" })
	h.fs.WaitUntil(h.ctx, "the log explains", func() bool { return strings.Contains(h.logs.String(), "App Home → Show Tabs → Home Tab") })
	time.Sleep(500 * time.Millisecond)
	if n := len(h.fs.Calls("views.publish")); n != 1 {
		t.Errorf("%d views.publish calls, want 1 (no retries)", n)
	}
}

func TestDirectMessages(t *testing.T) {
	t.Parallel()
	for _, mode := range transports {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			h := startBot(t, transportEnv(mode))
			if _, err := h.fs.TypeMessage(h.ctx, slacksim.UserMessage{User: "U1", Channel: "D1", Text: "고양이"}); err != nil {
				t.Fatal(err)
			}
			preview := h.fs.WaitMessage(h.ctx, "D1", func(m slacksim.Message) bool { return m.Ephemeral })
			if !strings.HasSuffix(imageURL(t, preview.Blocks), "1f431.png") || !slices.Contains(buttons(t, preview.Blocks), "sticker_send") {
				t.Fatalf("DM preview: %s", preview.Blocks)
			}
			h.fs.BlockAction(h.ctx, slacksim.Click{User: "U1", Message: preview, ActionID: "sticker_send"})
			h.sentBy(t, "D1", "U1", "from a message to @stickerbot", 0)
			h.fs.WaitUntil(h.ctx, "the preview removed", func() bool {
				m, _ := h.fs.LookupMessage(preview.TS)
				return m.Deleted
			})

			// A greeting gets the usage.
			if _, err := h.fs.TypeMessage(h.ctx, slacksim.UserMessage{User: "U1", Channel: "D1", Text: "hi!"}); err != nil {
				t.Fatal(err)
			}
			h.fs.WaitMessage(h.ctx, "D1", func(m slacksim.Message) bool {
				return m.Ephemeral && strings.Contains(mrkdwn(t, m.Blocks), "Send me a few words")
			})
			// What the bot said in the DM so far (messages, not calls: the
			// fake stores a message before it lists the call).
			ephemerals := func() int {
				n := 0
				for _, m := range h.fs.Messages("D1") {
					if m.Ephemeral {
						n++
					}
				}
				return n
			}
			before := ephemerals()
			// Edits, deletions, the bot's own messages and channel messages
			// are no searches.
			for _, ev := range []map[string]any{
				{"type": "message", "subtype": "message_changed", "channel": "D1", "channel_type": "im", "hidden": true,
					"message": map[string]any{"user": "U1", "text": "dog", "ts": "1.1"}, "ts": "1.2"},
				{"type": "message", "subtype": "message_deleted", "channel": "D1", "channel_type": "im", "hidden": true, "ts": "1.3"},
				{"type": "message", "subtype": "bot_message", "bot_id": "B1", "channel": "D1", "channel_type": "im", "text": "dog", "ts": "1.4"},
				{"type": "message", "user": slacksim.BotUserID, "bot_id": "B1", "channel": "D1", "channel_type": "im", "text": "dog", "ts": "1.5"},
				{"type": "message", "subtype": "file_share", "user": "U1", "channel": "D1", "channel_type": "im", "text": "dog", "ts": "1.6"},
				{"type": "message", "user": "U1", "channel": "C1", "channel_type": "channel", "text": "dog", "ts": "1.7"},
			} {
				h.fs.WaitAck(h.ctx, h.fs.Event(h.ctx, ev).EnvelopeID)
			}
			// A redelivered DM is answered once.
			ev := h.fs.Event(h.ctx, map[string]any{"type": "message", "user": "U1", "channel": "D1", "channel_type": "im",
				"text": "dog", "ts": "1700000000.000300", "event_ts": "1700000000.000300"})
			h.fs.WaitAck(h.ctx, ev.EnvelopeID)
			re := h.fs.Redeliver(h.ctx, ev.EnvelopeID, slacksim.WithRetry(1, "timeout"), slacksim.OnConn(1))
			if re.Err != nil {
				t.Fatal(re.Err)
			}
			h.fs.WaitUntil(h.ctx, "the DM answered", func() bool { return ephemerals() > before })
			time.Sleep(400 * time.Millisecond)
			if n := ephemerals() - before; n != 1 {
				t.Errorf("%d replies to one DM, its redelivery and six messages that are no searches; want 1", n)
			}
		})
	}
}

// TestMessagesTabTurnedOff: Slack, not the bot, says messages are off.
func TestMessagesTabTurnedOff(t *testing.T) {
	t.Parallel()
	app := slacksim.App{HomeTab: true, MessagesTab: false, Commands: []string{"/sticker"},
		MessageShortcuts: []string{"reply_with_sticker", "remove_sticker"}, GlobalShortcuts: []string{"send_sticker"}}
	h := startBot(t, nil, slacksim.WithApp(app))
	if _, err := h.fs.TypeMessage(h.ctx, slacksim.UserMessage{User: "U1", Channel: "D1", Text: "cat"}); err != nil {
		t.Fatal(err)
	}
	m := h.fs.WaitMessage(h.ctx, "D1", func(m slacksim.Message) bool { return m.Author == slacksim.SlackbotID })
	if !strings.Contains(m.Text, "Sending messages to this app has been turned off") {
		t.Errorf("Slackbot said %q", m.Text)
	}
}

func TestStats(t *testing.T) {
	t.Parallel()
	for _, mode := range transports {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			h := startBot(t, transportEnv(mode))
			d := h.command("U1", "C1", "cat")
			preview := h.fs.WaitResponse(h.ctx, d.ResponseURL)
			h.fs.BlockAction(h.ctx, slacksim.Click{User: "U1", Message: preview.Message, ActionID: "sticker_send"})
			h.sentBy(t, "C1", "U1", "with /sticker", 0)
			h.fs.WaitUntil(h.ctx, "the send recorded", func() bool { return usesOf(t, h, "cat") == 1 })

			mine := h.fs.WaitResponse(h.ctx, h.command("U1", "C1", "stats").ResponseURL)
			if s := mrkdwn(t, mine.Blocks); !strings.Contains(s, "1 sticker this week · 1 sticker in all") || !strings.Contains(s, "1. *cat* · 1") ||
				strings.Contains(s, "Never sent") {
				t.Errorf("a member's /sticker stats: %s", s)
			}
			team := h.fs.WaitResponse(h.ctx, h.command(admin, "C1", "stats").ResponseURL)
			if s := mrkdwn(t, team.Blocks); !strings.Contains(s, "1 sticker by 1 person") || !strings.Contains(s, "Never sent") ||
				!strings.Contains(s, "Sent per day") {
				t.Errorf("an admin's /sticker stats: %s", s)
			}
		})
	}
}

// sendSticker posts cat into channel as user, with the preview.
func (h *harness) sendSticker(t *testing.T, user, channel string, skip int) slacksim.Message {
	t.Helper()
	preview := h.fs.WaitResponse(h.ctx, h.command(user, channel, "cat").ResponseURL)
	h.fs.BlockAction(h.ctx, slacksim.Click{User: user, Message: preview.Message, ActionID: "sticker_send"})
	m := h.sentBy(t, channel, user, "with /sticker", skip)
	h.fs.WaitUntil(h.ctx, "the send recorded", func() bool {
		var n int
		_ = h.db.Pool.QueryRow(h.ctx, `SELECT count(*) FROM sends WHERE user_id = $1 AND channel_id = $2`, user, channel).Scan(&n)
		return n > skip
	})
	return m
}

// remove uses "Remove sticker" on m as user and returns what the bot said.
func (h *harness) remove(t *testing.T, user string, m slacksim.Message) string {
	t.Helper()
	d := h.fs.MessageShortcut(h.ctx, slacksim.MessageShortcut{User: user, CallbackID: "remove_sticker", Message: m})
	if d.Err != nil {
		t.Fatalf("Remove sticker: %v", d.Err)
	}
	return mrkdwn(t, h.fs.WaitResponse(h.ctx, d.ResponseURL).Blocks)
}

func TestRemoveSticker(t *testing.T) {
	t.Parallel()
	for _, mode := range transports {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			h := startBot(t, transportEnv(mode))
			m := h.sendSticker(t, "U1", "C1", 0)
			if said := h.remove(t, "U2", m); !strings.Contains(said, "Only the person who sent this sticker, or a sticker admin") {
				t.Errorf("U2 removing U1's sticker: %q", said)
			}
			if got, _ := h.fs.LookupMessage(m.TS); got.Deleted {
				t.Fatal("someone else removed U1's sticker")
			}
			if said := h.remove(t, "U1", m); !strings.Contains(said, "Removed *cat*") {
				t.Errorf("U1 removing their sticker: %q", said)
			}
			if got, _ := h.fs.LookupMessage(m.TS); !got.Deleted {
				t.Error("the sticker is still there")
			}
			h.fs.WaitUntil(h.ctx, "the use taken back", func() bool { return usesOf(t, h, "cat") == 0 })
			// Its history keeps the row, marked removed.
			var removedBy string
			if err := h.db.Pool.QueryRow(context.Background(),
				`SELECT removed_by FROM sends WHERE removed_at IS NOT NULL`).Scan(&removedBy); err != nil || removedBy != "U1" {
				t.Errorf("the removed send: %q %v", removedBy, err)
			}

			// A forged shortcut pairing U1's own sticker's blocks (its key)
			// with U2's message deletes nothing.
			mine := h.sendSticker(t, "U1", "C1", 1)
			theirs := h.sendSticker(t, "U2", "C1", 0)
			forged := h.fs.Interactive(h.ctx, map[string]any{"type": "message_action", "callback_id": "remove_sticker",
				"user": map[string]any{"id": "U1"}, "channel": map[string]any{"id": "C1"}, "trigger_id": "1.2.f",
				"response_url": d0ResponseURL(t, h), "message_ts": theirs.TS,
				"message": map[string]any{"ts": theirs.TS, "blocks": json.RawMessage(mine.Blocks)}})
			h.fs.WaitAck(h.ctx, forged.EnvelopeID)
			time.Sleep(300 * time.Millisecond)
			if got, _ := h.fs.LookupMessage(theirs.TS); got.Deleted {
				t.Fatal("a forged Remove sticker deleted someone else's sticker")
			}
			if got, _ := h.fs.LookupMessage(mine.TS); got.Deleted {
				t.Fatal("a forged Remove sticker deleted the forger's sticker instead")
			}

			// An admin may remove anyone's.
			m2 := theirs
			if said := h.remove(t, admin, m2); !strings.Contains(said, "Removed *cat*") {
				t.Errorf("the admin removing U2's sticker: %q", said)
			}
			// A person's own message is none of the bot's stickers.
			own, err := h.fs.PostUserMessage(slacksim.UserMessage{User: "U1", Channel: "C1", Text: "hello"})
			if err != nil {
				t.Fatal(err)
			}
			if said := h.remove(t, "U1", own); !strings.Contains(said, "isn't a sticker I sent") {
				t.Errorf("removing a person's message: %q", said)
			}
			// Where the bot is not a member, the sticker went through the
			// response_url: Slack does not let the bot delete it, and the
			// user is told so, plainly.
			m3 := h.sendSticker(t, "U1", "C2", 0)
			if said := h.remove(t, "U1", m3); !strings.Contains(said, "Slack doesn't let me delete this sticker (not_in_channel)") {
				t.Errorf("removing a sticker posted through the response_url: %q", said)
			}
			var via string
			if err := h.db.Pool.QueryRow(context.Background(), `SELECT via FROM sends WHERE channel_id = 'C2'`).Scan(&via); err != nil || via != "response_url" {
				t.Errorf("the C2 send's path: %q %v", via, err)
			}
		})
	}
}

// d0ResponseURL is a response_url the fake knows, for forged payloads
// (a command's).
func d0ResponseURL(t *testing.T, h *harness) string {
	t.Helper()
	d := h.command("U1", "C1", "help")
	h.fs.WaitResponse(h.ctx, d.ResponseURL)
	return d.ResponseURL
}
