package slacksim

// HTTP delivery: with WithRequestURL every envelope goes to the bot as the
// signed HTTP POST Slack sends to an app's Request URLs, instead of as a
// Socket Mode frame. The HTTP response stands in for the ack.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Request URL paths the fake posts to in HTTP mode (see [WithRequestURL]):
// the slash command, Interactivity and Event Subscriptions Request URLs.
const (
	PathCommands     = "/slack/commands"
	PathInteractions = "/slack/interactions"
	PathEvents       = "/slack/events"
)

// Events API retry reasons sent in X-Slack-Retry-Reason in HTTP mode.
const (
	RetryHTTPTimeout      = "http_timeout"      // no 2xx within the ack timeout
	RetryHTTPError        = "http_error"        // a non-2xx status
	RetryConnectionFailed = "connection_failed" // could not connect
	RetryUnknownError     = "unknown_error"     // anything else
)

// User-visible errors of HTTP deliveries, besides "dispatch_failed" (the
// request could not be sent or got no response) and "operation_timeout".
const (
	// UserErrorHTTP is recorded when a slash command or interaction is
	// answered with a non-2xx status.
	UserErrorHTTP = "http_error"
)

// maxResponse caps the response body the fake reads.
const maxResponse = 1 << 20

// requestURL is the HTTP delivery configuration and its client.
type requestURL struct {
	base   string
	secret string

	once   sync.Once
	client *http.Client
	ctx    context.Context // cancelled when the Server closes
}

// WithRequestURL makes the fake deliver every slash command, interaction and
// event as a signed HTTP POST to the bot, as Slack does for an app that is
// not in Socket Mode, instead of over a Socket Mode WebSocket. baseURL is the
// bot's root, like "http://127.0.0.1:8080"; requests go to baseURL +
// [PathCommands] (form-encoded), [PathInteractions] (form field "payload"
// holding the JSON) and [PathEvents] (the event_callback JSON body), signed
// with signingSecret (X-Slack-Request-Timestamp and X-Slack-Signature, see
// [Signature]).
//
// The HTTP response is the ack: a 2xx status within the ack timeout (see
// [WithAckTimeout]) is recorded as an [Ack] with Conn and DeliveredConn -1 and
// Payload the response body (nil when empty, null or {}), and applied as a
// Socket Mode ack payload would be (slash command messages, view_submission
// response_action). Otherwise the user sees an error ([UserError]):
// "operation_timeout" when there is no answer in time, [UserErrorHTTP] for a
// non-2xx status, "dispatch_failed" when the request cannot be sent (then
// [Delivery.Err] wraps [ErrDispatchFailed] too). An event not answered 2xx is
// retried on the schedule of [WithEventRetryDelays], counted from the failure,
// with X-Slack-Retry-Num and X-Slack-Retry-Reason ([RetryHTTPTimeout],
// [RetryHTTPError], [RetryConnectionFailed]) unless the answer carries
// X-Slack-No-Retry: 1.
//
// Delivery methods return once the request has been written; the response
// is awaited in the background ([Server.WaitAck], [Server.WaitUserError]).
// No Socket Mode connection is needed or used (do not wait for one with
// [Server.WaitConnections]); [OnConn] is ignored and events are never
// queued. [Server.Redeliver] posts the payload again (an event
// with the retry headers of [WithRetry]) and schedules no retries.
func WithRequestURL(baseURL, signingSecret string) Option {
	return func(c *config) {
		c.requestURL = &requestURL{base: strings.TrimRight(baseURL, "/"), secret: signingSecret}
	}
}

// Signature returns Slack's v0 request signature of body sent at timestamp
// (Unix seconds, as in X-Slack-Request-Timestamp): "v0=" followed by the hex
// HMAC-SHA256 of "v0:"+timestamp+":"+body keyed with the signing secret.
func Signature(signingSecret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(signingSecret))
	mac.Write([]byte("v0:" + timestamp + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// httpClient returns the delivery configuration with its client, creating
// the client on first use.
func (s *Server) httpClient() *requestURL {
	rq := s.cfg.requestURL
	rq.once.Do(func() {
		tr := &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 16,
			IdleConnTimeout:     30 * time.Second,
		}
		rq.client = &http.Client{
			Transport: tr,
			// Slack follows up to two redirects.
			CheckRedirect: func(_ *http.Request, via []*http.Request) error {
				if len(via) > 2 {
					return errors.New("too many redirects")
				}
				return nil
			},
		}
		ctx, cancel := context.WithCancel(context.Background())
		rq.ctx = ctx
		go func() {
			<-s.done
			cancel()
			tr.CloseIdleConnections()
		}()
	})
	return rq
}

// httpResult is the outcome of one HTTP delivery.
type httpResult struct {
	written bool // the request reached the bot
	timeout bool // no complete answer within the ack timeout
	err     error
	status  int
	header  http.Header
	body    []byte
	at      time.Time
}

func (r httpResult) ok() bool { return r.err == nil && r.status >= 200 && r.status <= 299 }

// post sends body to path as a signed request (with retry headers when
// retry > 0) and calls done with the outcome on a background goroutine. It
// returns once the request has been written, or with the error when it could
// not be (after done has run), or when ctx ends first (nil; done still runs).
func (s *Server) post(ctx context.Context, path, contentType string, body []byte, retry int, reason string, done func(httpResult)) error {
	rq := s.httpClient()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	rctx, cancel := context.WithTimeout(rq.ctx, s.cfg.ackTimeout)
	var wrote atomic.Bool
	signal := make(chan struct{}, 1)
	notify := func() {
		select {
		case signal <- struct{}{}:
		default:
		}
	}
	trace := &httptrace.ClientTrace{WroteRequest: func(info httptrace.WroteRequestInfo) {
		if info.Err == nil {
			wrote.Store(true)
			notify()
		}
	}}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(rctx, trace), http.MethodPost, rq.base+path, bytes.NewReader(body))
	if err != nil {
		cancel()
		return err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", Signature(rq.secret, ts, body))
	if retry > 0 {
		req.Header.Set("X-Slack-Retry-Num", strconv.Itoa(retry))
		req.Header.Set("X-Slack-Retry-Reason", reason)
	}
	s.logf("http: POST %s retry=%d %s", path, retry, body)

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		cancel()
		return errors.New("slacksim: server closed")
	}
	s.wg.Add(1)
	s.mu.Unlock()
	var final httpResult
	finished := make(chan struct{})
	go func() {
		defer s.wg.Done()
		defer cancel()
		r := httpResult{}
		resp, err := rq.client.Do(req)
		if err == nil {
			r.status, r.header = resp.StatusCode, resp.Header
			r.body, err = io.ReadAll(io.LimitReader(resp.Body, maxResponse))
			resp.Body.Close()
		}
		r.at, r.err, r.written = time.Now(), err, wrote.Load()
		r.timeout = err != nil && errors.Is(rctx.Err(), context.DeadlineExceeded)
		if err != nil {
			s.logf("http: POST %s: %v", path, err)
		} else {
			s.logf("http: POST %s: %d %s", path, r.status, r.body)
		}
		done(r)
		final = r
		close(finished)
		notify()
	}()
	select {
	case <-signal:
	case <-ctx.Done():
		return nil
	}
	if wrote.Load() {
		return nil
	}
	<-finished
	if final.err != nil {
		return final.err
	}
	return nil
}

// requestBody returns the path, content type and body of env's HTTP delivery.
func requestBody(env *envelope) (path, contentType string, body []byte) {
	const form = "application/x-www-form-urlencoded"
	switch env.typ {
	case TypeSlashCommands:
		var fields map[string]string
		_ = json.Unmarshal(env.payload, &fields)
		v := url.Values{}
		for k, x := range fields {
			v.Set(k, x)
		}
		return PathCommands, form, []byte(v.Encode())
	case TypeInteractive:
		return PathInteractions, form, []byte(url.Values{"payload": {string(env.payload)}}.Encode())
	default:
		return PathEvents, "application/json", env.payload
	}
}

// dispatchHTTP is dispatch in HTTP mode.
func (s *Server) dispatchHTTP(ctx context.Context, env *envelope) Delivery {
	d := env.delivery()
	s.mu.Lock()
	s.trackLocked(env, -1)
	s.mu.Unlock()
	path, ctype, body := requestBody(env)
	if err := s.post(ctx, path, ctype, body, 0, "", func(r httpResult) { s.finishHTTP(env, r) }); err != nil {
		d.Err = fmt.Errorf("%w: %v", ErrDispatchFailed, err)
	}
	return d
}

// finishHTTP records the outcome of a slash command or interaction delivery.
func (s *Server) finishHTTP(env *envelope, r httpResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if r.ok() {
		s.recordHTTPAckLocked(env, r)
		return
	}
	code := "dispatch_failed"
	switch {
	case r.timeout:
		code = "operation_timeout"
	case r.err == nil:
		code = UserErrorHTTP
	}
	s.userErrorLocked(env, code, r.at)
}

// recordHTTPAckLocked records a 2xx answer as the ack of env. s.mu must
// be held.
func (s *Server) recordHTTPAckLocked(env *envelope, r httpResult) {
	s.recordAckLocked(env, Ack{
		EnvelopeID: env.id, Conn: -1, Payload: normalizePayload(r.body),
		Raw: append(json.RawMessage(nil), r.body...), At: r.at,
	})
}

// postEvent is sendEvent's delivery in HTTP mode: it posts env, the
// tracked envelope of an event, as attempt and, when the bot does not
// answer 2xx, schedules the next retry.
func (s *Server) postEvent(ctx context.Context, env *envelope, attempt int, reason string) error {
	return s.post(ctx, PathEvents, "application/json", env.payload, attempt, reason, func(r httpResult) {
		s.finishEventHTTP(env, attempt, true, r)
	})
}

// finishEventHTTP records the outcome of an event delivery and, if retry is
// set and it failed, schedules the next attempt.
func (s *Server) finishEventHTTP(env *envelope, attempt int, retry bool, r httpResult) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	if r.ok() {
		s.recordHTTPAckLocked(env, r)
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	reason := RetryUnknownError
	switch {
	case r.timeout:
		reason = RetryHTTPTimeout
	case r.err == nil:
		reason = RetryHTTPError
		if r.header.Get("X-Slack-No-Retry") == "1" {
			return
		}
	case !r.written:
		reason = RetryConnectionFailed
	}
	if !retry || attempt >= len(s.cfg.eventRetryDelays) {
		return
	}
	ev := env.event
	s.goAfter(s.cfg.eventRetryDelays[attempt], func() {
		s.sendEvent(context.Background(), ev, attempt+1, reason, -1)
	})
}

// redeliverHTTP is Redeliver in HTTP mode.
func (s *Server) redeliverHTTP(ctx context.Context, envelopeID string, o deliverOpts) Delivery {
	s.mu.Lock()
	env, err := s.redeliveryLocked(envelopeID, o)
	if err != nil {
		s.mu.Unlock()
		return Delivery{EnvelopeID: envelopeID, Conn: -1, Err: err}
	}
	s.trackLocked(env, -1)
	s.mu.Unlock()
	retry, reason := 0, ""
	if o.retrySet && env.event != nil {
		retry, reason = o.retry, o.retryReason
	}
	d := env.delivery()
	d.RetryAttempt = retry
	path, ctype, body := requestBody(env)
	err = s.post(ctx, path, ctype, body, retry, reason, func(r httpResult) {
		if env.event != nil {
			s.finishEventHTTP(env, retry, false, r)
		} else {
			s.finishHTTP(env, r)
		}
	})
	if env.event != nil {
		d.Err = err
	} else if err != nil {
		d.Err = fmt.Errorf("%w: %v", ErrDispatchFailed, err)
	}
	return d
}
