package slacksim

import (
	"context"
	"fmt"
	"slices"
)

// UserMessage is a person posting a message in a channel (or a thread).
type UserMessage struct {
	User    string
	Channel string
	Text    string
	// ThreadTS makes it a reply in that thread.
	ThreadTS string
}

// PostUserMessage stores a message written by a person, as the channel's
// members see it. It sends no event: deliver the app_mention or message
// event the bot subscribes to with [Server.Event]. As with
// [Server.SlashCommand], User becomes a member of the channel (unknown
// channels are created).
func (s *Server) PostUserMessage(um UserMessage) (Message, error) {
	if um.User == "" || um.Channel == "" || um.Text == "" {
		return Message{}, fmt.Errorf("slacksim: UserMessage needs a User, a Channel and a Text")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensureChannelLocked(um.Channel, um.User)
	if um.ThreadTS != "" {
		if p := s.findMessageLocked(um.Channel, um.ThreadTS); p == nil || p.Deleted {
			return Message{}, fmt.Errorf("slacksim: no message %s in %s to reply to", um.ThreadTS, um.Channel)
		}
	}
	m := s.addMessageLocked(&Message{Channel: um.Channel, ThreadTS: um.ThreadTS, User: um.User, Author: um.User,
		Text: um.Text, Source: SourceUser})
	return m.clone(), nil
}

// SourceUser is the Message.Source of a message a person wrote
// ([Server.PostUserMessage]).
const SourceUser = "user"

// MessageShortcut is a person choosing one of the app's message shortcuts
// in a message's "More actions" menu.
type MessageShortcut struct {
	User     string
	UserName string // defaults to User in lower case
	// CallbackID is the shortcut's callback_id (the manifest's
	// shortcuts[].callback_id).
	CallbackID string
	// Message is the message the menu was opened on (as returned by
	// [Server.Messages] or [Server.PostUserMessage]); only its TS is used.
	Message Message
}

// MessageShortcut sends a message_action interaction, the payload Slack
// sends for a message shortcut: callback_id, a fresh trigger_id and
// response_url, the channel, the whole message (with thread_ts when it is a
// reply) and message_ts. Like the Slack client, it offers no shortcuts on
// deleted or ephemeral messages, nor to people who cannot see the channel
// (Delivery.Err says why, and nothing is sent). The response_url posts into
// the channel; Slack does not document replace_original or delete_original
// for it, so the simulator treats it as having no original message.
func (s *Server) MessageShortcut(ctx context.Context, ms MessageShortcut, opts ...DeliverOption) Delivery {
	if ms.User == "" || ms.CallbackID == "" || ms.Message.TS == "" {
		return Delivery{Type: TypeInteractive, Conn: -1, Err: fmt.Errorf("slacksim: MessageShortcut needs a User, a CallbackID and a Message")}
	}
	if a := s.cfg.app; a != nil && !slices.Contains(a.MessageShortcuts, ms.CallbackID) {
		return Delivery{Type: TypeInteractive, Conn: -1, Err: fmt.Errorf("the app has no message shortcut %q", ms.CallbackID)}
	}
	s.mu.Lock()
	m := s.findMessageLocked(ms.Message.Channel, ms.Message.TS)
	switch {
	case m == nil || m.Deleted:
		s.mu.Unlock()
		return Delivery{Type: TypeInteractive, Conn: -1, Err: fmt.Errorf("message %s does not exist (deleted?)", ms.Message.TS)}
	case m.Ephemeral:
		s.mu.Unlock()
		return Delivery{Type: TypeInteractive, Conn: -1, Err: fmt.Errorf("message %s is ephemeral: it has no shortcuts", m.TS)}
	}
	ch := s.ensureChannelLocked(m.Channel, "")
	if (ch.Private || ch.ID[0] == 'D' || ch.ID[0] == 'G') && !slices.Contains(ch.Members, ms.User) {
		s.mu.Unlock()
		return Delivery{Type: TypeInteractive, Conn: -1, Err: fmt.Errorf("user %s cannot see %s", ms.User, ch.ID)}
	}
	env := &envelope{id: newUUID(), typ: TypeInteractive, interaction: "message_action", user: ms.User, channel: m.Channel}
	env.responseURL = s.newResponseURLLocked("app", env.id, ms.User, m.Channel, "")
	env.triggerID = s.newTriggerLocked(ms.User, env.id)
	p := map[string]any{
		"type": "message_action", "token": VerificationToken, "action_ts": actionTS(),
		"team": map[string]any{"id": TeamID, "domain": TeamDomain}, "user": userJSON(ms.User, ms.UserName),
		"channel": map[string]any{"id": ch.ID, "name": ch.Name}, "is_enterprise_install": false,
		"enterprise": nil, "callback_id": ms.CallbackID, "trigger_id": env.triggerID,
		"response_url": env.responseURL, "message_ts": m.TS, "message": messageJSON(m),
	}
	s.mu.Unlock()
	env.payload = mustJSON(p)
	return s.dispatch(ctx, env, applyDeliverOpts(opts), -1)
}

// GlobalShortcut is a person choosing one of the app's global shortcuts
// (the shortcuts menu, or the search bar).
type GlobalShortcut struct {
	User       string
	UserName   string // defaults to User in lower case
	CallbackID string
}

// GlobalShortcut sends a shortcut interaction, the payload Slack sends for
// a global shortcut: callback_id and a fresh trigger_id, and no channel and
// no response_url (a modal opened from it must ask where to post).
func (s *Server) GlobalShortcut(ctx context.Context, gs GlobalShortcut, opts ...DeliverOption) Delivery {
	if gs.User == "" || gs.CallbackID == "" {
		return Delivery{Type: TypeInteractive, Conn: -1, Err: fmt.Errorf("slacksim: GlobalShortcut needs a User and a CallbackID")}
	}
	if a := s.cfg.app; a != nil && !slices.Contains(a.GlobalShortcuts, gs.CallbackID) {
		return Delivery{Type: TypeInteractive, Conn: -1, Err: fmt.Errorf("the app has no global shortcut %q", gs.CallbackID)}
	}
	s.mu.Lock()
	env := &envelope{id: newUUID(), typ: TypeInteractive, interaction: "shortcut", user: gs.User}
	env.triggerID = s.newTriggerLocked(gs.User, env.id)
	p := map[string]any{
		"type": "shortcut", "token": VerificationToken, "action_ts": actionTS(),
		"team": map[string]any{"id": TeamID, "domain": TeamDomain}, "user": userJSON(gs.User, gs.UserName),
		"is_enterprise_install": false, "enterprise": nil,
		"callback_id": gs.CallbackID, "trigger_id": env.triggerID,
	}
	s.mu.Unlock()
	env.payload = mustJSON(p)
	return s.dispatch(ctx, env, applyDeliverOpts(opts), -1)
}
