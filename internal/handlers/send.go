package handlers

// The preview's Send button: the sticker goes into the conversation.

import (
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/sticker"
)

// send posts the sticker into the channel as the bot, saying who sent it,
// then removes the preview and counts the use.
func (b *Bot) send(ctx context.Context, r *request) error {
	state, to, ok := b.previewButton(ctx, r)
	if !ok {
		return nil
	}
	st, err := b.library.Get(ctx, state.StickerID)
	if err != nil {
		return b.storeFailure(ctx, to, replyReplace, err)
	}
	if err := b.deliver(ctx, &st, to); err != nil {
		b.notice(ctx, to, replyNew, sendFailedText(err))
		return err
	}
	if err := b.respond(ctx, to, replyDelete, "", nil); err != nil {
		b.log.Warn("cannot remove the preview", "err", err)
	}
	return nil
}

// deliver posts *st into to.channel (in to.threadTS, if set) as the bot,
// saying that to.user sent it, and counts the use. Every Send goes
// through it: the preview's and the picker's.
//
// chat.postMessage fails where the bot is not a member (DMs, private
// channels); there the interaction's response_url (to.responseURL, when
// there is one), which bypasses channel membership, posts it in_channel
// instead. A failure is a *sendError: sendFailedText says it to the user.
func (b *Bot) deliver(ctx context.Context, st *sticker.Sticker, to replyTo) error {
	path := "chat.postMessage"
	var opts []slack.MsgOption
	err := b.showSticker(ctx, st, func(st sticker.Sticker) error {
		opts = sendOptions(st, to)
		_, _, err := b.slack.PostMessageContext(ctx, to.channel, opts...)
		return b.wrapSlack("chat.postMessage", err)
	})
	explain := err
	if code := slackError(err); to.responseURL != "" && (code == "not_in_channel" || code == "channel_not_found") {
		path = "response_url"
		_, _, err = b.slack.PostMessageContext(ctx, to.channel,
			append(opts, slack.MsgOptionResponseURL(to.responseURL, slack.ResponseTypeInChannel))...)
		err = b.wrapSlack("response_url", err)
	}
	if err != nil {
		return &sendError{explain: explain, err: fmt.Errorf("send sticker %d via %s: %w", st.ID, path, err)}
	}
	b.log.Info("sticker sent", "sticker_id", st.ID, "user", to.user, "channel", to.channel, "via", path)
	if err := b.library.RecordSend(ctx, st.ID, to.user, to.channel); err != nil {
		// The sticker is in the channel; only the count is lost.
		b.log.Warn("cannot record the send", "sticker_id", st.ID, "err", err)
	}
	return nil
}

// sendError is a Send that failed on every path: err for the log, and
// explain, the channel's own refusal, for the user (when both paths fail
// it says more than the response_url's).
type sendError struct{ explain, err error }

func (e *sendError) Error() string { return e.err.Error() }
func (e *sendError) Unwrap() error { return e.err }

// sendOptions builds the message that posts st for to.user.
func sendOptions(st sticker.Sticker, to replyTo) []slack.MsgOption {
	blocks, text := sentMessage(st, to.user)
	opts := []slack.MsgOption{slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)}
	if to.threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(to.threadTS))
	}
	return opts
}

// sendFailedText says why a Send failed (a *sendError, or a Web API
// error) and what to do.
func sendFailedText(err error) string {
	var se *sendError
	if errors.As(err, &se) {
		err = se.explain
	}
	switch code := slackError(err); code {
	case "not_in_channel", "channel_not_found", "is_archived", "restricted_action":
		return "I can't post in this conversation (" + code + "). Invite me with `/invite @stickerbot`, or try another channel."
	case "ratelimited":
		return "Slack asked me to slow down. Please send it again in a minute."
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return "Slack didn't take the sticker (it answered " + sc.Status + "). Please try again in a minute."
	}
	return "Slack didn't take the sticker. Please try again in a minute."
}
