package handlers

import (
	"context"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// admin handles the library commands (add, edit, delete, list).
func (b *Bot) admin(ctx context.Context, cmd slack.SlashCommand, c command) error {
	to := replyTo{responseURL: cmd.ResponseURL, channel: cmd.ChannelID, user: cmd.UserID}
	if !b.isAdmin(cmd.UserID) {
		b.log.Info("refused a library change", "user", cmd.UserID, "verb", c.Verb)
		b.notice(ctx, to, replyNew, "Only sticker admins can "+c.Verb+" stickers. Ask one of them, or search with `/sticker <words>`.")
		return nil
	}
	b.notice(ctx, to, replyNew, "Managing stickers from Slack is not available yet; use `stickerbot import`.")
	return nil
}

// adminAction handles buttons other than the preview's.
func (b *Bot) adminAction(ctx context.Context, ic slack.InteractionCallback, action *slack.BlockAction) error {
	b.log.Warn("unknown action", "user", ic.User.ID, "action_id", action.ActionID)
	return nil
}

// viewSubmission validates a submitted modal and returns the ack payload
// (nil closes the modal; field errors keep it open).
func (b *Bot) viewSubmission(ctx context.Context, req *socketmode.Request) any {
	b.log.Warn("unexpected view submission", "envelope_id", req.EnvelopeID)
	return nil
}
