package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/envelope"
)

// request is one envelope, decoded (once): what every handler is given.
type request struct {
	env  *envelope.Envelope
	user string  // who asked
	to   replyTo // where answers go (nowhere for a modal's submission)
	// claim is the key that makes a redelivery do nothing (see firstTime).
	claim string

	// By kind, one of:
	cmd    *slack.SlashCommand        // slash_commands
	verb   string                     // ... its first word (see parseCommand)
	arg    string                     // ... the rest: a query or a sticker name
	ic     *slack.InteractionCallback // interactive
	action *slack.BlockAction         // ... block_actions: the element used
	event  *eventCallback             // events_api
}

// eventCallback is the part of an Events API delivery the bot reads.
type eventCallback struct {
	Type    string `json:"type"`
	EventID string `json:"event_id"`
	Event   struct {
		Type    string `json:"type"`
		Subtype string `json:"subtype"`
		User    string `json:"user"`
		BotID   string `json:"bot_id"`
		// ChannelType is a message event's conversation: "im" for the
		// app's DMs (message.im).
		ChannelType string `json:"channel_type"`
		Tab         string `json:"tab"` // app_home_opened: "home" or "messages"
		// View is app_home_opened's Home view published before, if any.
		View *struct {
			PrivateMetadata string `json:"private_metadata"`
		} `json:"view"`
		Text     string `json:"text"`
		Channel  string `json:"channel"`
		TS       string `json:"ts"`
		ThreadTS string `json:"thread_ts"`
	} `json:"event"`
}

// job is an envelope waiting for a worker: decoded and routed already
// when it was not Quick, else as it arrived.
type job struct {
	env *envelope.Envelope
	r   *request // nil: not decoded yet
	rt  route
}

var errMalformed = errors.New("malformed payload")

// Dispatch takes one envelope from a transport and returns what to
// acknowledge it with. A Quick envelope is queued as it is, for a worker
// to decode and route: nothing on the ack's path but a glance at it. Any
// other is decoded and routed now: an answer runs within ctx (the ack
// budget) and returns the ack; a handler is queued. Either way the payload
// is decoded once. When every worker is busy and the queue is full the
// user is told to try again instead of the bot's memory growing without
// bound. A payload that cannot be read before its ack is answered
// Malformed.
func (b *Bot) Dispatch(ctx context.Context, env *envelope.Envelope) envelope.Ack {
	switch env.Kind {
	case envelope.SlashCommand, envelope.Interactive, envelope.Event:
	default:
		b.log.Info("ignoring an envelope of a kind the bot does not know", "envelope_id", env.ID, "type", string(env.Kind))
		return nil
	}
	if b.Quick(env) {
		return b.enqueue(ctx, job{env: env})
	}
	r, rt, ok := b.route(env)
	switch {
	case r == nil:
		return envelope.Malformed
	case !ok:
		return nil
	case rt.answer != nil:
		return rt.answer(ctx, r)
	}
	return b.enqueue(ctx, job{env: env, r: r, rt: rt})
}

// Quick reports whether Dispatch returns at once for env: everything but
// the interactions answered in their ack (a modal's submission, which is
// validated first).
func (b *Bot) Quick(env *envelope.Envelope) bool {
	return env.Kind != envelope.Interactive || !b.routes.answeredInAck(env.Payload)
}

// route decodes env and finds its route. It logs what it cannot read (r
// is nil) and what nothing is routed for (ok is false).
func (b *Bot) route(env *envelope.Envelope) (r *request, rt route, ok bool) {
	r, err := read(env)
	if err != nil {
		b.log.Warn("cannot read a payload", "envelope_id", env.ID, "type", string(env.Kind), "err", err)
		return nil, rt, false
	}
	if rt, ok = b.routes.lookup(r); !ok {
		table, id := wayIn(r)
		b.log.Info("ignoring a request nothing is routed for", "envelope_id", env.ID, "type", string(env.Kind),
			"route", table, "id", clip(id, 100))
	}
	return r, rt, ok
}

// enqueue queues j, or turns it away when the queue is full.
func (b *Bot) enqueue(ctx context.Context, j job) envelope.Ack {
	select {
	case b.queue <- j:
		return nil
	default:
	}
	return b.turnAway(ctx, j)
}

// read decodes env's payload into a request. A payload of a kind the bot
// does not know, or one it does not act on, gives a request nothing is
// routed for.
func read(env *envelope.Envelope) (*request, error) {
	r := &request{env: env}
	switch env.Kind {
	case envelope.SlashCommand:
		var cmd slack.SlashCommand
		if err := json.Unmarshal(env.Payload, &cmd); err != nil {
			return nil, fmt.Errorf("slash command: %w", err)
		}
		if cmd.UserID == "" || cmd.ResponseURL == "" {
			return nil, fmt.Errorf("slash command without user_id or response_url: %w", errMalformed)
		}
		c := parseCommand(cmd.Text)
		r.cmd, r.verb, r.arg, r.user = &cmd, c.Verb, c.Arg, cmd.UserID
		r.to = replyTo{responseURL: cmd.ResponseURL, channel: cmd.ChannelID, user: cmd.UserID}
		r.claim = claimKey("cmd:", cmd.TriggerID, env)
	case envelope.Interactive:
		var ic slack.InteractionCallback
		if err := json.Unmarshal(env.Payload, &ic); err != nil {
			return nil, fmt.Errorf("interaction: %w", err)
		}
		r.ic, r.user = &ic, ic.User.ID
		channel := ic.Channel.ID
		if channel == "" {
			channel = ic.Container.ChannelID
		}
		r.to = replyTo{responseURL: ic.ResponseURL, channel: channel, user: ic.User.ID}
		r.claim = claimKey("act:", ic.TriggerID, env)
		if ic.Type == slack.InteractionTypeBlockActions {
			// A click in a message comes with a response_url; one in a
			// modal has none, and its view instead.
			actions := ic.ActionCallback.BlockActions
			if len(actions) == 0 || actions[0] == nil || ic.User.ID == "" || (ic.ResponseURL == "" && ic.View.ID == "") {
				return nil, fmt.Errorf("block actions without an action, user, or response_url or view: %w", errMalformed)
			}
			r.action = actions[0]
		}
	case envelope.Event:
		var cb eventCallback
		if err := json.Unmarshal(env.Payload, &cb); err != nil {
			return nil, fmt.Errorf("event: %w", err)
		}
		ev := cb.Event
		if cb.Type != "event_callback" || ev.User == "" || ev.Channel == "" || ev.BotID != "" {
			return r, nil // not an event, a bot's (ours too), or no one to answer
		}
		r.event, r.user = &cb, ev.User
		r.to = replyTo{channel: ev.Channel, user: ev.User, threadTS: ev.ThreadTS}
		r.claim = claimKey("ev:", cb.EventID, env)
	}
	return r, nil
}

// claimKey is prefix+id, or the envelope's id when Slack gave none.
func claimKey(prefix, id string, env *envelope.Envelope) string {
	if id == "" {
		return "env:" + env.ID
	}
	return prefix + id
}

// turnAway tells the user the bot is too busy for j, without growing
// anything: a slash command in its ack, anything else from a goroutine of
// a bounded number.
func (b *Bot) turnAway(ctx context.Context, j job) envelope.Ack {
	env := j.env
	b.obs.Busy(string(env.Kind))
	b.log.Warn("queue full, turning a request away", "envelope_id", env.ID, "type", string(env.Kind))
	if env.Kind == envelope.SlashCommand {
		// The ack itself can carry the answer: no Web API call needed.
		return slack.Msg{ResponseType: slack.ResponseTypeEphemeral, Text: msgBusy.s}
	}
	select {
	case b.busy <- struct{}{}:
	default: // even the busy replies are saturated: the log has it
		return nil
	}
	if !b.background.start() {
		<-b.busy // shutting down: the log has it
		return nil
	}
	go func() {
		defer b.background.done()
		defer func() { <-b.busy }()
		r := j.r
		if r == nil {
			// Not decoded yet, and never will be but for this.
			var err error
			if r, err = read(env); err != nil {
				return
			}
		}
		if !r.to.reachable() {
			return
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		b.notice(ctx, r.to, replyNew, msgBusy)
	}()
	return nil
}

// Run processes queued requests on the configured number of workers until
// ctx is done, then finishes what is already queued, waits for the work
// started outside the queue, and returns. Jobs run on a context that
// outlives ctx, bounded by the job timeout, so shutdown lets in-flight
// work end instead of cutting it off.
func (b *Bot) Run(ctx context.Context) {
	base := context.WithoutCancel(ctx)
	var wg sync.WaitGroup
	for range b.workers {
		wg.Go(func() {
			for {
				select {
				case j := <-b.queue:
					b.do(base, j)
				case <-ctx.Done():
					for {
						select {
						case j := <-b.queue:
							b.do(base, j)
						default:
							return
						}
					}
				}
			}
		})
	}
	wg.Wait()
	b.background.closeAndWait()
}

// do runs one job, decoding and routing it first if Dispatch did not. A
// panic or error is logged with the envelope id and the user gets a short
// message; the process carries on.
func (b *Bot) do(base context.Context, j job) {
	ctx, cancel := context.WithTimeout(base, b.timeout)
	defer cancel()
	start := time.Now()
	env := j.env
	var err error
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
			b.log.Error("handler panicked", "envelope_id", env.ID, "type", string(env.Kind),
				"panic", p, "stack", string(debug.Stack()))
			if j.r != nil && j.r.to.reachable() {
				b.notice(ctx, j.r.to, replyNew, msgFailed)
			}
		}
		b.obs.JobDone(string(env.Kind), time.Since(start), err)
	}()
	if j.r == nil {
		var ok bool
		if j.r, j.rt, ok = b.route(env); !ok {
			return
		}
		if j.rt.answer != nil {
			// Quick missed it (its payload hid its type): its ack is gone.
			b.log.Warn("a request answered in its ack reached the queue; ignoring it", "envelope_id", env.ID)
			return
		}
	}
	if !j.rt.opensModal && !j.rt.idempotent && !b.firstTime(ctx, j.r) {
		return
	}
	if err = j.rt.handle(ctx, j.r); err != nil {
		b.log.Error("handler failed", "envelope_id", env.ID, "type", string(env.Kind), "err", err)
	}
}

// firstTime claims r so that a redelivery, on any connection or replica,
// does its work once. When the database cannot say, the work goes ahead:
// it needs the database too, and will tell the user it is down.
func (b *Bot) firstTime(ctx context.Context, r *request) bool {
	ok, err := b.claims.Claim(ctx, r.claim)
	if err != nil {
		b.log.Warn("cannot check for a redelivery", "envelope_id", r.env.ID, "err", err)
		return true
	}
	if !ok {
		b.log.Info("skipping a redelivered request", "envelope_id", r.env.ID, "key", r.claim)
	}
	return ok
}
