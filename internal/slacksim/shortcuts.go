package slacksim

import (
	"context"
	"fmt"
	"slices"
)

// GlobalShortcut is user choosing one of the app's global shortcuts: a
// "shortcut" interaction with a trigger_id and no channel or
// response_url. A callback ID the app does not have sends nothing
// (Delivery.Err).
func (s *Server) GlobalShortcut(ctx context.Context, user, callbackID string) Delivery {
	if a := s.app(); s.cfg.app != nil && !slices.Contains(a.GlobalShortcuts, callbackID) {
		return Delivery{Conn: -1, Err: fmt.Errorf("the app has no global shortcut %q", callbackID)}
	}
	s.mu.Lock()
	env := &envelope{id: newUUID(), typ: TypeInteractive, interaction: "shortcut", user: user}
	env.triggerID = s.newTriggerLocked(user, env.id)
	u, _ := s.user(user)
	s.mu.Unlock()
	env.payload = mustJSON(map[string]any{
		"type": "shortcut", "token": VerificationToken, "action_ts": actionTS(),
		"team": map[string]any{"id": TeamID, "domain": TeamDomain}, "user": userJSON(user, u.Name),
		"is_enterprise_install": false, "enterprise": nil,
		"callback_id": callbackID, "trigger_id": env.triggerID,
	})
	d := s.dispatch(ctx, env, applyDeliverOpts(nil), -1)
	s.watchUserError(d, user, s.dmWithBot(user), "")
	return d
}

func (s *Server) dmWithBot(user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dmWithBotLocked(user).ID
}

// MessageShortcut is user choosing one of the app's message shortcuts in
// a message's "More actions" menu: a "message_action" interaction with
// the whole message, a trigger_id and a response_url that posts into the
// message's channel. Ephemeral messages have no such menu; they, unknown
// messages and unknown callback IDs send nothing (Delivery.Err).
func (s *Server) MessageShortcut(ctx context.Context, user, callbackID, channel, ts string) Delivery {
	if a := s.app(); s.cfg.app != nil && !slices.Contains(a.MessageShortcuts, callbackID) {
		return Delivery{Conn: -1, Err: fmt.Errorf("the app has no message shortcut %q", callbackID)}
	}
	s.mu.Lock()
	m := s.findMessageLocked(channel, ts)
	if m == nil || m.Deleted || m.Ephemeral {
		s.mu.Unlock()
		return Delivery{Conn: -1, Err: fmt.Errorf("no message %s in %s", ts, channel)}
	}
	ch := s.ensureChannelLocked(channel, "")
	if !slices.Contains(ch.Members, user) {
		s.mu.Unlock()
		return Delivery{Conn: -1, Err: fmt.Errorf("%s is not in %s", user, channel)}
	}
	env := &envelope{id: newUUID(), typ: TypeInteractive, interaction: "message_action", user: user, channel: channel}
	env.triggerID = s.newTriggerLocked(user, env.id)
	env.responseURL = s.newResponseURLLocked("message_action", env.id, user, channel, "")
	msg := s.userMessageJSONLocked(m)
	u, _ := s.user(user)
	s.mu.Unlock()
	env.payload = mustJSON(map[string]any{
		"type": "message_action", "token": VerificationToken, "action_ts": actionTS(),
		"team": map[string]any{"id": TeamID, "domain": TeamDomain}, "user": userJSON(user, u.Name),
		"channel": map[string]any{"id": ch.ID, "name": ch.Name}, "is_enterprise_install": false, "enterprise": nil,
		"callback_id": callbackID, "trigger_id": env.triggerID, "response_url": env.responseURL,
		"message_ts": m.TS, "message": msg,
	})
	d := s.dispatch(ctx, env, applyDeliverOpts(nil), -1)
	s.watchUserError(d, user, channel, "")
	return d
}

// userMessageJSONLocked renders m as Slack's message object, whoever
// wrote it. s.mu must be held.
func (s *Server) userMessageJSONLocked(m *Message) map[string]any {
	if m.Author == "" || m.Author == BotUserID {
		return messageJSON(m)
	}
	o := map[string]any{"type": "message", "user": m.Author, "text": m.Text, "ts": m.TS, "team": TeamID}
	if m.ThreadTS != "" {
		o["thread_ts"] = m.ThreadTS
	}
	if len(m.Blocks) > 0 {
		o["blocks"] = m.Blocks
	}
	return o
}
