package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"golang.org/x/text/unicode/norm"

	"github.com/stickerbot/stickerbot/internal/search"
	"github.com/stickerbot/stickerbot/internal/sticker"
)

func (b *Bot) slashCommand(ctx context.Context, req socketmode.Request) error {
	var cmd slack.SlashCommand
	if err := json.Unmarshal(req.Payload, &cmd); err != nil || cmd.UserID == "" || cmd.ResponseURL == "" {
		return fmt.Errorf("slash command: %w", errMalformed)
	}
	c := parseCommand(cmd.Text)
	// add and edit open a modal with the command's trigger_id, which lives
	// 3 seconds and works once: that is their protection against doing the
	// work twice, and a database round trip first would eat into it.
	if c.Verb != "add" && c.Verb != "edit" {
		key := "cmd:" + cmd.TriggerID
		if cmd.TriggerID == "" {
			key = "env:" + req.EnvelopeID
		}
		if !b.firstTime(ctx, key, req.EnvelopeID) {
			return nil
		}
	}
	to := replyTo{responseURL: cmd.ResponseURL, channel: cmd.ChannelID, user: cmd.UserID}
	switch c.Verb {
	case "search":
		return b.search(ctx, to, c.Arg)
	case "add", "edit", "delete", "list":
		return b.admin(ctx, cmd, c)
	default: // help, unknown
		return b.respond(ctx, to, replyNew, "How to use /sticker", noticeMessage(usageText))
	}
}

// search shows the best match for query as a preview.
func (b *Bot) search(ctx context.Context, to replyTo, query string) error {
	// The query travels in the buttons: keep it as short as its meaning.
	query = strings.Join(strings.Fields(norm.NFC.String(query)), " ")
	if utf8.RuneCountInString(query) > sticker.MaxQueryLen {
		b.notice(ctx, to, replyNew, msgTooLong)
		return nil
	}
	q, err := search.ParseQuery(query)
	switch {
	case errors.Is(err, search.ErrEmptyQuery):
		return b.respond(ctx, to, replyNew, "How to use /sticker", noticeMessage(usageText))
	case errors.Is(err, search.ErrQueryTooLong):
		b.notice(ctx, to, replyNew, msgTooLong)
		return nil
	}
	start := time.Now()
	m, more, err := b.store.Nth(ctx, q, 0)
	b.obs.Searched(time.Since(start))
	if errors.Is(err, sticker.ErrNotFound) {
		b.notice(ctx, to, replyNew, noMatchText(query))
		return nil
	}
	if err != nil {
		b.notice(ctx, to, replyNew, msgUnavailable)
		return err
	}
	state := buttonState{StickerID: m.ID, Pos: 0, ThreadTS: to.threadTS, Query: query}
	return b.preview(ctx, to, replyNew, m.Sticker, state, more, "")
}

// preview shows st as the preview. When Slack refuses to show its image (a
// dead image URL), the preview goes out without it, so Next still leads
// on to the other matches.
func (b *Bot) preview(ctx context.Context, to replyTo, mode replyMode, st sticker.Sticker, state buttonState, more bool, note string) error {
	err := b.showSticker(ctx, &st, func(st sticker.Sticker) error {
		return b.respond(ctx, to, mode, previewText(st), previewMessage(st, state, more, note))
	})
	if err == nil || !refusedBlocks(err) {
		return err
	}
	b.log.Warn("Slack refused a sticker's image", "sticker_id", st.ID, "err", err)
	blocks := previewMessage(st, state, more, joinNotes(note, msgNoImage))
	return b.respond(ctx, to, mode, previewText(st), blocks[1:])
}

// next replaces the preview with the following match, or starts over from
// the best one after the last.
func (b *Bot) next(ctx context.Context, to replyTo, state buttonState) error {
	q, err := search.ParseQuery(state.Query)
	if err != nil {
		b.notice(ctx, to, replyReplace, msgBadButton)
		return nil
	}
	state.Pos++
	note := ""
	m, more, err := b.store.Nth(ctx, q, state.Pos)
	if errors.Is(err, sticker.ErrNotFound) && state.Pos > 0 {
		// Past the last match (or the library shrank): wrap around.
		state.Pos, note = 0, "No more matches, back to the best one"
		m, more, err = b.store.Nth(ctx, q, 0)
	}
	if errors.Is(err, sticker.ErrNotFound) {
		b.notice(ctx, to, replyReplace, noMatchText(state.Query))
		return nil
	}
	if err != nil {
		b.notice(ctx, to, replyNew, msgUnavailable)
		return err
	}
	state.StickerID = m.ID
	return b.preview(ctx, to, replyReplace, m.Sticker, state, more, note)
}
