package handlers

// The preview's Send button: the sticker goes into the conversation.

import (
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/sticker"
)

// send posts the sticker into the channel as the bot, saying who sent it
// and how (by name and picture, without notifying them), then removes the
// preview and counts the use.
//
// chat.postMessage fails where the bot is not a member (DMs, private
// channels); there the interaction's response_url, which bypasses channel
// membership, posts it in_channel instead.
func (b *Bot) send(ctx context.Context, r *request) error {
	state, to, ok := b.previewButton(ctx, r)
	if !ok {
		return nil
	}
	st, err := b.library.Get(ctx, state.StickerID)
	if err != nil {
		return b.storeFailure(ctx, to, replyReplace, err)
	}
	path := "chat.postMessage"
	by := b.sender(ctx, to.user, r.ic.User.Name)
	var opts []slack.MsgOption
	err = b.showSticker(ctx, &st, func(st sticker.Sticker) error {
		opts = sendOptions(st, by, state.Origin, to)
		_, _, err := b.slack.PostMessageContext(ctx, to.channel, opts...)
		return b.wrapSlack("chat.postMessage", err)
	})
	explain := err
	if code := slackError(err); code == "not_in_channel" || code == "channel_not_found" {
		path = "response_url"
		_, _, err = b.slack.PostMessageContext(ctx, to.channel,
			append(opts, slack.MsgOptionResponseURL(to.responseURL, slack.ResponseTypeInChannel))...)
		err = b.wrapSlack("response_url", err)
	}
	if err != nil {
		// When both paths fail, the channel's own error says more than
		// the response_url's.
		b.notice(ctx, to, replyNew, sendFailedText(explain))
		return fmt.Errorf("send sticker %d via %s: %w", st.ID, path, err)
	}
	b.log.Info("sticker sent", "sticker_id", st.ID, "user", to.user, "channel", to.channel, "via", path)
	if err := b.respond(ctx, to, replyDelete, md{}, nil); err != nil {
		b.log.Warn("cannot remove the preview", "err", err)
	}
	if err := b.library.RecordSend(ctx, st.ID, to.user, to.channel); err != nil {
		// The sticker is in the channel; only the count is lost.
		b.log.Warn("cannot record the send", "sticker_id", st.ID, "err", err)
	}
	return nil
}

// sendOptions builds the message that posts st, sent by by, into to.
func sendOptions(st sticker.Sticker, by sender, how origin, to replyTo) []slack.MsgOption {
	blocks, text := sentMessage(st, by, how)
	opts := []slack.MsgOption{slack.MsgOptionText(text.s, false), slack.MsgOptionBlocks(blocks...)}
	if to.threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(to.threadTS))
	}
	return opts
}

func sendFailedText(err error) md {
	switch code := slackError(err); code {
	case "not_in_channel", "channel_not_found", "is_archived", "restricted_action":
		return mdf("I can't post in this conversation (%s). Invite me with `/invite @stickerbot`, or try another channel.", code)
	case "ratelimited":
		return mdf("Slack asked me to slow down. Please send it again in a minute.")
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return mdf("Slack didn't take the sticker (it answered %s). Please try again in a minute.", sc.Status)
	}
	return mdf("Slack didn't take the sticker. Please try again in a minute.")
}
