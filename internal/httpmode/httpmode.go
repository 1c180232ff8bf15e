// Package httpmode receives Slack's HTTP deliveries (the "Request URL" mode:
// slash commands, interactivity and the Events API) and hands each one to an
// envelope.Dispatcher as the same envelope.Envelope the Socket Mode transport
// builds, so one handler layer serves both transports. It is a thin adapter:
// it checks the signature, translates the request into an envelope and the
// Ack into the response, and decodes no payload beyond an Events API body's
// type.
//
// Every request is signature-checked before it is parsed or dispatched: the
// body is read once, capped at Config.MaxBody, and
// X-Slack-Signature must be "v0=" + hex HMAC-SHA256(secret,
// "v0:"+timestamp+":"+body) with X-Slack-Request-Timestamp within five
// minutes of the clock. A request that fails any check is answered 401 with
// the same body whatever the reason, and nothing else happens. The one
// unsigned request that gets a 200 is Slack's ssl_check probe to the
// commands URL (Slack sends it without signature headers); it is never
// dispatched.
//
// The package does not deduplicate: Slack's retries of an event carry the
// same event_id, and the handlers dedupe on it.
package httpmode

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stickerbot/stickerbot/internal/envelope"
)

// Paths served by Register. Point the Slack app's slash command Request URL,
// Interactivity Request URL and Event Subscriptions Request URL at them.
const (
	PathCommands     = "/slack/commands"
	PathInteractions = "/slack/interactions"
	PathEvents       = "/slack/events"
)

const (
	// DefaultMaxBody is the body cap used when Config.MaxBody is zero.
	DefaultMaxBody int64 = 1 << 20
	// DefaultAckBudget is the dispatch budget used when Config.AckBudget is
	// zero; Slack gives up on a response after 3 seconds.
	DefaultAckBudget = 2500 * time.Millisecond
	// maxSkew is how far X-Slack-Request-Timestamp may be from Now, either way.
	maxSkew = 5 * time.Minute
)

// Fixed response bodies. The 401 body is the same for every failed check so
// that a caller learns nothing about which one failed.
const (
	bodyUnauthorized = "invalid request"
	bodyTooLarge     = "request too large"
	bodyBadRequest   = "bad request"
)

// Config holds a Handler's dependencies and knobs.
type Config struct {
	// SigningSecret is the app's signing secret (Basic Information page);
	// required.
	SigningSecret string
	// Dispatcher receives every verified delivery; required. Each call
	// gets until AckBudget after the request was read (ctx is not
	// cancelled when the HTTP client goes away, only by that deadline);
	// after it, a bare ack is sent and the result discarded. An Ack of
	// envelope.Malformed is answered 400 (except for events, which Slack
	// would only send again).
	Dispatcher envelope.Dispatcher
	// Logger receives structured logs; nil means slog.Default(). Secrets,
	// signatures and bodies are never logged.
	Logger *slog.Logger
	// MaxBody caps a request body in bytes; 0 means DefaultMaxBody (1 MiB).
	// A larger body is answered 413 and not dispatched.
	MaxBody int64
	// AckBudget is the longest Dispatcher.Dispatch may take before a bare
	// ack is sent anyway; 0 means DefaultAckBudget (2.5s).
	AckBudget time.Duration
	// Now is the clock the timestamp check uses; nil means time.Now.
	Now func() time.Time
}

// Handler serves Slack's HTTP deliveries. It is safe for concurrent use.
type Handler struct {
	secret  []byte
	caller  *envelope.Caller
	log     *slog.Logger
	maxBody int64
	budget  time.Duration
	now     func() time.Time
}

// New checks cfg and returns a Handler. It fails when SigningSecret is
// empty, Dispatcher is nil, or MaxBody or AckBudget is negative.
func New(cfg Config) (*Handler, error) {
	if cfg.SigningSecret == "" {
		return nil, errors.New("httpmode: SigningSecret is required")
	}
	if cfg.Dispatcher == nil {
		return nil, errors.New("httpmode: Dispatcher is required")
	}
	if cfg.MaxBody < 0 {
		return nil, fmt.Errorf("httpmode: MaxBody must not be negative, got %d", cfg.MaxBody)
	}
	if cfg.AckBudget < 0 {
		return nil, fmt.Errorf("httpmode: AckBudget must not be negative, got %s", cfg.AckBudget)
	}
	h := &Handler{
		secret:  []byte(cfg.SigningSecret),
		log:     cfg.Logger,
		maxBody: cfg.MaxBody,
		budget:  cfg.AckBudget,
		now:     cfg.Now,
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.maxBody == 0 {
		h.maxBody = DefaultMaxBody
	}
	if h.budget == 0 {
		h.budget = DefaultAckBudget
	}
	if h.now == nil {
		h.now = time.Now
	}
	h.caller = envelope.NewCaller(cfg.Dispatcher, h.log)
	return h, nil
}

// Register mounts the three endpoints on mux, POST only (other methods get
// the mux's 405): PathCommands, PathInteractions and PathEvents.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST "+PathCommands, h.serveCommands)
	mux.HandleFunc("POST "+PathInteractions, h.serveInteractions)
	mux.HandleFunc("POST "+PathEvents, h.serveEvents)
}

// serveCommands handles a form-encoded slash command.
func (h *Handler) serveCommands(w http.ResponseWriter, r *http.Request) {
	body, ok := h.readBody(w, r)
	if !ok {
		return
	}
	if err := h.verify(r.Header, body); err != nil {
		// Slack's ssl_check probe carries no signature headers. It is
		// answered 200 and goes no further, so skipping the check for it
		// lets nothing through.
		if isSSLCheck(body) {
			h.log.Debug("answered an ssl_check probe", "path", r.URL.Path)
			w.WriteHeader(http.StatusOK)
			return
		}
		h.reject(w, r, err)
		return
	}
	payload, sslCheck, err := commandPayload(body)
	if err != nil {
		h.badRequest(w, r, err)
		return
	}
	if sslCheck {
		h.log.Debug("answered an ssl_check probe", "path", r.URL.Path)
		w.WriteHeader(http.StatusOK)
		return
	}
	h.dispatchAndAck(w, r, &envelope.Envelope{Kind: envelope.SlashCommand, Payload: payload})
}

// verifiedBody reads r's body and checks its signature, answering the
// request itself (413, 401) when either fails.
func (h *Handler) verifiedBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, ok := h.readBody(w, r)
	if !ok {
		return nil, false
	}
	if err := h.verify(r.Header, body); err != nil {
		h.reject(w, r, err)
		return nil, false
	}
	return body, true
}

// serveInteractions handles a form-encoded interactivity payload.
func (h *Handler) serveInteractions(w http.ResponseWriter, r *http.Request) {
	body, ok := h.verifiedBody(w, r)
	if !ok {
		return
	}
	payload, err := interactionPayload(body)
	if err != nil {
		h.badRequest(w, r, err)
		return
	}
	h.dispatchAndAck(w, r, &envelope.Envelope{Kind: envelope.Interactive, Payload: payload})
}

// serveEvents handles an Events API delivery: url_verification is answered
// here, event_callback is dispatched, anything else is logged and acked.
func (h *Handler) serveEvents(w http.ResponseWriter, r *http.Request) {
	body, ok := h.verifiedBody(w, r)
	if !ok {
		return
	}
	head, err := eventHead(body)
	if err != nil {
		h.badRequest(w, r, err)
		return
	}
	switch head.Type {
	case "url_verification":
		h.log.Info("answered url_verification", "path", r.URL.Path)
		writeJSON(w, h.log, map[string]string{"challenge": head.Challenge})
	case "event_callback":
		env := &envelope.Envelope{
			Kind:         envelope.Event,
			Payload:      json.RawMessage(body),
			RetryAttempt: retryNum(r.Header.Get("X-Slack-Retry-Num")),
			RetryReason:  r.Header.Get("X-Slack-Retry-Reason"),
		}
		// Slack ignores the body of an Events API response, and would
		// only send an event the Dispatcher cannot read again: 200 always.
		h.dispatch(r.Context(), env)
		w.WriteHeader(http.StatusOK)
	default:
		h.log.Info("ignoring an Events API delivery", "path", r.URL.Path, "type", head.Type)
		w.WriteHeader(http.StatusOK)
	}
}

// readBody reads the whole body, at most h.maxBody bytes. On failure it has
// answered (413 when too large) and returns false.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err == nil {
		return body, true
	}
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		h.log.Warn("rejected an oversize request", "path", r.URL.Path, "limit", h.maxBody, "remote", r.RemoteAddr)
		http.Error(w, bodyTooLarge, http.StatusRequestEntityTooLarge)
		return nil, false
	}
	h.log.Debug("could not read a request body", "path", r.URL.Path, "remote", r.RemoteAddr, "err", err)
	http.Error(w, bodyBadRequest, http.StatusBadRequest)
	return nil, false
}

// Reasons verify gives; they go to the log only, never to the caller.
var (
	errMissingHeaders = errors.New("missing signature or timestamp header")
	errBadTimestamp   = errors.New("timestamp is not a number")
	errStaleTimestamp = errors.New("timestamp outside the 5 minute window")
	errBadSignature   = errors.New("signature does not match")
)

// verify checks Slack's v0 signature over body and the timestamp's distance
// from h.now.
func (h *Handler) verify(header http.Header, body []byte) error {
	sig := header.Get("X-Slack-Signature")
	ts := header.Get("X-Slack-Request-Timestamp")
	if sig == "" || ts == "" {
		return errMissingHeaders
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errBadTimestamp
	}
	// Sub saturates instead of overflowing, so absurd values stay absurd.
	if h.now().Sub(time.Unix(secs, 0)).Abs() > maxSkew {
		return errStaleTimestamp
	}
	hexSig, ok := strings.CutPrefix(sig, "v0=")
	if !ok {
		return errBadSignature
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return errBadSignature
	}
	if !hmac.Equal(got, sign(h.secret, ts, body)) {
		return errBadSignature
	}
	return nil
}

// sign returns the raw HMAC-SHA256 of Slack's v0 base string.
func sign(secret []byte, timestamp string, body []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("v0:" + timestamp + ":"))
	mac.Write(body)
	return mac.Sum(nil)
}

// reject answers 401 with the fixed body and logs why, without secrets,
// signatures or the body.
func (h *Handler) reject(w http.ResponseWriter, r *http.Request, why error) {
	h.log.Warn("rejected an unverified request", "path", r.URL.Path, "remote", r.RemoteAddr, "reason", why.Error())
	http.Error(w, bodyUnauthorized, http.StatusUnauthorized)
}

// badRequest answers 400 for a verified request that cannot be decoded.
func (h *Handler) badRequest(w http.ResponseWriter, r *http.Request, why error) {
	h.log.Warn("rejected a malformed request", "path", r.URL.Path, "err", why)
	http.Error(w, bodyBadRequest, http.StatusBadRequest)
}

// dispatchAndAck dispatches env and writes its Ack as the response: a bare
// ack is an empty 200, Malformed a 400, anything else JSON.
func (h *Handler) dispatchAndAck(w http.ResponseWriter, r *http.Request, env *envelope.Envelope) {
	ack := h.dispatch(r.Context(), env)
	if envelope.IsMalformed(ack) {
		h.badRequest(w, r, errUnreadable)
		return
	}
	body, err := envelope.Encode(ack)
	if err != nil {
		h.log.Error("cannot encode a response", "envelope_id", env.ID, "type", string(env.Kind), "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if body == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, h.log, body)
}

// errUnreadable: the Dispatcher could not read the payload.
var errUnreadable = errors.New("the Dispatcher cannot read the payload")

// dispatch gives env an envelope id and asks the Dispatcher for its Ack
// within the budget.
func (h *Handler) dispatch(parent context.Context, env *envelope.Envelope) envelope.Ack {
	env.ID = newEnvelopeID()
	log := h.log.With("envelope_id", env.ID, "type", string(env.Kind))
	if env.RetryAttempt > 0 {
		log.Info("received a retried delivery", "retry_attempt", env.RetryAttempt, "retry_reason", env.RetryReason)
	} else {
		log.Debug("received a delivery")
	}
	return h.caller.Call(context.WithoutCancel(parent), env, time.Now().Add(h.budget))
}

// Wait waits up to d for Dispatcher calls that overran their budget (their
// requests were answered already), and reports whether none is left: call
// it after the HTTP server has shut down.
func (h *Handler) Wait(d time.Duration) bool { return h.caller.Wait(d) }

// writeJSON writes v as a 200 JSON body, or a 500 when it cannot be encoded.
func writeJSON(w http.ResponseWriter, log *slog.Logger, v any) {
	b, ok := v.(json.RawMessage)
	if !ok {
		var err error
		if b, err = json.Marshal(v); err != nil {
			log.Error("cannot encode a response", "err", fmt.Errorf("encode response: %w", err))
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(b); err != nil {
		log.Debug("response not written", "err", err)
	}
}

// newEnvelopeID returns a fresh id for log correlation: HTTP deliveries
// have none of their own.
func newEnvelopeID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails since Go 1.24
	return "http-" + hex.EncodeToString(b[:])
}

// retryNum reads X-Slack-Retry-Num: 0 when absent or not a small
// non-negative number.
func retryNum(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0
	}
	return n
}
