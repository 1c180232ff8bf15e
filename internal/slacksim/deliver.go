package slacksim

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// envelope is one envelope sent to the bot. Guarded by Server.mu.
type envelope struct {
	id          string
	typ         string
	interaction string // payload "type" of interactive envelopes
	payload     json.RawMessage
	conn        int
	sentAt      time.Time
	acked       bool
	event       *eventState
	responseURL string
	triggerID   string
	viewID      string // view_submission: the submitted view
	user        string
	channel     string
}

// eventState tracks one Events API event across redeliveries. Guarded by Server.mu.
type eventState struct {
	id          string
	payload     json.RawMessage
	acked       bool
	queued      bool // waiting for a connection
	nextAttempt int
	envelopes   []string
}

type deliverOpts struct {
	conn        int
	retrySet    bool
	retry       int
	retryReason string
	sameID      bool
}

// DeliverOption changes how an envelope is delivered.
type DeliverOption func(*deliverOpts)

// OnConn sends the envelope on connection i (see [ConnInfo.Index]) even if a
// disconnect frame was already sent on it, instead of round-robin over the
// open connections.
func OnConn(i int) DeliverOption { return func(o *deliverOpts) { o.conn = i } }

// WithRetry sets retry_attempt and retry_reason of an events_api delivery.
func WithRetry(attempt int, reason string) DeliverOption {
	return func(o *deliverOpts) { o.retrySet, o.retry, o.retryReason = true, attempt, reason }
}

// SameEnvelopeID makes [Server.Redeliver] reuse the original envelope_id.
func SameEnvelopeID() DeliverOption { return func(o *deliverOpts) { o.sameID = true } }

func applyDeliverOpts(opts []DeliverOption) deliverOpts {
	o := deliverOpts{conn: -1}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// pickConnLocked chooses the connection for a delivery: the forced one, or the
// next open one round-robin, avoiding avoid when another is open. It returns
// nil when there is none. s.mu must be held.
func (s *Server) pickConnLocked(forced, avoid int) *conn {
	if forced >= 0 {
		if forced < len(s.conns) && !s.conns[forced].closed {
			return s.conns[forced]
		}
		return nil
	}
	var live []*conn
	for _, c := range s.conns {
		if c.live() {
			live = append(live, c)
		}
	}
	if len(live) > 1 && avoid >= 0 {
		for i, c := range live {
			if c.idx == avoid {
				live = append(live[:i], live[i+1:]...)
				break
			}
		}
	}
	if len(live) == 0 {
		return nil
	}
	c := live[s.rr%len(live)]
	s.rr++
	return c
}

// frame builds the Socket Mode frame for env.
func (env *envelope) frame(retry int, reason string) map[string]any {
	f := map[string]any{
		"envelope_id":              env.id,
		"payload":                  env.payload,
		"type":                     env.typ,
		"accepts_response_payload": env.typ != TypeEventsAPI,
	}
	if env.typ == TypeEventsAPI {
		f["retry_attempt"] = retry
		f["retry_reason"] = reason
	}
	return f
}

// Bookkeeping both deliveries share: Socket Mode (here and socket.go) and
// HTTP (httpdeliver.go) differ only in how an envelope travels and how its
// ack comes back.

// delivery is what the delivery methods report about env, before it is sent.
func (env *envelope) delivery() Delivery {
	d := Delivery{EnvelopeID: env.id, Type: env.typ, Conn: -1, ResponseURL: env.responseURL, TriggerID: env.triggerID, Payload: env.payload}
	if env.event != nil {
		d.EventID = env.event.id
	}
	return d
}

// trackLocked records env as sent now on connection conn (-1 over HTTP),
// so that its ack is recognised. s.mu must be held.
func (s *Server) trackLocked(env *envelope, conn int) {
	env.conn, env.sentAt = conn, time.Now()
	s.envelopes[env.id] = env
	if env.event != nil {
		env.event.envelopes = append(env.event.envelopes, env.id)
	}
	s.notifyLocked()
}

// userErrorLocked records the error the user who caused env sees
// (dispatch_failed, operation_timeout, …). s.mu must be held.
func (s *Server) userErrorLocked(env *envelope, code string, at time.Time) {
	s.userErrors = append(s.userErrors, UserError{Error: code, Type: env.typ, EnvelopeID: env.id, User: env.user, Channel: env.channel, At: at})
	s.notifyLocked()
}

// eventEnvelopeLocked returns a new envelope for the next delivery of ev,
// or nil when none is due: ev was acked, retries are exhausted, or the
// fake is closed. s.mu must be held.
func (s *Server) eventEnvelopeLocked(ev *eventState, attempt int) *envelope {
	if ev.acked || s.closed || attempt > len(s.cfg.eventRetryDelays) {
		return nil
	}
	return &envelope{id: newUUID(), typ: TypeEventsAPI, payload: ev.payload, event: ev}
}

// redeliveryLocked returns a copy of envelope envelopeID to send again, not
// yet tracked, or an error (reported to the test) when there is none.
// s.mu must be held.
func (s *Server) redeliveryLocked(envelopeID string, o deliverOpts) (*envelope, error) {
	old := s.envelopes[envelopeID]
	if old == nil {
		s.t.Errorf("slacksim: Redeliver: unknown envelope %q", envelopeID)
		return nil, fmt.Errorf("unknown envelope %q", envelopeID)
	}
	env := *old
	env.acked = false
	if !o.sameID {
		env.id = newUUID()
	}
	return &env, nil
}

// recordAckLocked records a's ack of env (from a socket or an HTTP
// response) and applies its effects as Slack would: a duplicate or late
// ack is a violation; an event acked stops its retries; a slash command's
// payload becomes the message the user sees, a view submission's acts on
// the modal. s.mu must be held.
func (s *Server) recordAckLocked(env *envelope, a Ack) {
	a.Type, a.DeliveredConn, a.Latency = env.typ, env.conn, a.At.Sub(env.sentAt)
	defer s.notifyLocked()
	if env.acked {
		a.Duplicate = true
		s.acks = append(s.acks, a)
		s.violationLocked(ViolationDuplicateAck, a.EnvelopeID, a.Conn, "envelope already acked")
		return
	}
	env.acked = true
	if a.Latency > s.cfg.ackTimeout {
		a.Late = true
		s.violationLocked(ViolationLateAck, a.EnvelopeID, a.Conn, "acked after %v (limit %v)", a.Latency.Round(time.Millisecond), s.cfg.ackTimeout)
	}
	s.acks = append(s.acks, a)
	if env.event != nil {
		env.event.acked = true
	}
	if a.Late {
		return // Slack has given up on this envelope; the payload goes nowhere.
	}
	switch env.typ {
	case TypeSlashCommands:
		s.applyCommandAckLocked(env, a)
	case TypeInteractive:
		if env.interaction == "view_submission" {
			s.applyViewSubmissionAckLocked(env, a)
		}
	}
}

// dispatch sends a slash command or interaction envelope, or records
// dispatch_failed. env.payload must be set.
func (s *Server) dispatch(ctx context.Context, env *envelope, o deliverOpts, avoid int) Delivery {
	if s.cfg.requestURL != nil {
		return s.dispatchHTTP(ctx, env)
	}
	d := env.delivery()
	s.mu.Lock()
	c := s.pickConnLocked(o.conn, avoid)
	if c == nil {
		s.userErrorLocked(env, "dispatch_failed", time.Now())
		s.mu.Unlock()
		d.Err = ErrDispatchFailed
		return d
	}
	s.trackLocked(env, c.idx)
	s.mu.Unlock()
	d.Conn = c.idx
	// Latency counts from when the frame leaves, not from when it queued
	// behind other frames for this socket.
	stamp := func() {
		s.mu.Lock()
		env.sentAt = time.Now()
		s.mu.Unlock()
	}
	if err := s.writeFrameThen(ctx, c, env.frame(0, ""), stamp); err != nil {
		s.mu.Lock()
		s.userErrorLocked(env, "dispatch_failed", time.Now())
		s.mu.Unlock()
		d.Err = fmt.Errorf("%w: %v", ErrDispatchFailed, err)
		return d
	}
	s.goAfter(s.cfg.ackTimeout, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !env.acked && s.envelopes[env.id] == env {
			s.userErrorLocked(env, "operation_timeout", time.Now())
		}
	})
	return d
}

// Command is a slash command invocation.
type Command struct {
	User string
	// UserName defaults to User in lower case.
	UserName string
	// Channel is where the command was typed. Unknown channels are created
	// (bot not a member, User a member).
	Channel string
	// ChannelName defaults to the channel's name.
	ChannelName string
	// Command includes the slash, e.g. "/sticker".
	Command string
	Text    string
}

// SlashCommand sends a slash_commands envelope with a fresh response_url and
// trigger_id, with the payload fields as strings exactly as Slack sends them.
// With no open connection it records dispatch_failed and sends nothing. An
// envelope not acked within the ack timeout is recorded as operation_timeout.
func (s *Server) SlashCommand(ctx context.Context, cmd Command, opts ...DeliverOption) Delivery {
	if cmd.Channel == "" || cmd.User == "" {
		return Delivery{Type: TypeSlashCommands, Conn: -1, Err: fmt.Errorf("slacksim: Command needs a User and a Channel")}
	}
	s.mu.Lock()
	ch := s.ensureChannelLocked(cmd.Channel, cmd.User)
	env := &envelope{id: newUUID(), typ: TypeSlashCommands, user: cmd.User, channel: cmd.Channel}
	env.responseURL = s.newResponseURLLocked("commands", env.id, cmd.User, cmd.Channel, "")
	env.triggerID = s.newTriggerLocked(cmd.User, env.id)
	userName := cmd.UserName
	if userName == "" {
		userName = lowerASCII(cmd.User)
	}
	chName := cmd.ChannelName
	if chName == "" {
		chName = ch.Name
		if strings.HasPrefix(ch.ID, "D") {
			chName = "directmessage"
		} else if ch.Private {
			chName = "privategroup"
		}
	}
	s.mu.Unlock()
	env.payload = mustJSON(map[string]string{
		"token":                 VerificationToken,
		"team_id":               TeamID,
		"team_domain":           TeamDomain,
		"channel_id":            cmd.Channel,
		"channel_name":          chName,
		"user_id":               cmd.User,
		"user_name":             userName,
		"command":               cmd.Command,
		"text":                  cmd.Text,
		"api_app_id":            AppID,
		"is_enterprise_install": "false",
		"response_url":          env.responseURL,
		"trigger_id":            env.triggerID,
	})
	return s.dispatch(ctx, env, applyDeliverOpts(opts), -1)
}

// Interactive sends an interactive envelope with payload (any JSON object) as
// is. Prefer [Server.BlockAction] and [Server.ViewSubmission], which build
// Slack's payloads and register the response_url and trigger_id.
func (s *Server) Interactive(ctx context.Context, payload any, opts ...DeliverOption) Delivery {
	raw := mustJSON(payload)
	var head struct {
		Type        string `json:"type"`
		ResponseURL string `json:"response_url"`
		TriggerID   string `json:"trigger_id"`
	}
	_ = json.Unmarshal(raw, &head)
	env := &envelope{id: newUUID(), typ: TypeInteractive, interaction: head.Type, payload: raw, responseURL: head.ResponseURL, triggerID: head.TriggerID}
	return s.dispatch(ctx, env, applyDeliverOpts(opts), -1)
}

// Event sends an events_api envelope whose payload is the full event_callback
// body around event (any JSON object, e.g. {"type":"app_mention",...}), with a
// new event_id. Unacked, it is redelivered with retry_attempt 1..N and
// retry_reason "timeout" (see [WithEventRetryDelays]); with no open connection
// it is queued and delivered as a retry on the next connection.
func (s *Server) Event(ctx context.Context, event any, opts ...DeliverOption) Delivery {
	o := applyDeliverOpts(opts)
	now := time.Now()
	ev := &eventState{id: randomID("Ev", 10)}
	ev.payload = mustJSON(map[string]any{
		"token":      VerificationToken,
		"team_id":    TeamID,
		"api_app_id": AppID,
		"event":      json.RawMessage(mustJSON(event)),
		"type":       "event_callback",
		"event_id":   ev.id,
		"event_time": now.Unix(),
		"authorizations": []map[string]any{{
			"enterprise_id": nil, "team_id": TeamID, "user_id": BotUserID,
			"is_bot": true, "is_enterprise_install": false,
		}},
		"is_ext_shared_channel": false,
		"event_context":         "4-" + randomHex(16),
	})
	s.mu.Lock()
	s.events = append(s.events, ev)
	s.mu.Unlock()
	attempt, reason := 0, ""
	if o.retrySet {
		attempt, reason = o.retry, o.retryReason
	}
	return s.sendEvent(ctx, ev, attempt, reason, o.conn)
}

// sendEvent delivers ev as attempt, queueing it when no connection is open and
// scheduling the next retry.
func (s *Server) sendEvent(ctx context.Context, ev *eventState, attempt int, reason string, forced int) Delivery {
	d := Delivery{Type: TypeEventsAPI, Conn: -1, EventID: ev.id, RetryAttempt: attempt, Payload: ev.payload}
	s.mu.Lock()
	env := s.eventEnvelopeLocked(ev, attempt)
	if env == nil {
		s.mu.Unlock()
		return d
	}
	if s.cfg.requestURL != nil {
		s.trackLocked(env, -1)
		s.mu.Unlock()
		d.EnvelopeID = env.id
		d.Err = s.postEvent(ctx, env, attempt, reason)
		return d
	}
	c := s.pickConnLocked(forced, -1)
	if c == nil {
		ev.queued = true
		ev.nextAttempt = max(attempt, 1)
		s.notifyLocked()
		s.mu.Unlock()
		d.Queued = true
		return d
	}
	s.trackLocked(env, c.idx)
	s.mu.Unlock()
	d.EnvelopeID, d.Conn = env.id, c.idx
	if err := s.writeFrame(ctx, c, env.frame(attempt, reason)); err != nil {
		d.Err = err // lost like any frame on a dying socket; the retry timer still runs
	}
	if attempt < len(s.cfg.eventRetryDelays) {
		s.goAfter(s.cfg.eventRetryDelays[attempt], func() {
			s.sendEvent(context.Background(), ev, attempt+1, "timeout", -1)
		})
	}
	return d
}

// Redeliver sends the payload of an earlier envelope again (same event_id,
// response_url and trigger_id) with a new envelope_id (or the same one with
// [SameEnvelopeID]), by default on a different open connection when there is
// one. For events, an ack of either envelope stops further retries.
func (s *Server) Redeliver(ctx context.Context, envelopeID string, opts ...DeliverOption) Delivery {
	o := applyDeliverOpts(opts)
	if s.cfg.requestURL != nil {
		return s.redeliverHTTP(ctx, envelopeID, o)
	}
	s.mu.Lock()
	env, err := s.redeliveryLocked(envelopeID, o)
	if err != nil {
		s.mu.Unlock()
		return Delivery{EnvelopeID: envelopeID, Conn: -1, Err: err}
	}
	c := s.pickConnLocked(o.conn, env.conn)
	if c == nil {
		s.mu.Unlock()
		return Delivery{EnvelopeID: env.id, Type: env.typ, Conn: -1, Err: ErrDispatchFailed}
	}
	s.trackLocked(env, c.idx)
	s.mu.Unlock()
	retry, reason := 0, ""
	if o.retrySet {
		retry, reason = o.retry, o.retryReason
	}
	d := env.delivery()
	d.Conn, d.RetryAttempt = c.idx, retry
	d.Err = s.writeFrame(ctx, c, env.frame(retry, reason))
	return d
}

// EventDeliveries returns every envelope_id sent for the event eventID, in order.
func (s *Server) EventDeliveries(eventID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ev := range s.events {
		if ev.id == eventID {
			return append([]string(nil), ev.envelopes...)
		}
	}
	return nil
}

// ensureChannelLocked returns channel id, creating it (bot not a member, user
// a member) if unknown. s.mu must be held.
func (s *Server) ensureChannelLocked(id, user string) *Channel {
	if ch := s.channels[id]; ch != nil {
		if user != "" && !slices.Contains(ch.Members, user) {
			ch.Members = append(ch.Members, user)
		}
		return ch
	}
	ch := &Channel{ID: id, Name: lowerASCII(id), Private: id != "" && id[0] == 'G'}
	if user != "" {
		ch.Members = []string{user}
	}
	s.channels[id] = ch
	return ch
}

// AddChannel adds or replaces a channel.
func (s *Server) AddChannel(ch Channel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch.Members = append([]string(nil), ch.Members...)
	s.channels[ch.ID] = &ch
}

func mustJSON(v any) json.RawMessage {
	if r, ok := v.(json.RawMessage); ok {
		return r
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic("slacksim: " + err.Error())
	}
	return b
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// actionTS returns an action_ts like "1712345678.123456".
func actionTS() string {
	now := time.Now().UnixMicro()
	return strconv.FormatInt(now/1e6, 10) + "." + fmt.Sprintf("%06d", now%1e6)
}
