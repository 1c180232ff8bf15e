package slacksim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// responseURL is one issued response_url. Guarded by Server.mu.
type responseURL struct {
	url        string
	kind       string // "commands" or "actions"
	envelopeID string
	user       string
	channel    string
	created    time.Time
	uses       int
	original   string // ts of the message an action came from
	last       string // ts of the last message posted through this URL
}

// newResponseURLLocked issues a response_url on the fake's host, like
// https://hooks.slack.com/commands/T.../1234567890123/abcdef... s.mu must be held.
func (s *Server) newResponseURLLocked(kind, envelopeID, user, channel, original string) string {
	u := s.base + "/hooks/" + kind + "/" + TeamID + "/" + randomDigits(13) + "/" + randomHex(12)
	s.responseURLs[u] = &responseURL{url: u, kind: kind, envelopeID: envelopeID, user: user, channel: channel, created: time.Now(), original: original}
	return u
}

// addMessageLocked stores m, assigning its ts. s.mu must be held.
func (s *Server) addMessageLocked(m *Message) *Message {
	m.TS = s.newTSLocked()
	s.messages = append(s.messages, m)
	s.notifyLocked()
	return m
}

// findMessageLocked returns the message with ts in channel (any when channel
// is ""), or nil. s.mu must be held.
func (s *Server) findMessageLocked(channel, ts string) *Message {
	for _, m := range s.messages {
		if m.TS == ts && (channel == "" || m.Channel == channel) {
			return m
		}
	}
	return nil
}

// Messages returns the messages visible in channel (not deleted), oldest
// first, including ephemeral ones (see [Message.User]).
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if m.Channel == channel && !m.Deleted {
			out = append(out, m.clone())
		}
	}
	return out
}

// LookupMessage returns the current state of the message with ts (deleted or
// not) and whether it exists.
func (s *Server) LookupMessage(ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.findMessageLocked("", ts); m != nil {
		return m.clone(), true
	}
	return Message{}, false
}

// messageJSON renders m as Slack's message object (as returned by
// chat.postMessage and sent in block_actions payloads).
func messageJSON(m *Message) map[string]any {
	if m.Source == SourceUser {
		o := map[string]any{"type": "message", "text": m.Text, "user": m.User, "ts": m.TS, "team": TeamID}
		if m.ThreadTS != "" {
			o["thread_ts"] = m.ThreadTS
		}
		return o
	}
	o := map[string]any{
		"type":   "message",
		"text":   m.Text,
		"user":   BotUserID,
		"bot_id": BotID,
		"app_id": AppID,
		"ts":     m.TS,
		"team":   TeamID,
		"blocks": json.RawMessage("[]"),
		"bot_profile": map[string]any{
			"id": BotID, "app_id": AppID, "name": BotName, "team_id": TeamID, "deleted": false,
		},
	}
	if len(m.Blocks) > 0 {
		o["blocks"] = m.Blocks
	}
	if len(m.Attachments) > 0 {
		o["attachments"] = m.Attachments
	}
	if m.ThreadTS != "" {
		o["thread_ts"] = m.ThreadTS
	}
	if m.Username != "" {
		o["username"] = m.Username
	}
	return o
}

// resolvePostChannelLocked maps a channel argument to a channel the bot may post
// in, or returns a Slack error code. A user ID opens (or reuses) the DM. s.mu
// must be held.
func (s *Server) resolvePostChannelLocked(id string) (*Channel, string) {
	if id == "" {
		return nil, "channel_not_found"
	}
	if id[0] == 'U' || id[0] == 'W' {
		dm := "D" + id[1:]
		if s.channels[dm] == nil {
			s.channels[dm] = &Channel{ID: dm, Name: id, BotMember: true, Members: []string{id}}
		}
		id = dm
	}
	ch := s.channels[id]
	switch {
	case ch == nil:
		return nil, "channel_not_found"
	case !ch.BotMember && (ch.Private || id[0] == 'D' || id[0] == 'G'):
		return nil, "channel_not_found"
	case !ch.BotMember:
		return nil, "not_in_channel"
	}
	return ch, ""
}

// messageContent reads and validates text/blocks/attachments arguments. It
// returns the blocks (normalised) or an error response.
func (s *Server) messageContentLocked(a apiArgs, requireContent bool) (json.RawMessage, json.RawMessage, *apiResp) {
	text := a.get("text")
	blocksArg, attArg := a.get("blocks"), a.get("attachments")
	if blocksArg != "" {
		if _, ok := s.validateBlocksLocked(json.RawMessage(blocksArg), surfaceMessage); !ok {
			r := blocksErrResp("invalid_blocks_format", nil)
			return nil, nil, &r
		}
	}
	if requireContent && text == "" && !nonEmptyJSONArray(blocksArg) && !nonEmptyJSONArray(attArg) {
		r := errResp("no_text")
		return nil, nil, &r
	}
	if utf8.RuneCountInString(text) > 40000 {
		r := errResp("msg_too_long")
		return nil, nil, &r
	}
	var blocks json.RawMessage
	if blocksArg != "" {
		errs, ok := s.validateBlocksLocked(json.RawMessage(blocksArg), surfaceMessage)
		if !ok {
			r := blocksErrResp("invalid_blocks_format", nil)
			return nil, nil, &r
		}
		if len(errs) > 0 {
			r := blocksErrResp("invalid_blocks", errs)
			return nil, nil, &r
		}
		blocks = normalizeBlocks(json.RawMessage(blocksArg))
	}
	var att json.RawMessage
	if attArg != "" {
		if !json.Valid([]byte(attArg)) {
			r := errResp("invalid_attachments")
			return nil, nil, &r
		}
		att = json.RawMessage(attArg)
	}
	return blocks, att, nil
}

func nonEmptyJSONArray(s string) bool {
	var v []json.RawMessage
	return json.Unmarshal([]byte(s), &v) == nil && len(v) > 0
}

func (s *Server) chatPostMessage(a apiArgs) apiResp {
	ch, code := s.resolvePostChannelLocked(a.get("channel"))
	if code != "" {
		return errResp(code)
	}
	blocks, att, bad := s.messageContentLocked(a, true)
	if bad != nil {
		return *bad
	}
	m := s.addMessageLocked(&Message{
		Channel: ch.ID, ThreadTS: a.get("thread_ts"), Text: a.get("text"), Blocks: blocks, Attachments: att,
		Source: "chat.postMessage", Username: a.get("username"), IconURL: a.get("icon_url"), IconEmoji: a.get("icon_emoji"),
	})
	return okResp(map[string]any{"channel": ch.ID, "ts": m.TS, "message": messageJSON(m)})
}

func (s *Server) chatPostEphemeral(a apiArgs) apiResp {
	user := a.get("user")
	if user == "" {
		return errResp("user_not_found")
	}
	ch, code := s.resolvePostChannelLocked(a.get("channel"))
	if code != "" {
		return errResp(code)
	}
	if !slices.Contains(ch.Members, user) {
		return errResp("user_not_in_channel")
	}
	blocks, att, bad := s.messageContentLocked(a, true)
	if bad != nil {
		return *bad
	}
	m := s.addMessageLocked(&Message{
		Channel: ch.ID, ThreadTS: a.get("thread_ts"), Ephemeral: true, User: user, Text: a.get("text"),
		Blocks: blocks, Attachments: att, Source: "chat.postEphemeral",
		Username: a.get("username"), IconURL: a.get("icon_url"), IconEmoji: a.get("icon_emoji"),
	})
	return okResp(map[string]any{"message_ts": m.TS})
}

// editableMessageLocked finds the message chat.update or chat.delete (verb
// "update" or "delete") names by channel and ts, or returns Slack's error
// for it. s.mu must be held.
func (s *Server) editableMessageLocked(a apiArgs, verb string) (*Channel, *Message, *apiResp) {
	fail := func(code string) (*Channel, *Message, *apiResp) {
		r := errResp(code)
		return nil, nil, &r
	}
	ch, code := s.resolvePostChannelLocked(a.get("channel"))
	if code != "" {
		return fail(code)
	}
	m := s.findMessageLocked(ch.ID, a.get("ts"))
	// Ephemeral messages are not in the channel's history: chat.update and
	// chat.delete cannot find them.
	if m == nil || m.Deleted || m.Ephemeral {
		return fail("message_not_found")
	}
	// A bot token edits and deletes only the bot's own messages. What the
	// app posted through a response_url is the app's, but Slack does not
	// document chat.update or chat.delete for it, and people report
	// cant_update_message (bolt-js #2063): the simulator refuses, as the
	// stricter reading. (Where the bot is not a member, the lookup above
	// fails first.)
	if m.Source == "command_echo" || m.Source == SourceUser || m.Source == MethodResponseURL {
		return fail("cant_" + verb + "_message")
	}
	return ch, m, nil
}

func (s *Server) chatUpdate(a apiArgs) apiResp {
	ch, m, bad := s.editableMessageLocked(a, "update")
	if bad != nil {
		return *bad
	}
	blocks, att, bad := s.messageContentLocked(a, true)
	if bad != nil {
		return *bad
	}
	m.Text = a.get("text")
	if _, ok := a.params["blocks"]; ok {
		m.Blocks = blocks
	}
	if _, ok := a.params["attachments"]; ok {
		m.Attachments = att
	}
	m.Edits++
	s.notifyLocked()
	return okResp(map[string]any{"channel": ch.ID, "ts": m.TS, "text": m.Text, "message": messageJSON(m)})
}

func (s *Server) chatDelete(a apiArgs) apiResp {
	ch, m, bad := s.editableMessageLocked(a, "delete")
	if bad != nil {
		return *bad
	}
	m.Deleted = true
	s.notifyLocked()
	return okResp(map[string]any{"channel": ch.ID, "ts": m.TS})
}

// boolish reads a JSON boolean or a "true"/"false" string.
func boolish(raw json.RawMessage) bool {
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.EqualFold(s, "true")
	}
	return false
}

// responseBody is the JSON posted to a response_url (or a slash command ack).
type responseBody struct {
	Text            string          `json:"text"`
	Blocks          json.RawMessage `json:"blocks"`
	Attachments     json.RawMessage `json:"attachments"`
	ResponseType    string          `json:"response_type"`
	ThreadTS        string          `json:"thread_ts"`
	ReplaceOriginal json.RawMessage `json:"replace_original"`
	DeleteOriginal  json.RawMessage `json:"delete_original"`
}

func (b responseBody) hasContent() bool {
	return b.Text != "" || nonEmptyJSONArray(string(b.Blocks)) || nonEmptyJSONArray(string(b.Attachments))
}

// serveResponseURL serves POSTs to /hooks/commands/... and /hooks/actions/....
// Answers follow slack-go's expectations: 200 text/plain "ok" on success.
// Error texts and statuses (404 used_url/expired_url, 400 invalid_blocks, ...)
// are assumptions: Slack does not document them.
func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	u := s.base + r.URL.Path
	post := ResponsePost{URL: u, At: time.Now()}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	post.Body = body
	injected := false // by FailNext: not the app's doing
	record := func(status int, answer string) {
		post.Status, post.Answer = status, answer
		s.mu.Lock()
		s.responsePosts = append(s.responsePosts, post)
		s.calls = append(s.calls, Call{Method: MethodResponseURL, Token: TokenNone, Params: map[string]string{"url": u, "body": string(body)}, JSON: true, At: post.At, Status: status, Error: errorIfNot200(status, answer)})
		if status != http.StatusOK && !injected {
			s.noteResponseRefusalLocked(u, answer)
		}
		s.notifyLocked()
		s.mu.Unlock()
	}
	if f, ok := s.takeFailure(MethodResponseURL); ok {
		if status, answer, done := s.writeFailure(w, r, f); done {
			injected = true
			record(status, answer)
			return
		}
	}
	if r.Method != http.MethodPost {
		writeText(w, http.StatusMethodNotAllowed, "method_not_allowed")
		record(http.StatusMethodNotAllowed, "method_not_allowed")
		return
	}
	var rb responseBody
	if ct := r.Header.Get("Content-Type"); strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		// Slack also takes the JSON in a "payload" form field.
		if err := r.ParseForm(); err == nil {
			body = []byte(r.PostForm.Get("payload"))
			post.Body = body
		}
	}
	if err := json.Unmarshal(body, &rb); err != nil {
		writeText(w, http.StatusBadRequest, "invalid_payload")
		record(http.StatusBadRequest, "invalid_payload")
		return
	}
	post.Text, post.Blocks, post.ResponseType = rb.Text, rb.Blocks, rb.ResponseType
	post.ReplaceOriginal, post.DeleteOriginal = boolish(rb.ReplaceOriginal), boolish(rb.DeleteOriginal)

	status, answer := s.applyResponse(u, rb, &post)
	if status == http.StatusOK {
		writeText(w, status, "ok")
	} else {
		writeText(w, status, answer)
	}
	record(status, answer)
}

func errorIfNot200(status int, answer string) string {
	if status == http.StatusOK {
		return ""
	}
	if answer == "" {
		return http.StatusText(status)
	}
	return answer
}

// applyResponse applies a response_url post. It locks s.mu itself.
func (s *Server) applyResponse(u string, rb responseBody, post *ResponsePost) (int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ru := s.responseURLs[u]
	switch {
	case ru == nil:
		return http.StatusNotFound, "invalid_url"
	case time.Since(ru.created) > s.cfg.responseURLTTL:
		return http.StatusNotFound, "expired_url"
	case ru.uses >= s.cfg.responseURLUses:
		return http.StatusNotFound, "used_url"
	}
	post.EnvelopeID = ru.envelopeID
	replace, del := post.ReplaceOriginal, post.DeleteOriginal
	if !rb.hasContent() && !del {
		return http.StatusBadRequest, "no_text"
	}
	var blocks json.RawMessage
	if len(rb.Blocks) > 0 && !bytes.Equal(bytes.TrimSpace(rb.Blocks), []byte("null")) {
		errs, ok := s.validateBlocksLocked(rb.Blocks, surfaceMessage)
		if !ok {
			return http.StatusBadRequest, "invalid_blocks_format"
		}
		if len(errs) > 0 {
			return http.StatusBadRequest, "invalid_blocks"
		}
		blocks = normalizeBlocks(rb.Blocks)
	}
	ru.uses++

	// The "original" is the message an action came from. For slash commands
	// (which have none) the assumption is the last message this URL posted;
	// delete_original is not supported for them and is ignored.
	origTS := ru.original
	if ru.kind == "commands" {
		origTS = ru.last
	}
	orig := s.findMessageLocked("", origTS)
	if orig != nil && orig.Deleted {
		orig = nil
	}
	if del && ru.kind == "actions" && orig != nil {
		orig.Deleted = true
		d := orig.clone()
		post.Deleted = &d
		orig = nil
		s.notifyLocked()
	}
	if !rb.hasContent() {
		return http.StatusOK, "ok"
	}
	if replace && orig != nil && !del {
		orig.Text, orig.Blocks, orig.Attachments = rb.Text, blocks, rb.Attachments
		orig.ResponseURL = u
		orig.Edits++
		ru.last = orig.TS
		post.Message = orig.clone()
		s.notifyLocked()
		return http.StatusOK, "ok"
	}
	m := &Message{
		Channel: ru.channel, ThreadTS: rb.ThreadTS, Text: rb.Text, Blocks: blocks, Attachments: rb.Attachments,
		Source: MethodResponseURL, ResponseURL: u,
	}
	if rb.ResponseType != "in_channel" {
		m.Ephemeral, m.User = true, ru.user
	}
	s.addMessageLocked(m)
	ru.last = m.TS
	post.Message = m.clone()
	return http.StatusOK, "ok"
}

// ResponsePosts returns every POST to a response_url, in order.
func (s *Server) ResponsePosts() []ResponsePost {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ResponsePost(nil), s.responsePosts...)
}

// applyCommandAckLocked turns a slash command ack payload into the message the
// user sees, as Slack does with the HTTP 200 body of a command. s.mu must be held.
func (s *Server) applyCommandAckLocked(env *envelope, a Ack) {
	if a.Payload == nil {
		return
	}
	if !json.Valid(a.Payload) {
		// Slack shows a plain-text HTTP response body as the message text
		// (a Socket Mode ack's payload is always JSON).
		a.Payload = mustJSON(map[string]string{"text": string(a.Payload)})
	}
	var rb responseBody
	if err := json.Unmarshal(a.Payload, &rb); err != nil {
		s.violationLocked(ViolationBadAckPayload, env.id, a.Conn, "slash command ack payload is not a message object: %s", a.Payload)
		return
	}
	var blocks json.RawMessage
	if len(rb.Blocks) > 0 && !bytes.Equal(bytes.TrimSpace(rb.Blocks), []byte("null")) {
		errs, ok := s.validateBlocksLocked(rb.Blocks, surfaceMessage)
		if !ok || len(errs) > 0 {
			s.violationLocked(ViolationBadAckPayload, env.id, a.Conn, "invalid blocks in slash command ack: %v", errs)
			return
		}
		blocks = normalizeBlocks(rb.Blocks)
	}
	if rb.ResponseType == "in_channel" {
		// The invocation is shown in the channel along with the response.
		var cmd struct{ Command, Text string }
		_ = json.Unmarshal(env.payload, &cmd)
		s.addMessageLocked(&Message{Channel: env.channel, User: env.user, Author: env.user, Text: strings.TrimSpace(cmd.Command + " " + cmd.Text), Source: "command_echo"})
	}
	if !rb.hasContent() {
		return
	}
	m := &Message{Channel: env.channel, Text: rb.Text, Blocks: blocks, Attachments: rb.Attachments, Source: "ack"}
	if rb.ResponseType != "in_channel" {
		m.Ephemeral, m.User = true, env.user
	}
	s.addMessageLocked(m)
	if ru := s.responseURLs[env.responseURL]; ru != nil {
		ru.last = m.TS
	}
}
