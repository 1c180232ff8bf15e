package handlers

// Taking back a sticker: the "Remove sticker" message shortcut deletes a
// sticker the bot posted, for the person who sent it or an admin.
//
// Slack lets a bot token chat.delete only the bot's own messages. A
// sticker posted through a response_url (where the bot is not a member: a
// DM between people, a private channel) is the app's too, but whether
// chat.delete may remove it is not documented, and people report
// cant_update_message for such messages (bolt-js #2063); where the bot is
// not in the conversation, chat.delete cannot even see it
// (channel_not_found). Those refusals are said plainly; the send history
// records which way each sticker went (sticker.Send.Via).

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/stickerbot/stickerbot/internal/sticker"
)

// removeSticker: the "Remove sticker" shortcut on a message.
func (b *Bot) removeSticker(ctx context.Context, r *request) error {
	channel, ts := r.ic.Channel.ID, r.ic.MessageTs
	if ts == "" {
		ts = r.ic.Message.Timestamp
	}
	if !conversationID.MatchString(channel) || !messageTS.MatchString(ts) {
		b.log.Warn("message shortcut without a channel or message", "envelope_id", r.env.ID, "user", r.user)
		return nil
	}
	key := sentKey(r.env.Payload)
	if key == "" {
		b.notice(ctx, r.to, replyNew, mdf("That message isn't a sticker I sent, so I can't remove it."))
		return nil
	}
	if b.activity == nil {
		b.notice(ctx, r.to, replyNew, mdf("Removing stickers is unavailable here."))
		return nil
	}
	rec, err := b.activity.Sent(ctx, key)
	switch {
	case errors.Is(err, sticker.ErrNotFound) && !b.isAdmin(r.user):
		// No record says who sent it: only an admin may take it back.
		b.notice(ctx, r.to, replyNew, b.adminsOnly("remove a sticker I have no record of"))
		return nil
	case err != nil && !errors.Is(err, sticker.ErrNotFound):
		b.notice(ctx, r.to, replyNew, msgUnavailable)
		return err
	case err == nil && (rec.Channel != channel || (rec.TS != "" && rec.TS != ts)):
		// A key copied onto another message (a forged payload): the
		// send it names is not this message.
		b.log.Warn("a sticker's key names another conversation", "user", r.user, "key", key, "channel", channel)
		b.notice(ctx, r.to, replyNew, mdf("That message isn't a sticker I sent, so I can't remove it."))
		return nil
	case err == nil && !rec.RemovedAt.IsZero():
		b.notice(ctx, r.to, replyNew, mdf("That sticker was removed already."))
		return nil
	case err == nil && rec.User != r.user && !b.isAdmin(r.user):
		b.log.Info("refused to remove someone else's sticker", "user", r.user, "sender", rec.User, "key", key)
		b.notice(ctx, r.to, replyNew, mdf("Only the person who sent this sticker, or a sticker admin, can remove it."))
		return nil
	}
	_, _, derr := b.slack.DeleteMessageContext(ctx, channel, ts)
	switch code := slackError(derr); code {
	case "":
	case "message_not_found":
		if err == nil && rec.TS == "" {
			// Which message it was is not known (a response_url post):
			// the one named may be another, so the send stays.
			b.notice(ctx, r.to, replyNew, mdf("That sticker is gone already."))
			return nil
		}
	case "cant_delete_message", "channel_not_found", "not_in_channel":
		b.log.Info("Slack refused to delete a sticker", "user", r.user, "key", key, "via", rec.Via, "err", derr)
		b.notice(ctx, r.to, replyNew, cantDeleteText(via(rec, err), code))
		return nil
	default:
		b.notice(ctx, r.to, replyNew, mdf("Slack didn't delete the sticker. Please try again in a minute."))
		return b.wrapSlack("chat.delete", derr)
	}
	if err == nil {
		if err := b.activity.MarkRemoved(ctx, key, r.user); err != nil {
			b.log.Warn("cannot record a sticker's removal", "key", key, "err", err)
		}
	}
	b.log.Info("sticker removed", "user", r.user, "channel", channel, "ts", ts, "via", rec.Via)
	if derr != nil {
		b.notice(ctx, r.to, replyNew, mdf("That sticker is gone already."))
		return nil
	}
	if rec.StickerName == "" {
		b.notice(ctx, r.to, replyNew, mdf("Removed the sticker."))
		return nil
	}
	b.notice(ctx, r.to, replyNew, mdf("Removed %s.", bold(rec.StickerName)))
	return nil
}

// via is the way rec's sticker was posted, "" when there is no record
// (recErr).
func via(rec sticker.SentRecord, recErr error) string {
	if recErr != nil {
		return ""
	}
	return rec.Via
}

// cantDeleteText says why Slack would not let the bot delete a sticker
// (posted via, or "" when unknown), and what to do instead.
func cantDeleteText(via, code string) md {
	switch {
	case via == sticker.ViaResponseURL:
		return mdf("Slack doesn't let me delete this sticker (%s): I'm not a member of this conversation, "+
			"so Slack posted it for you. A workspace admin can delete it.", code)
	case code == "channel_not_found" || code == "not_in_channel":
		return mdf("Slack doesn't let me delete this sticker (%s): I'm no longer a member of this conversation. "+
			"Invite me back with `/invite @stickerbot` and try again, or ask a workspace admin to delete it.", code)
	}
	return mdf("Slack doesn't let me delete this sticker (%s). A workspace admin can delete it.", code)
}

// sentKey reads a sticker's send key from the message a shortcut came
// with: the block_id of its attribution (see sentMessage); "" when the
// message carries none, and is none of the bot's stickers.
func sentKey(payload []byte) string {
	var p struct {
		Message struct {
			Blocks []struct {
				BlockID string `json:"block_id"`
			} `json:"blocks"`
		} `json:"message"`
	}
	if json.Unmarshal(payload, &p) != nil {
		return ""
	}
	for _, bl := range p.Message.Blocks {
		if key, ok := strings.CutPrefix(bl.BlockID, sentBlockPrefix); ok && validSendKey(key) {
			return key
		}
	}
	return ""
}

// validSendKey reports whether key is one newSendKey could have made.
func validSendKey(key string) bool {
	return len(key) == 16 && strings.Trim(key, "abcdefghijklmnopqrstuvwxyz234567") == ""
}
