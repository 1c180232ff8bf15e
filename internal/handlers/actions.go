package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/stickerbot/stickerbot/internal/sticker"
)

func (b *Bot) interaction(ctx context.Context, req socketmode.Request) error {
	var ic slack.InteractionCallback
	if err := json.Unmarshal(req.Payload, &ic); err != nil {
		return fmt.Errorf("interaction: %w", errMalformed)
	}
	if ic.Type != slack.InteractionTypeBlockActions {
		b.log.Info("ignoring interaction", "envelope_id", req.EnvelopeID, "interaction", ic.Type)
		return nil
	}
	if len(ic.ActionCallback.BlockActions) == 0 || ic.User.ID == "" || ic.ResponseURL == "" {
		return fmt.Errorf("block actions: %w", errMalformed)
	}
	key := "act:" + ic.TriggerID
	if ic.TriggerID == "" {
		key = "env:" + req.EnvelopeID
	}
	if !b.firstTime(ctx, key, req.EnvelopeID) {
		return nil
	}
	channel := ic.Channel.ID
	if channel == "" {
		channel = ic.Container.ChannelID
	}
	to := replyTo{responseURL: ic.ResponseURL, channel: channel, user: ic.User.ID}
	action := ic.ActionCallback.BlockActions[0]
	switch action.ActionID {
	case actionSend, actionNext, actionCancel:
	default:
		return b.adminAction(ctx, ic, action)
	}
	state, err := decodeButton(action.Value)
	if err != nil {
		b.log.Warn("bad button value", "envelope_id", req.EnvelopeID, "user", ic.User.ID, "action", action.ActionID)
		b.notice(ctx, to, replyNew, msgBadButton)
		return nil
	}
	to.threadTS = state.ThreadTS
	switch action.ActionID {
	case actionCancel:
		return b.respond(ctx, to, replyDelete, "", nil)
	case actionNext:
		return b.next(ctx, to, state)
	default:
		return b.send(ctx, to, state)
	}
}

// send posts the sticker into the channel as the bot, saying who sent it,
// then removes the preview and counts the use.
//
// chat.postMessage fails where the bot is not a member (DMs, private
// channels); there the interaction's response_url, which bypasses channel
// membership, posts it in_channel instead.
func (b *Bot) send(ctx context.Context, to replyTo, state buttonState) error {
	st, err := b.store.Get(ctx, state.StickerID)
	if err != nil {
		return b.storeFailure(ctx, to, replyReplace, err)
	}
	path := "chat.postMessage"
	var opts []slack.MsgOption
	err = b.showSticker(ctx, &st, func(st sticker.Sticker) error {
		opts = sendOptions(st, to)
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
	if err := b.respond(ctx, to, replyDelete, "", nil); err != nil {
		b.log.Warn("cannot remove the preview", "err", err)
	}
	if err := b.store.RecordSend(ctx, st.ID, to.user, to.channel); err != nil {
		// The sticker is in the channel; only the count is lost.
		b.log.Warn("cannot record the send", "sticker_id", st.ID, "err", err)
	}
	return nil
}

// showSticker runs post, which shows *st. When Slack refuses it because it
// has lost the library's copy of a sticker's image, the stored image is
// uploaded again, *st updated, and post runs once more.
func (b *Bot) showSticker(ctx context.Context, st *sticker.Sticker, post func(sticker.Sticker) error) error {
	err := post(*st)
	if err == nil || st.SlackFileID == "" || !refusedBlocks(err) {
		return err
	}
	fixed, ferr := b.repairImage(ctx, *st)
	if ferr != nil {
		b.log.Warn("cannot repair a sticker's image", "sticker_id", st.ID, "err", ferr)
		return err
	}
	*st = fixed
	return post(fixed)
}

// refusedBlocks reports whether Slack refused a message's blocks: the Web
// API says invalid_blocks; a response_url answers 400.
func refusedBlocks(err error) bool {
	var sc slack.StatusCodeError
	return slackError(err) == "invalid_blocks" || (errors.As(err, &sc) && sc.Code == http.StatusBadRequest)
}

// sendOptions builds the message that posts st for to.user.
func sendOptions(st sticker.Sticker, to replyTo) []slack.MsgOption {
	blocks, text := sentMessage(st, to.user)
	opts := []slack.MsgOption{slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)}
	if to.threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(to.threadTS))
	}
	return opts
}

func sendFailedText(err error) string {
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
