package handlers

// Sending from the picker: one click on a result's Send posts it where the
// picker was opened for, through the same code as the preview's Send
// (deliver: attribution, the not-in-channel fallback, the count), and
// confirms in the picker, which stays open for another.
//
// A block_actions cannot close a modal, and carries no response_url: only
// a view_submission can close it, and only a view_submission carries the
// response_urls of a conversations_select with response_url_enabled. So:
//   - "/sticker": Send posts with chat.postMessage, or through the
//     command's response_url (kept in the picker's metadata) where the bot
//     is not a member, as the preview does;
//   - "Reply with a sticker": Send posts into the thread where the bot may
//     post, and otherwise says why: a response_url would post into the
//     channel, not the thread;
//   - "Send a sticker": Send posts into the conversation chosen in the
//     picker where the bot is a member; elsewhere it asks the user to press
//     the picker's Send (Submit) button, whose view_submission carries the
//     chosen conversation's response_url, which posts anywhere the user
//     can.

import (
	"context"
	"errors"
	"strconv"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/envelope"
	"github.com/stickerbot/stickerbot/internal/sticker"
)

// fieldUnavailable is msgUnavailable as a field error (plain text).
const fieldUnavailable = "Stickers are unavailable right now, try again in a minute."

// pickerSend: a result's Send button.
func (b *Bot) pickerSend(ctx context.Context, r *request) error {
	meta, ok := b.pickerAction(ctx, r)
	if !ok {
		return nil
	}
	meta.Pending = 0
	viewID, hash := r.ic.View.ID, r.ic.View.Hash
	seq := actionSeq(r.action.ActionTs)
	confirm := func(note md) { b.render(ctx, viewID, renderJob{meta: meta, note: note, hash: hash, seq: seq}) }
	id, err := strconv.ParseInt(r.action.Value, 10, 64)
	if err != nil || id <= 0 {
		b.log.Warn("bad picker send button", "user", r.user, "value", clip(r.action.Value, 100))
		confirm(mdf("That button doesn't work. Search again."))
		return nil
	}
	to := replyTo{user: r.user, channel: meta.Channel, threadTS: meta.ThreadTS, responseURL: meta.ResponseURL}
	if meta.Kind == pickAnywhere {
		to.channel = chosenConversation(r.ic)
		if to.channel == "" {
			confirm(mdf(":point_up: Choose where to send it first, under *Send to*."))
			return nil
		}
	}
	st, err := b.library.Get(ctx, id)
	if errors.Is(err, sticker.ErrNotFound) {
		confirm(mdf("That sticker was deleted meanwhile."))
		return nil
	}
	if err != nil {
		confirm(msgUnavailable)
		return err
	}
	err = b.deliver(ctx, &st, to, r.ic.User.Name, meta.origin())
	var se *sendError
	if errors.As(err, &se) && meta.Kind == pickAnywhere && notMember(se.explain) {
		meta.Pending = st.ID
		confirm(mdf("I'm not a member of %s, so Slack has to post %s for you: press *Send* below.", conversationName(to.channel), bold(st.Name)))
		return nil
	}
	if err != nil {
		confirm(sendFailedText(err))
		return err
	}
	confirm(mdf(":white_check_mark: Sent %s %s.", bold(st.Name), where(to)))
	return nil
}

// where says where to posts into: "in the thread", "to #x".
func where(to replyTo) md {
	if to.threadTS != "" {
		return mdf("in the thread")
	}
	return mdf("to %s", conversationName(to.channel))
}

// conversationName names a conversation: a channel by a link Slack shows
// as its name; a DM as "the conversation".
func conversationName(id string) md {
	if conversationID.MatchString(id) && id[0] != 'D' {
		return channelLink(id)
	}
	return mdf("the conversation")
}

// chosenConversation is the conversation chosen in the picker's menu, or
// "" when none is.
func chosenConversation(ic *slack.InteractionCallback) string {
	return chosenIn(ic, blockPickerWhere, actionPickerWhere)
}

// chosenIn is the conversation chosen in the conversations_select action
// of block in the view ic came from, or "" when none is (or it is none).
func chosenIn(ic *slack.InteractionCallback, block, action string) string {
	if ic.View.State == nil {
		return ""
	}
	c := ic.View.State.Values[block][action].SelectedConversation
	if !conversationID.MatchString(c) {
		return ""
	}
	return c
}

// pickerSubmitted answers the picker's Submit button: "Done" closes it;
// "Send", there when a Send could not post itself (see pickerSend), posts
// the pending sticker through the response_url Slack gives for the chosen
// conversation, and closes the picker. It runs within the ack budget: a
// failure is a field error, in the ack.
func (b *Bot) pickerSubmitted(ctx context.Context, r *request) envelope.Ack {
	ic := r.ic
	meta, err := b.decodeMeta(ic.View.PrivateMetadata, r.user)
	if err != nil {
		b.log.Warn("picker submitted with bad metadata", "envelope_id", r.env.ID, "user", r.user)
		return fieldErrors(blockPickerSearch, "This picker is out of date. Close it and open a new one.")
	}
	if meta.Pending == 0 {
		return nil
	}
	var to replyTo
	for _, u := range ic.ResponseURLs {
		if u.BlockID == blockPickerWhere && conversationID.MatchString(u.ChannelID) && u.ResponseURL != "" {
			to = replyTo{user: r.user, channel: u.ChannelID, responseURL: u.ResponseURL}
		}
	}
	if to.channel == "" {
		return fieldErrors(blockPickerWhere, "Choose where to send it.")
	}
	work, cancel := ackWork(ctx)
	defer cancel()
	st, err := b.library.Get(work, meta.Pending)
	if err != nil {
		b.log.Info("cannot send a picker's pending sticker", "sticker_id", meta.Pending, "err", err)
		if errors.Is(err, sticker.ErrNotFound) {
			return fieldErrors(blockPickerWhere, "That sticker was deleted meanwhile.")
		}
		return fieldErrors(blockPickerWhere, fieldUnavailable)
	}
	if err := b.deliver(work, &st, to, ic.User.Name, meta.origin()); err != nil {
		b.log.Warn("cannot send from a picker", "envelope_id", r.env.ID, "err", err)
		return fieldErrors(blockPickerWhere, sendFailedPlain(err))
	}
	return nil
}
