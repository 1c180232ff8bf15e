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

// request is one envelope, decoded once: what every handler is given.
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
		Type     string `json:"type"`
		User     string `json:"user"`
		BotID    string `json:"bot_id"`
		Text     string `json:"text"`
		Channel  string `json:"channel"`
		TS       string `json:"ts"`
		ThreadTS string `json:"thread_ts"`
	} `json:"event"`
}

// job is a request waiting for a worker.
type job struct {
	r  *request
	rt route
}

var errMalformed = errors.New("malformed payload")

// Dispatch takes one envelope from a transport and returns what to
// acknowledge it with. It decodes the payload, once, and finds its route:
// an answer runs now, within ctx (the ack budget), and returns the ack;
// a handler is queued for a worker and the ack is bare. When every worker
// is busy and the queue is full the user is told to try again instead of
// the bot's memory growing without bound. A payload that cannot be read is
// answered Malformed; one nothing is routed for, a bare ack.
func (b *Bot) Dispatch(ctx context.Context, env *envelope.Envelope) envelope.Ack {
	r, err := read(env)
	if err != nil {
		b.log.Warn("cannot read a payload", "envelope_id", env.ID, "type", string(env.Kind), "err", err)
		return envelope.Malformed
	}
	rt, ok := b.routes.lookup(r)
	if !ok {
		table, id := wayIn(r)
		b.log.Info("ignoring a request nothing is routed for", "envelope_id", env.ID, "type", string(env.Kind),
			"route", table, "id", clip(id, 100))
		return nil
	}
	if rt.answer != nil {
		return rt.answer(ctx, r)
	}
	select {
	case b.queue <- job{r: r, rt: rt}:
		return nil
	default:
	}
	return b.turnAway(ctx, r)
}

// Quick reports whether Dispatch returns at once for env: everything but
// the interactions answered in their ack (a modal's submission, which is
// validated first).
func (b *Bot) Quick(env *envelope.Envelope) bool {
	return env.Kind != envelope.Interactive || !answeredInAck(env.Payload)
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
			actions := ic.ActionCallback.BlockActions
			if len(actions) == 0 || actions[0] == nil || ic.User.ID == "" || ic.ResponseURL == "" {
				return nil, fmt.Errorf("block actions without an action, user or response_url: %w", errMalformed)
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

// turnAway tells the user the bot is too busy for r, without growing
// anything: a slash command in its ack, anything else from a goroutine of
// a bounded number.
func (b *Bot) turnAway(ctx context.Context, r *request) envelope.Ack {
	b.obs.Busy(string(r.env.Kind))
	b.log.Warn("queue full, turning a request away", "envelope_id", r.env.ID, "type", string(r.env.Kind))
	if r.cmd != nil {
		// The ack itself can carry the answer: no Web API call needed.
		return slack.Msg{ResponseType: slack.ResponseTypeEphemeral, Text: msgBusy}
	}
	if !r.to.reachable() {
		return nil
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

// do runs one job. A panic or error is logged with the envelope id and the
// user gets a short message; the process carries on.
func (b *Bot) do(base context.Context, j job) {
	ctx, cancel := context.WithTimeout(base, b.timeout)
	defer cancel()
	start := time.Now()
	env := j.r.env
	var err error
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
			b.log.Error("handler panicked", "envelope_id", env.ID, "type", string(env.Kind),
				"panic", p, "stack", string(debug.Stack()))
			if j.r.to.reachable() {
				b.notice(ctx, j.r.to, replyNew, msgFailed)
			}
		}
		b.obs.JobDone(string(env.Kind), time.Since(start), err)
	}()
	if !j.rt.opensModal && !b.firstTime(ctx, j.r) {
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
