package handlers

// Sending a sticker: the preview's Send button, and deliver, which every
// way of sending (the preview, the picker, /sticker favs, the Home tab)
// posts through.

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/sticker"
)

// send posts the preview's sticker into the channel (deliver), then
// removes the preview.
func (b *Bot) send(ctx context.Context, r *request) error {
	state, to, ok := b.previewButton(ctx, r)
	if !ok {
		return nil
	}
	c, ok := b.firstClick(ctx, r, "preview:"+r.ic.Container.MessageTs)
	if !ok {
		return nil
	}
	st, err := b.library.Get(ctx, state.StickerID)
	if err != nil {
		b.release(ctx, c)
		return b.storeFailure(ctx, to, replyReplace, err)
	}
	if err := b.deliver(ctx, &st, to, r.ic.User.Name, state.Origin); err != nil {
		b.releaseIf(ctx, c, err)
		b.notice(ctx, to, replyNew, sendFailedText(err))
		return err
	}
	if err := b.respond(ctx, to, replyDelete, md{}, nil); err != nil {
		b.log.Warn("cannot remove the preview", "err", err)
	}
	return nil
}

// deliver posts *st into to.channel (in to.threadTS, if set) as the bot,
// saying that to.user (whose handle the payload gave) sent it, and how
// (by name and picture, without notifying them), and counts the use.
// Every Send goes through it.
//
// chat.postMessage fails where the bot is not a member (DMs, private
// channels); there the interaction's response_url (to.responseURL, when
// there is one), which bypasses channel membership, posts it in_channel
// instead. A failure is a *sendError: sendFailedText says it to the user.
func (b *Bot) deliver(ctx context.Context, st *sticker.Sticker, to replyTo, handle string, how origin) error {
	path := sticker.ViaPostMessage
	by := b.sender(ctx, to.user, handle)
	key := newSendKey()
	var opts []slack.MsgOption
	var ts string
	err := b.showSticker(ctx, st, func(st sticker.Sticker) error {
		opts = sendOptions(st, by, how, to, key)
		var err error
		_, ts, err = b.slack.PostMessageContext(ctx, to.channel, opts...)
		return b.wrapSlack("chat.postMessage", err)
	})
	explain := err
	if to.responseURL != "" && notMember(err) {
		// The answer to a response_url post says "ok" and no more: the
		// message's ts stays unknown (its key finds it).
		path, ts = sticker.ViaResponseURL, ""
		_, _, err = b.slack.PostMessageContext(ctx, to.channel,
			append(opts, slack.MsgOptionResponseURL(to.responseURL, slack.ResponseTypeInChannel))...)
		err = b.wrapSlack("response_url", err)
	}
	if err != nil {
		return &sendError{explain: explain, err: fmt.Errorf("send sticker %d via %s: %w", st.ID, path, err)}
	}
	b.log.Info("sticker sent", "sticker_id", st.ID, "user", to.user, "channel", to.channel, "via", path, "key", key)
	b.obs.Sent(path)
	snd := sticker.Send{StickerID: st.ID, User: to.user, Channel: to.channel, Key: key, TS: ts, Via: path}
	if err := b.library.RecordSend(ctx, snd); err != nil {
		// The sticker is in the channel; only the count is lost.
		b.log.Warn("cannot record the send", "sticker_id", st.ID, "err", err)
	}
	return nil
}

// newSendKey returns a fresh key for a sent message (sticker.Send.Key):
// 16 characters of [a-z2-7], unguessable, so that a block_id copied into
// another app's message cannot name someone else's send.
func newSendKey() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.EncodeToString(b[:]))
}

// sentBlockPrefix starts the block_id of a sent sticker's attribution; the
// send's key follows (see sentKey).
const sentBlockPrefix = "sent_"

// notMember reports whether err is Slack refusing a post because the bot
// is not in the conversation.
func notMember(err error) bool {
	code := slackError(err)
	return code == "not_in_channel" || code == "channel_not_found"
}

// sendError is a Send that failed on every path: err for the log, and
// explain, the channel's own refusal, for the user (when both paths fail
// it says more than the response_url's).
type sendError struct{ explain, err error }

func (e *sendError) Error() string { return e.err.Error() }
func (e *sendError) Unwrap() error { return e.err }

// sendOptions builds the message that posts st, sent by by, into to.
func sendOptions(st sticker.Sticker, by sender, how origin, to replyTo, key string) []slack.MsgOption {
	blocks, text := sentMessage(st, by, how, key)
	opts := []slack.MsgOption{slack.MsgOptionText(text.s, false), slack.MsgOptionBlocks(blocks...)}
	if to.threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(to.threadTS))
	}
	return opts
}

// sendFailedText says why a Send failed (a *sendError, or a Web API
// error) and what to do.
func sendFailedText(err error) md {
	why, invite := sendFailure(err)
	if invite {
		return mdf("%s Invite me with `/invite @stickerbot`, or try another channel.", why)
	}
	return mdf("%s", why)
}

// sendFailedPlain is sendFailedText in plain text, for a modal's field
// error (which shows no markup).
func sendFailedPlain(err error) string {
	why, invite := sendFailure(err)
	if invite {
		return why + " Invite me with /invite @stickerbot, or try another channel."
	}
	return why
}

// refused reports whether Slack answered err's call with a refusal, so
// that nothing was posted: an error code (ok: false), a rate limit or an
// error status. A timeout or a connection lost is no refusal: Slack may
// have posted.
func refused(err error) bool {
	var (
		se  slack.SlackErrorResponse
		rl  *slack.RateLimitedError
		sc  slack.StatusCodeError
		scp *slack.StatusCodeError
	)
	return errors.As(err, &se) || errors.As(err, &rl) || errors.As(err, &sc) || errors.As(err, &scp)
}

// sendFailure says why a Send failed, and whether inviting the bot would
// help.
func sendFailure(err error) (why string, invite bool) {
	if err != nil && !refused(err) {
		return "Slack didn't answer in time, so I can't tell whether the sticker went out: " +
			"look in the conversation before you send it again.", false
	}
	var se *sendError
	if errors.As(err, &se) {
		err = se.explain
	}
	switch code := slackError(err); code {
	case "not_in_channel", "channel_not_found", "is_archived", "restricted_action":
		return "I can't post in this conversation (" + code + ").", true
	case "ratelimited":
		return "Slack asked me to slow down. Please send it again in a minute.", false
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return "Slack didn't take the sticker (it answered " + sc.Status + "). Please try again in a minute.", false
	}
	return "Slack didn't take the sticker. Please try again in a minute.", false
}
