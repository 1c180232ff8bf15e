package socket

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// runSlot keeps one logical connection open for ever: it opens a socket,
// watches it, and replaces it when Slack asks (make-before-break) or when it
// dies (after a backoff). It returns nil when ctx is done and a non-nil error
// only when the app token is rejected.
func (m *Manager) runSlot(ctx context.Context, slot int) error {
	log := m.log.With("conn", slot)
	bo := backoff{min: m.cfg.BackoffMin, max: m.cfg.BackoffMax}
	// replaced holds one channel per socket that asked to be replaced; each
	// is closed when the replacement says hello, starting its RefreshGrace.
	var replaced []chan struct{}
	for {
		c, err := m.connect(ctx, slot, &bo)
		if err != nil {
			// Retiring sockets are finished by their retire goroutine, which
			// watches ctx; Run cancels it on a fatal error as well.
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		for _, ready := range replaced {
			close(ready)
		}
		replaced = nil

		select {
		case <-ctx.Done():
			return nil
		case <-c.refresh:
		case <-c.done:
		}
		select {
		case <-c.refresh:
			// Also when Slack already closed the socket after asking: a
			// refresh is not a failure and needs no backoff.
			reason := c.refreshReason
			log.Info("opening a replacement connection before closing the old one", "conn_id", c.id, "reason", reason)
			m.obs.Reconnect(reason)
			bo.reset()
			ready := make(chan struct{})
			replaced = append(replaced, ready)
			m.retire(ctx, c, ready)
			continue
		default:
		}
		reason := c.endReason
		m.wg.Go(func() { c.finish(reason) })
		// A socket that lived a while was healthy, so start the backoff over;
		// one that keeps dying young (or was refused) must not reconnect in
		// a tight loop.
		if time.Since(c.helloAt) >= m.cfg.DeadAfter && !c.refused {
			bo.reset()
		}
		wait := bo.next()
		log.Warn("connection lost; reconnecting", "conn_id", c.id, "reason", reason, "backoff", wait)
		m.obs.Reconnect(reason)
		if !sleep(ctx, wait) {
			return nil
		}
	}
}

// retire keeps old open, read and acked until RefreshGrace after its
// replacement said hello (ready closed), or until Slack closes it, then
// finishes it.
func (m *Manager) retire(ctx context.Context, old *conn, ready <-chan struct{}) {
	m.wg.Go(func() {
		reason := "refresh grace elapsed"
		select {
		case <-ready:
			t := time.NewTimer(m.cfg.RefreshGrace)
			defer t.Stop()
			select {
			case <-t.C:
			case <-old.done:
				reason = "closed by Slack after " + old.refreshReason
			case <-ctx.Done():
				reason = "shutdown"
			}
		case <-old.done:
			reason = "closed by Slack after " + old.refreshReason
		case <-ctx.Done():
			reason = "shutdown"
		}
		old.finish(reason)
	})
}

// attemptError is a failed, retryable attempt to get a socket that said hello.
type attemptError struct {
	reason     string        // short, for metrics and logs
	retryAfter time.Duration // from a 429; zero means use the backoff
	err        error
}

func (e *attemptError) Error() string { return e.reason + ": " + e.err.Error() }
func (e *attemptError) Unwrap() error { return e.err }

// connect retries open until a socket says hello, ctx is done (ctx.Err()) or
// the token is rejected (an error wrapping ErrInvalidAppToken).
func (m *Manager) connect(ctx context.Context, slot int, bo *backoff) (*conn, error) {
	log := m.log.With("conn", slot)
	for {
		c, err := m.open(ctx, slot)
		if err == nil {
			return c, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var ae *attemptError
		if !errors.As(err, &ae) {
			return nil, err
		}
		wait := bo.next()
		if ae.retryAfter > 0 {
			// Jitter keeps the slots, which were limited together, from
			// retrying in lockstep.
			wait = ae.retryAfter + rand.N(m.cfg.BackoffMin+1)
		}
		switch ae.reason {
		case "too_many_websockets":
			log.Error("Slack refused the connection: too many open sockets for this app (limit 10); are other instances running?",
				"reason", ae.reason, "backoff", wait)
		default:
			log.Warn("could not open a socket mode connection; retrying", "reason", ae.reason, "err", ae.err, "backoff", wait)
		}
		m.obs.Reconnect(ae.reason)
		if !sleep(ctx, wait) {
			return nil, ctx.Err()
		}
	}
}

// open makes one attempt: apps.connections.open, the WebSocket dial, and the
// wait for hello.
func (m *Manager) open(ctx context.Context, slot int) (*conn, error) {
	octx, cancel := context.WithTimeout(ctx, openTimeout)
	_, wsURL, err := m.cfg.API.StartSocketModeContext(octx)
	cancel()
	if err != nil {
		var slackErr slack.SlackErrorResponse
		if errors.As(err, &slackErr) && fatalOpenErrors[slackErr.Err] {
			return nil, fmt.Errorf("socket: apps.connections.open: %w: %w", ErrInvalidAppToken, err)
		}
		var rl *slack.RateLimitedError
		if errors.As(err, &rl) {
			return nil, &attemptError{reason: "rate_limited", retryAfter: rl.RetryAfter, err: fmt.Errorf("apps.connections.open: %w", err)}
		}
		return nil, &attemptError{reason: "open_error", err: fmt.Errorf("apps.connections.open: %w", err)}
	}

	header := http.Header{}
	// Slack's socket endpoint expects the same Origin as slack-go sends.
	header.Set("Origin", "https://api.slack.com")
	dctx, cancel := context.WithTimeout(ctx, m.cfg.HelloTimeout)
	ws, resp, err := m.dialer.DialContext(dctx, wsURL, header)
	cancel()
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		if resp != nil {
			err = fmt.Errorf("%w (HTTP %s)", err, resp.Status)
		}
		return nil, &attemptError{reason: "dial_error", err: fmt.Errorf("dial %s: %w", redactURL(wsURL), redactErr(err, wsURL))}
	}

	c := m.newConn(slot, ws)
	if !m.register(c) {
		closeSocket(ws, m.cfg.WriteTimeout, c.log)
		return nil, context.Canceled
	}
	c.start()

	t := time.NewTimer(m.cfg.HelloTimeout)
	defer t.Stop()
	select {
	case <-c.hello:
		return c, nil
	case <-c.done:
		m.wg.Go(func() { c.finish(c.endReason) })
		reason := c.endReason
		if !c.refused {
			reason = "closed_before_hello"
		}
		return nil, &attemptError{reason: reason, err: fmt.Errorf("socket closed before hello: %s", c.endReason)}
	case <-t.C:
		m.wg.Go(func() { c.finish("hello_timeout") })
		return nil, &attemptError{reason: "hello_timeout", err: fmt.Errorf("no hello within %s", m.cfg.HelloTimeout)}
	case <-ctx.Done():
		// Run finishes every registered socket on shutdown.
		return nil, ctx.Err()
	}
}

// redactURL keeps only the scheme, host and path: the query holds the
// single-use ticket, which must not reach logs.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparsable socket URL>"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// redactErr removes the socket URL from err's text (url.Error and parse
// errors quote it). The chain is kept only when the URL was not present.
func redactErr(err error, wsURL string) error {
	if wsURL == "" || !strings.Contains(err.Error(), wsURL) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), wsURL, redactURL(wsURL)))
}

// backoff yields exponentially growing waits with jitter between min and max.
type backoff struct {
	min, max time.Duration
	attempt  int
}

func (b *backoff) next() time.Duration {
	d := b.max
	if b.attempt < 32 {
		if e := b.min << b.attempt; e > 0 && e < b.max {
			d = e
		}
	}
	b.attempt++
	// Half fixed, half random: slots that failed together spread out, and
	// the wait still grows.
	half := d / 2
	d = half + rand.N(d-half+1)
	return max(d, b.min)
}

func (b *backoff) reset() { b.attempt = 0 }

// sleep waits d and reports false if ctx was done first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
