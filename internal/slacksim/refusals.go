package slacksim

import (
	"slices"
	"strings"
	"time"
)

// Refusal is a call of the app that Slack refused for what it sent:
// invalid blocks, an over-long text, an expired trigger_id, a used-up
// response_url. Slack only tells the app; the playground shows it where
// the message (or modal) would have appeared. Failures injected with
// [Server.FailNext] and answers the app expects in normal operation
// (not_in_channel, channel_not_found, file_not_found) are not refusals.
type Refusal struct {
	Method string
	Error  string
	// Detail is Slack's explanation (response_metadata.messages).
	Detail []string
	// Channel is where it would have appeared; User, when set, the one
	// person who would have seen it (an ephemeral message, a modal).
	Channel, User string
	// TS orders it among the channel's messages.
	TS string
	At time.Time
}

// refusedCodes are the error codes that mean the app sent something Slack
// does not take.
var refusedCodes = []string{
	"invalid_blocks", "invalid_blocks_format", "msg_too_long", "no_text", "invalid_arguments", "invalid_attachments",
	"view_too_large", "expired_trigger_id", "exchanged_trigger_id", "invalid_trigger_id", "push_limit_reached",
	"hash_conflict", "not_enabled", "invalid_json", "invalid_form_data",
	// response_url answers
	"used_url", "expired_url", "invalid_url", "invalid_payload",
}

// Refusals returns the refused calls so far, in order.
func (s *Server) Refusals() []Refusal {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Refusal, len(s.refusals))
	for i, r := range s.refusals {
		out[i] = r
		out[i].Detail = append([]string(nil), r.Detail...)
	}
	return out
}

// noteRefusalLocked records a refused Web API call (by its arguments and
// answer) where it would have been seen. s.mu must be held.
func (s *Server) noteRefusalLocked(method string, a apiArgs, code string, body map[string]any) {
	if !slices.Contains(refusedCodes, code) {
		return
	}
	r := Refusal{Method: method, Error: code, Detail: detailOf(body), At: time.Now()}
	switch method {
	case "chat.postMessage", "chat.update", "chat.delete", "chat.postEphemeral", "files.completeUploadExternal":
		r.Channel = a.get("channel")
		if r.Channel == "" {
			r.Channel = a.get("channel_id")
		}
		if len(r.Channel) > 1 && (r.Channel[0] == 'U' || r.Channel[0] == 'W') {
			r.Channel = s.dmWithBotLocked(r.Channel).ID
		}
		if method == "chat.postEphemeral" {
			r.User = a.get("user")
		}
	case "views.open", "views.push":
		tr := s.triggers[a.get("trigger_id")]
		if tr == nil {
			return // nobody to show it to
		}
		r.User = tr.user
		if env := s.envelopes[tr.envelopeID]; env != nil && env.channel != "" {
			r.Channel = env.channel
		} else {
			r.Channel = s.dmWithBotLocked(tr.user).ID
		}
	case "views.update":
		v := s.views[a.get("view_id")]
		if v == nil {
			return
		}
		r.User, r.Channel = v.user, s.dmWithBotLocked(v.user).ID
	case "views.publish":
		u := a.get("user_id")
		if u == "" {
			return
		}
		r.User, r.Channel = u, s.dmWithBotLocked(u).ID
	default:
		return
	}
	if s.channels[r.Channel] == nil {
		return
	}
	s.addRefusalLocked(r)
}

// addRefusalLocked records r and logs it: the playground doubles as the
// bot's development tool. s.mu must be held.
func (s *Server) addRefusalLocked(r Refusal) {
	r.TS = s.newTSLocked()
	s.refusals = append(s.refusals, r)
	s.cfg.logger.Warn("Slack refused a call of the app", "method", r.Method, "error", r.Error, "detail", strings.Join(r.Detail, "; "), "channel", r.Channel)
	s.notifyLocked()
}

// noteResponseRefusalLocked records a refused response_url post. s.mu must
// be held.
func (s *Server) noteResponseRefusalLocked(u, answer string) {
	ru := s.responseURLs[u]
	if ru == nil || !slices.Contains(refusedCodes, answer) {
		return
	}
	s.addRefusalLocked(Refusal{Method: MethodResponseURL, Error: answer, Channel: ru.channel, User: ru.user, At: time.Now()})
}

func detailOf(body map[string]any) []string {
	var out []string
	if md, ok := body["response_metadata"].(map[string]any); ok {
		if msgs, ok := md["messages"].([]string); ok {
			out = append(out, msgs...)
		}
	}
	return out
}
