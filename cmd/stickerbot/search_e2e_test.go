package main

import (
	"context"
	"testing"
	"time"

	"github.com/stickerbot/stickerbot/internal/search"
	"github.com/stickerbot/stickerbot/internal/slacksim"
	"github.com/stickerbot/stickerbot/internal/sticker"
	"github.com/stickerbot/stickerbot/internal/store"
)

// TestTwoBotsFollowTheLibrary: two bots on one database each search an
// index in their own memory. A sticker added or deleted by someone else
// (another replica, the import command), or sent from the other bot, is
// found, ranked or gone in both within moments: each learns of the change
// by notification, long before its poll.
func TestTwoBotsFollowTheLibrary(t *testing.T) {
	t.Parallel()
	fs := slacksim.New(t)
	relCheckViolations(t, fs)
	db := relSampleDB(t)
	ctx := relCtx(t, 50*time.Second)
	one := map[string]string{"SOCKET_CONNECTIONS": "1"}
	relRunBot(t, fs, db.URL, one)
	fs.WaitConnections(ctx, 1) // connection 0 is the first bot's
	relRunBot(t, fs, db.URL, one)
	fs.WaitConnections(ctx, 2) // connection 1 is the second's
	st := store.New(db.Pool)

	// shows returns the image the bot on conn previews for query ("" for
	// no match).
	shows := func(conn int, query string) string {
		d := relCommand(t, ctx, fs, query, slacksim.OnConn(conn))
		u, _ := imageOf(t, fs.WaitResponse(ctx, d.ResponseURL).Blocks)
		return u
	}
	soon := func(what string, conn int, query, want string) {
		t.Helper()
		deadline := time.Now().Add(search.PollInterval / 2)
		for {
			got := shows(conn, query)
			if got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the bot on connection %d shows %q for %q, want %q", what, conn, got, query, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	a, err := st.Save(ctx, 0, sticker.Draft{Name: "zebra a", Tags: []string{"stripes"}, ImageURL: "https://example.com/za.png"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := st.Save(ctx, 0, sticker.Draft{Name: "zebra b", Tags: []string{"stripes"}, ImageURL: "https://example.com/zb.png"})
	if err != nil {
		t.Fatal(err)
	}
	for conn := range 2 {
		soon("added elsewhere", conn, "stripes", a.ImageURL)
	}
	// Sending zebra b from the second bot makes it the most used.
	d := relCommand(t, ctx, fs, "zebra b", slacksim.OnConn(1))
	preview := fs.WaitResponse(ctx, d.ResponseURL)
	if send := fs.BlockAction(ctx, slacksim.Click{User: "U1", Message: preview.Message, ActionID: "sticker_send"}, slacksim.OnConn(1)); send.Err != nil {
		t.Fatal(send.Err)
	}
	for conn := range 2 {
		soon("used on the other bot", conn, "stripes", b.ImageURL)
	}
	if _, err := st.Delete(context.Background(), b.ID); err != nil {
		t.Fatal(err)
	}
	for conn := range 2 {
		soon("deleted elsewhere", conn, "stripes", a.ImageURL)
	}
}
