// Package envelope is the contract between the bot and its transports.
// However Slack delivered a slash command, a click or an event (a Socket
// Mode frame, an HTTP request), the transport translates it into an
// Envelope, asks a Dispatcher for the Ack through a Caller, and translates
// the Ack back into its wire format. Nothing here knows either wire.
package envelope

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"
)

// Kind says what an envelope carries, in Socket Mode's words.
type Kind string

// The kinds Slack delivers. A transport passes on any other kind it meets
// as it is; the Dispatcher decides what to do with it.
const (
	SlashCommand Kind = "slash_commands"
	Interactive  Kind = "interactive" // block_actions, view_submission, shortcuts, block_suggestion, …
	Event        Kind = "events_api"
)

// Envelope is one delivery from Slack.
type Envelope struct {
	Kind Kind
	// ID names the delivery in logs: Socket Mode's envelope_id, or one
	// the HTTP transport makes up ("http-…"). A redelivery has a new ID,
	// so it is no key for deduplication.
	ID string
	// Payload is the JSON Slack sent, undecoded: for a slash command an
	// object of strings (the HTTP form is translated into the same), for
	// an interaction its payload object, for an event the whole
	// event_callback body. Transports check no more than that it arrived;
	// the Dispatcher decodes it, once.
	Payload json.RawMessage
	// RetryAttempt counts Slack's redeliveries of an event (0 for the
	// first delivery, and for every other kind); RetryReason says why
	// ("timeout", "http_timeout", …).
	RetryAttempt int
	RetryReason  string
}

// Ack is what an envelope's acknowledgement carries back to Slack: nil
// for a bare ack, Malformed for a payload that cannot be read, or a value
// that encodes as JSON (see Encode). Slack reads the JSON only for a
// slash command (a message: response_type, text, blocks), a
// view_submission (response_action: errors, update, push or clear) and a
// block_suggestion (options or option_groups); it ignores it on anything
// else. Over Socket Mode it travels as the ack's "payload", and an ack of
// 20 KB or more is refused; over HTTP it is the response body.
type Ack any

// malformed is Malformed's type: unexported, so nothing else equals it.
type malformed struct{}

// Malformed is the Ack for a payload the Dispatcher cannot read. Over
// HTTP it is answered 400; Socket Mode cannot refuse an envelope and acks
// it bare (otherwise Slack would send it again).
var Malformed Ack = malformed{}

// IsMalformed reports whether a is Malformed.
func IsMalformed(a Ack) bool {
	_, ok := a.(malformed)
	return ok
}

// Encode returns a's JSON, or nil for a bare ack: nil, Malformed, or a
// value that encodes as JSON null. It fails for a value that does not
// encode.
func Encode(a Ack) (json.RawMessage, error) {
	if a == nil || IsMalformed(a) {
		return nil, nil
	}
	b, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("encode ack payload: %w", err)
	}
	if bytes.Equal(b, []byte("null")) {
		return nil, nil
	}
	return b, nil
}

// Dispatcher is what the bot offers its transports.
type Dispatcher interface {
	// Dispatch takes one envelope and returns what to ack it with. For
	// an envelope Quick accepts it returns at once (it queues the work);
	// for any other it may work until ctx's deadline, the ack budget (a
	// modal's submission is validated before its ack, since its field
	// errors can only travel in it). ctx is not cancelled when the
	// transport stops, so an envelope that arrives just before shutdown
	// can still be answered.
	Dispatch(ctx context.Context, env *Envelope) Ack
	// Quick reports whether Dispatch returns at once for env, from a
	// glance at it: it must be cheaper than decoding the payload. A
	// transport may then call Dispatch on its read goroutine, which takes
	// the scheduler out of the ack's way.
	Quick(env *Envelope) bool
}

// Caller asks a Dispatcher for acks, the one way both transports do: a
// Quick envelope on the caller's goroutine, any other on a goroutine of
// its own that gets until a deadline. A Dispatcher that panics or overruns
// is logged and answered with a bare ack. A Caller is safe for concurrent
// use.
type Caller struct {
	d   Dispatcher
	log *slog.Logger
	// late joins the Dispatch calls that were given up on, which may
	// outlive their ack.
	late sync.WaitGroup
}

// NewCaller returns a Caller for d that logs to log.
func NewCaller(d Dispatcher, log *slog.Logger) *Caller {
	return &Caller{d: d, log: log}
}

// Quick reports whether d says env is Quick.
func (c *Caller) Quick(env *Envelope) bool { return c.d.Quick(env) }

// Call returns the Dispatcher's Ack for env: at once for a Quick envelope
// (Now), otherwise within deadline (Within).
func (c *Caller) Call(ctx context.Context, env *Envelope, deadline time.Time) Ack {
	if c.d.Quick(env) {
		return c.Now(ctx, env)
	}
	return c.Within(ctx, env, deadline)
}

// Now calls Dispatch on the calling goroutine, for an envelope Quick
// accepted, and returns its Ack; nil if it panicked.
func (c *Caller) Now(ctx context.Context, env *Envelope) (ack Ack) {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("Dispatcher panicked; sending a bare ack", "envelope_id", env.ID, "type", string(env.Kind),
				"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			ack = nil
		}
	}()
	return c.d.Dispatch(ctx, env)
}

// Within calls Dispatch on a goroutine of its own with ctx bounded by
// deadline, and returns its Ack, or nil if it panicked or has not returned
// by then. A call given up on keeps running; Wait joins it.
func (c *Caller) Within(ctx context.Context, env *Envelope, deadline time.Time) Ack {
	budget := time.Until(deadline)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	result := make(chan Ack, 1)
	c.late.Add(1)
	go func() {
		defer c.late.Done()
		defer cancel()
		result <- c.Now(ctx, env)
	}()
	select {
	case ack := <-result:
		return ack
	case <-ctx.Done():
		// The goroutine sends before it cancels, so an answer that came
		// just as the budget ran out still counts.
		select {
		case ack := <-result:
			return ack
		default:
		}
		c.log.Warn("Dispatcher did not return within the ack budget; sending a bare ack",
			"envelope_id", env.ID, "type", string(env.Kind), "ack_budget", budget.String())
		return nil
	}
}

// Wait waits up to d for Dispatch calls Within gave up on, and reports
// whether they have all returned: a Dispatcher that ignores its context
// must not hang a shutdown.
func (c *Caller) Wait(d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		c.late.Wait()
		close(done)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}
