package handlers

// Direct messages to the bot (message.im, the Messages tab): a message is
// a search, as "/sticker <words>" is, and "favs" and "stats" are what
// they are after /sticker; a greeting or "help" gets the usage.

import (
	"context"
	"strings"
)

// greetings get the usage rather than a search for "hi".
var greetings = map[string]bool{
	"hi": true, "hello": true, "hey": true, "yo": true, "hiya": true, "help": true, "?": true,
	"안녕": true, "안녕하세요": true, "こんにちは": true, "やあ": true,
}

// directMessage: a message in the bot's DM. Only what a person typed is
// answered: edits, deletions, joins, file shares and the other subtypes
// are not searches, and the bot's own messages are dropped on reading
// (read), so it never answers itself.
func (b *Bot) directMessage(ctx context.Context, r *request) error {
	ev := r.event.Event
	if ev.ChannelType != "im" {
		b.log.Info("ignoring a message outside the bot's DMs", "channel_type", clip(ev.ChannelType, 20), "subscribed", eventMessageIM)
		return nil
	}
	if ev.Subtype != "" {
		return nil
	}
	text := strings.TrimSpace(leadingMentions.ReplaceAllString(ev.Text, ""))
	word := strings.ToLower(strings.Trim(text, "!.~ "))
	c := parseCommand(text)
	switch {
	case greetings[word]:
	case c.Verb == verbSearch:
		return b.find(ctx, r.to, c.Arg, originDM)
	case c.Verb == verbFavs:
		r.arg = c.Arg
		return b.favsCommand(ctx, r)
	case c.Verb == verbStats:
		return b.statsCommand(ctx, r)
	}
	// The other verbs need a slash command (its trigger_id opens modals).
	return b.respond(ctx, r.to, replyNew, mdf("How to use stickerbot"), noticeMessage(dmUsageText))
}
