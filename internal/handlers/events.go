package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/slack-go/slack/socketmode"
)

type eventCallback struct {
	Type    string `json:"type"`
	EventID string `json:"event_id"`
	Event   struct {
		Type     string `json:"type"`
		User     string `json:"user"`
		BotID    string `json:"bot_id"`
		Text     string `json:"text"`
		Channel  string `json:"channel"`
		TS       string `json:"ts"`
		ThreadTS string `json:"thread_ts"`
	} `json:"event"`
}

func decodeEvent(payload []byte) (eventCallback, error) {
	var cb eventCallback
	if err := json.Unmarshal(payload, &cb); err != nil {
		return cb, err
	}
	return cb, nil
}

var leadingMentions = regexp.MustCompile(`^(\s*<@[A-Z0-9]+(\|[^>]*)?>)+`)

func (b *Bot) event(ctx context.Context, req socketmode.Request) error {
	cb, err := decodeEvent(req.Payload)
	if err != nil {
		return fmt.Errorf("event: %w", errMalformed)
	}
	if cb.Type != "event_callback" || cb.Event.Type != "app_mention" {
		b.log.Info("ignoring event", "envelope_id", req.EnvelopeID, "type", cb.Type, "event", cb.Event.Type)
		return nil
	}
	if cb.Event.User == "" || cb.Event.Channel == "" || cb.Event.BotID != "" {
		return nil // bots mentioning us, or no one to answer
	}
	key := "ev:" + cb.EventID
	if cb.EventID == "" {
		key = "env:" + req.EnvelopeID
	}
	if !b.firstTime(ctx, key, req.EnvelopeID) {
		return nil
	}
	to := replyTo{channel: cb.Event.Channel, user: cb.Event.User, threadTS: cb.Event.ThreadTS}
	// parseCommand decodes Slack's entities, once: the mentions are
	// stripped first, while their brackets are still real.
	if c := parseCommand(leadingMentions.ReplaceAllString(cb.Event.Text, "")); c.Verb == "search" {
		return b.search(ctx, to, c.Arg)
	}
	return b.respond(ctx, to, replyNew, "How to use stickerbot", noticeMessage(usageText))
}
