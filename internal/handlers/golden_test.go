package handlers

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stickerbot/stickerbot/internal/sticker"
)

var unHTML = strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&")

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json with what the bot builds now")

// TestGolden pins the Block Kit users see, so that a change to it shows
// up in review: run `go test ./internal/handlers -run TestGolden -update`
// after a deliberate change and commit the files.
func TestGolden(t *testing.T) {
	st := sticker.Sticker{ID: 42, Name: "party <parrot> & co", Tags: []string{"party", "파티", "`yay`"},
		ImageURL: "https://x.example/parrot.gif"}
	uploaded := sticker.Sticker{ID: 43, Name: "ねこ", SlackFileID: "F0123ABCD"}
	state := buttonState{StickerID: st.ID, Pos: 2, Origin: originMention, ThreadTS: "1700000000.000100", Query: "party <!channel>"}
	ana := sender{Name: "Ana <@U999> & co", Avatar: "https://avatars.example.com/U123-48.png"}
	sent, text := sentMessage(st, ana, originCommand, "abcdefgh23456777")
	sentMention, textMention := sentMessage(uploaded, sender{Name: "ben"}, originMention, "abcdefgh23456777")
	never := st
	never.UsageCount = 0
	listed := []sticker.Sticker{
		{ID: 1, Name: "cat", Tags: []string{"kitty"}, ImageURL: "https://x.example/cat.png", UsageCount: 0},
		{ID: 2, Name: "dog", ImageURL: "https://x.example/dog.png", UsageCount: 1},
		{ID: 3, Name: "owl", SlackFileID: "F0123ABCD", UsageCount: 2},
		{ID: 4, Name: "hidden", UsageCount: 1234},
		{ID: 5, Name: "legacy", ImageURL: "https://例え.jp/ねこ.png", UsageCount: 7},
	}
	admins := &Bot{admins: []string{"U1", "U2", "U3"}}
	meta := modalMeta{Channel: "C1", ResponseURL: "https://hooks.slack.com/commands/T1/1/x"}
	for _, g := range []struct {
		name string
		v    any
	}{
		{"preview", previewMessage(st, state, place{pos: 2, total: 7}, starOff, md{})},
		{"preview_last", previewMessage(uploaded, buttonState{StickerID: uploaded.ID, Pos: 6, Origin: originCommand, Query: "ねこ"},
			place{pos: 6, total: 7}, starOn, md{})},
		{"preview_wrapped", previewMessage(uploaded, buttonState{StickerID: uploaded.ID, Origin: originCommand, Query: "ねこ"},
			place{total: 7}, starOff, mdf("No more matches, back to the best one"))},
		{"preview_only", previewMessage(uploaded, buttonState{StickerID: uploaded.ID, Origin: originCommand, Query: "ねこ"}, place{total: 1}, starNone, md{})},
		{"preview_capped", previewMessage(st, buttonState{StickerID: st.ID, Pos: 1, Origin: originCommand, Query: "a"}, place{pos: 1, total: 1000, capped: true}, starOff, md{})},
		{"sent", map[string]any{"text": text.s, "blocks": sent}},
		{"sent_mention", map[string]any{"text": textMention.s, "blocks": sentMention}},
		{"add_modal", stickerModal(nil, meta, true)},
		{"add_modal_no_uploads", stickerModal(nil, meta, false)},
		{"delete_never_sent", deleteMessage(never)},
		{"list", listMessage(listed, 25, 1)},
		{"favs", favsMessage(listed[:3], 13, 0)},
		{"home_admin", homeView(goldenHome(listed), homeMeta{Channel: "C1"}, true, true, mdf("Sent %s to %s.", bold("cat"), conversationName("C1")))},
		{"home_member", homeView(goldenHome(listed), homeMeta{}, false, true, md{})},
		{"stats_team", teamStatsMessage(*goldenHome(listed).Team)},
		{"stats_user", userStatsMessage(sticker.UserStats{WeekSends: 3, AllSends: 40, Days: goldenHome(listed).Team.Days,
			Top: goldenHome(listed).Popular, Favourites: 2})},
		{"refusals", map[string]string{
			"list":           admins.adminsOnly("list stickers").s,
			"one admin":      (&Bot{admins: []string{"U1"}}).adminsOnly("delete stickers").s,
			"many admins":    (&Bot{admins: []string{"U1", "U2", "U3", "U4", "U5", "U6", "U7"}}).adminsOnly("add stickers").s,
			"no admins":      (&Bot{}).adminsOnly("edit stickers").s,
			"usage":          usageText.s,
			"bad button":     msgBadButton.s,
			"list page help": mdf("Use `/sticker list` or `/sticker list <page number>`.").s,
		}},
	} {
		t.Run(g.name, func(t *testing.T) {
			raw, err := json.MarshalIndent(g.v, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			// <, > and & as Slack gets them, to review the escaping: Go
			// writes them as \u003c…, and the test data holds no
			// backslash that could make this replacement wrong.
			got := []byte(unHTML.Replace(string(raw)) + "\n")
			path := filepath.Join("testdata", g.name+".golden.json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s changed; if that is meant, run with -update and review the diff. Now:\n%s", path, got)
			}
		})
	}
}

// goldenHome is a Home tab's contents, the same on every run.
func goldenHome(listed []sticker.Sticker) sticker.Home {
	days := make([]sticker.DayCount, homeDays)
	for i := range days {
		days[i] = sticker.DayCount{Day: time.Date(2026, 11, 18+i, 0, 0, 0, 0, time.UTC), Sends: int64((i * 7) % 23)}
	}
	top := []sticker.StickerCount{{Sticker: listed[1], Sends: 120}, {Sticker: listed[2], Sends: 7}}
	return sticker.Home{Library: 25, Favourites: listed[:2], FavouritesTotal: 9, Recents: listed[1:3], Popular: top,
		Team:   &sticker.Stats{Days: days, WeekSends: 127, WeekSenders: 4, Top: top, NeverSent: 1, NeverSentSample: listed[:1], Library: 25},
		Newest: []sticker.Sticker{{ID: 9, Name: "new one", CreatedAt: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}}}
}
