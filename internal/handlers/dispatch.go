package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/stickerbot/stickerbot/internal/envelope"
)

// Envelope types, as Socket Mode names them; the HTTP transport uses the
// same names for what it receives.
const (
	TypeSlashCommand = "slash_commands"
	TypeInteractive  = "interactive"
	TypeEvents       = "events_api"
)

type job struct {
	req      socketmode.Request
	received time.Time
}

// Dispatch takes one envelope from a transport and returns at once what to
// acknowledge it with (nil: a bare ack). The work happens later, on a
// worker; when every worker is busy and the queue is full the user is told
// to try again instead of the bot's memory growing without bound.
func (b *Bot) Dispatch(ctx context.Context, env *envelope.Envelope) envelope.Ack {
	return b.Envelope(ctx, &socketmode.Request{Type: string(env.Kind), EnvelopeID: env.ID, Payload: env.Payload,
		RetryAttempt: env.RetryAttempt, RetryReason: env.RetryReason})
}

// Envelope is Dispatch for a Socket Mode request.
func (b *Bot) Envelope(ctx context.Context, req *socketmode.Request) any {
	switch req.Type {
	case TypeSlashCommand, TypeInteractive, TypeEvents:
	default:
		b.log.Info("ignoring envelope", "envelope_id", req.EnvelopeID, "type", req.Type)
		return nil
	}
	if req.Type == TypeInteractive && isViewSubmission(req.Payload) {
		// A modal's field errors can only travel in the ack, so a
		// submission is validated before it is acknowledged, within ctx.
		return b.viewSubmission(ctx, req)
	}
	select {
	case b.queue <- job{req: *req, received: time.Now()}:
		return nil
	default:
	}
	b.obs.Busy(req.Type)
	b.log.Warn("queue full, turning a request away", "envelope_id", req.EnvelopeID, "type", req.Type)
	if req.Type == TypeSlashCommand {
		// The ack itself can carry the answer: no Web API call needed.
		return slack.Msg{ResponseType: slack.ResponseTypeEphemeral, Text: msgBusy}
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
		if to, ok := b.replyTarget(*req); ok {
			b.notice(ctx, to, replyNew, msgBusy)
		}
	}()
	return nil
}

// Quick reports whether Dispatch returns at once for env: everything but a
// modal submission, which is validated before its ack.
func (b *Bot) Quick(env *envelope.Envelope) bool {
	return env.Kind != TypeInteractive || !isViewSubmission(env.Payload)
}

// Run processes queued envelopes on the configured number of workers until
// ctx is done, then finishes what is already queued and returns. Jobs run
// on a context that outlives ctx, bounded by the job timeout, so shutdown
// lets in-flight work end instead of cutting it off.
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
	var err error
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
			b.log.Error("handler panicked", "envelope_id", j.req.EnvelopeID, "type", j.req.Type,
				"panic", r, "stack", string(debug.Stack()))
			if to, ok := b.replyTarget(j.req); ok {
				b.notice(ctx, to, replyNew, msgFailed)
			}
		}
		b.obs.JobDone(j.req.Type, time.Since(start), err)
	}()
	switch j.req.Type {
	case TypeSlashCommand:
		err = b.slashCommand(ctx, j.req)
	case TypeInteractive:
		err = b.interaction(ctx, j.req)
	case TypeEvents:
		err = b.event(ctx, j.req)
	}
	if err != nil {
		b.log.Error("handler failed", "envelope_id", j.req.EnvelopeID, "type", j.req.Type, "err", err)
	}
}

// firstTime claims key so that a redelivered payload, on any connection or
// replica, does its work once. When the database cannot say, the work goes
// ahead: it needs the database too, and will tell the user it is down.
func (b *Bot) firstTime(ctx context.Context, key, envelopeID string) bool {
	ok, err := b.store.Claim(ctx, key)
	if err != nil {
		b.log.Warn("cannot check for a redelivery", "envelope_id", envelopeID, "err", err)
		return true
	}
	if !ok {
		b.log.Info("skipping a redelivered request", "envelope_id", envelopeID, "key", key)
	}
	return ok
}

// replyTarget finds where to tell the user something about req, if it can
// be decoded at all.
func (b *Bot) replyTarget(req socketmode.Request) (replyTo, bool) {
	switch req.Type {
	case TypeSlashCommand:
		var cmd slack.SlashCommand
		if json.Unmarshal(req.Payload, &cmd) == nil && cmd.ResponseURL != "" {
			return replyTo{responseURL: cmd.ResponseURL, channel: cmd.ChannelID, user: cmd.UserID}, true
		}
	case TypeInteractive:
		var ic slack.InteractionCallback
		if json.Unmarshal(req.Payload, &ic) == nil && ic.ResponseURL != "" {
			return replyTo{responseURL: ic.ResponseURL, channel: ic.Channel.ID, user: ic.User.ID}, true
		}
	case TypeEvents:
		if cb, err := decodeEvent(req.Payload); err == nil && cb.Event.User != "" && cb.Event.Channel != "" {
			return replyTo{channel: cb.Event.Channel, user: cb.Event.User, threadTS: cb.Event.ThreadTS}, true
		}
	}
	return replyTo{}, false
}

var errMalformed = errors.New("malformed payload")

// isViewSubmission peeks at an interactive payload's type.
func isViewSubmission(payload []byte) bool {
	// Quick and Envelope both ask, on the ack's path: most payloads
	// (button clicks) are ruled out without decoding them.
	if !bytes.Contains(payload, []byte(slack.InteractionTypeViewSubmission)) {
		return false
	}
	var head struct {
		Type string `json:"type"`
	}
	return json.Unmarshal(payload, &head) == nil && head.Type == string(slack.InteractionTypeViewSubmission)
}
