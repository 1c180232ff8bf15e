package slacksim

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Envelope types, as in the "type" field of a Socket Mode frame.
const (
	TypeSlashCommands = "slash_commands" // slash command invocations
	TypeInteractive   = "interactive"    // block_actions, view_submission, ...
	TypeEventsAPI     = "events_api"     // Events API event_callback bodies
)

// Violation kinds.
const (
	// ViolationLateAck: an ack arrived after the ack timeout (3s).
	ViolationLateAck = "late_ack"
	// ViolationUnknownAck: an ack named an envelope_id the fake never sent.
	ViolationUnknownAck = "unknown_ack"
	// ViolationDuplicateAck: a second ack for the same envelope_id.
	ViolationDuplicateAck = "duplicate_ack"
	// ViolationBadFrame: a client frame that is not a JSON ack.
	ViolationBadFrame = "bad_frame"
	// ViolationFrameTooLarge: a client frame over 20480 bytes (Slack closes the
	// socket with 1009).
	ViolationFrameTooLarge = "frame_too_large"
	// ViolationBadAckPayload: an ack payload Slack would reject or ignore, e.g.
	// invalid blocks in a slash command ack or a response_action the view does
	// not allow.
	ViolationBadAckPayload = "bad_ack_payload"
	// ViolationErrorsKey: a view_submission "errors" response naming a key that
	// is not the block_id of an input block of the submitted view.
	ViolationErrorsKey = "errors_key_not_input_block"
	// ViolationUploadLength: bytes posted to an upload_url differ from the
	// length given to files.getUploadURLExternal.
	ViolationUploadLength = "upload_length_mismatch"
)

// ErrDispatchFailed is the [Delivery.Err] of a slash command or interaction
// that could not be sent because no Socket Mode connection was open (the user
// sees "dispatch_failed"; Slack does not redeliver).
var ErrDispatchFailed = errors.New("dispatch_failed: no Socket Mode connection")

// TokenKind says which token authenticated a recorded [Call].
type TokenKind string

// Token kinds.
const (
	TokenNone    TokenKind = "none"    // no token sent
	TokenBot     TokenKind = "bot"     // the configured xoxb- token
	TokenApp     TokenKind = "app"     // the configured xapp- token
	TokenUnknown TokenKind = "unknown" // any other token
	// TokenRejected is a token of WithRejectedToken, which Slack knows and
	// refuses.
	TokenRejected TokenKind = "rejected"
)

// Channel describes a conversation in the fake workspace. IDs starting with D
// are DMs, G private channels (as is Private), anything else public channels.
type Channel struct {
	ID      string
	Name    string
	Private bool
	// BotMember says whether the bot is in the channel; chat.postMessage fails
	// with not_in_channel (public) or channel_not_found (private) otherwise.
	BotMember bool
	// Members are the user IDs in the channel (for chat.postEphemeral's
	// user_not_in_channel).
	Members []string
	// Topic is shown under the channel's name.
	Topic string
}

// Call is one recorded Web API call.
type Call struct {
	Method string
	Token  TokenKind
	// Params holds every argument as a string: form values as sent, JSON body
	// string fields unquoted and other JSON fields (blocks, view, ...) as JSON text.
	Params map[string]string
	// JSON reports whether the body was JSON (otherwise form-encoded or empty).
	JSON bool
	At   time.Time
	// Status is the HTTP status answered; Error the Slack error code ("" when ok).
	Status   int
	Error    string
	Response json.RawMessage
}

// Blocks returns the "blocks" argument as JSON, or nil.
func (c Call) Blocks() json.RawMessage { return jsonParam(c.Params["blocks"]) }

// View returns the "view" argument as JSON, or nil.
func (c Call) View() json.RawMessage { return jsonParam(c.Params["view"]) }

func jsonParam(s string) json.RawMessage {
	if s == "" || !json.Valid([]byte(s)) {
		return nil
	}
	return json.RawMessage(s)
}

// Ack is one ack frame received from the bot.
type Ack struct {
	EnvelopeID string
	// Type is the envelope type acked ("" for an unknown envelope).
	Type string
	// Conn is the connection the ack came in on; DeliveredConn the one the
	// envelope was sent on.
	Conn, DeliveredConn int
	// Payload is the ack payload, nil when it was missing, null or {}.
	Payload json.RawMessage
	// Raw is the whole frame.
	Raw     json.RawMessage
	At      time.Time
	Latency time.Duration // since delivery
	// Late: after the ack timeout. Unknown: never delivered. Duplicate: acked before.
	Late, Unknown, Duplicate bool
}

// Violation is a protocol mistake by the bot that Slack would not report back
// (or would only show the user).
type Violation struct {
	Kind       string
	EnvelopeID string
	Conn       int
	Detail     string
	At         time.Time
}

// String formats the violation for test output.
func (v Violation) String() string {
	return fmt.Sprintf("%s (envelope %q, conn %d): %s", v.Kind, v.EnvelopeID, v.Conn, v.Detail)
}

// UserError is an error a Slack user would see in the client.
type UserError struct {
	// Error is "dispatch_failed" (no connection) or "operation_timeout" (no ack
	// within the ack timeout).
	Error      string
	Type       string // envelope type
	EnvelopeID string
	User       string
	Channel    string
	At         time.Time
}

// Message is a message as users see it in a channel: posted with the Web API,
// through a response_url, or as a slash command ack.
type Message struct {
	Channel  string
	TS       string
	ThreadTS string
	// Ephemeral messages are seen only by User.
	Ephemeral bool
	User      string
	// Author wrote it: the bot (BotUserID, or "" for what the app posted),
	// a person (PostUserMessage, command echoes) or SlackbotID.
	Author string
	// Text, Blocks and Attachments are the current content.
	Text        string
	Blocks      json.RawMessage
	Attachments json.RawMessage
	// Source is how it was posted: a Web API method, "response_url", "ack",
	// or [SourceUser] for a message a person wrote.
	Source string
	// ResponseURL is the response_url that posted it, if any.
	ResponseURL string
	// Username, IconURL, IconEmoji are the customisation arguments, if any.
	Username, IconURL, IconEmoji string
	// Files are the IDs of files shared with the message.
	Files []string
	// Edits counts replacements (chat.update, replace_original).
	Edits   int
	Deleted bool
}

// MrkdwnTexts returns the message's top-level text and every mrkdwn text object
// in its blocks, for checks with [HasUnescapedSpecial].
func (m Message) MrkdwnTexts() []string {
	var out []string
	if m.Text != "" {
		out = append(out, m.Text)
	}
	return append(out, MrkdwnTexts(m.Blocks)...)
}

func (m *Message) clone() Message {
	c := *m
	c.Files = append([]string(nil), m.Files...)
	return c
}

// ResponsePost is one POST to a response_url.
type ResponsePost struct {
	URL string
	// EnvelopeID is the delivery that issued the URL.
	EnvelopeID string
	Body       json.RawMessage
	// Parsed fields of Body. ReplaceOriginal and DeleteOriginal accept JSON
	// booleans or the strings "true"/"false".
	Text            string
	Blocks          json.RawMessage
	ResponseType    string
	ReplaceOriginal bool
	DeleteOriginal  bool
	// Status and Answer are what the fake answered ("ok" or an error text).
	Status int
	Answer string
	// Message is the message created or replaced, if any.
	Message Message
	// Deleted is the original message deleted by delete_original, if any.
	Deleted *Message
	At      time.Time
}

// ConnInfo describes one Socket Mode WebSocket connection.
type ConnInfo struct {
	// Index numbers connections from 0 in the order they were accepted.
	Index int
	// Host is the debug_info.host sent in hello, like "applink-3".
	Host string
	// Query is the raw query of the WebSocket URL the client dialled.
	Query    string
	OpenedAt time.Time
	// Hello reports whether hello was sent. Rejected means too_many_websockets
	// was sent instead.
	Hello, Rejected bool
	// Disconnect is the reason of the disconnect frame sent, if any.
	Disconnect string
	Blackholed bool
	Pinging    bool
	// Closed reports whether the socket is gone; CloseReason says how.
	Closed      bool
	CloseReason string
	// PingsSent counts server pings, Pongs the client's answers and ClientPings
	// the pings the client sent.
	PingsSent, Pongs, ClientPings int
}

// Delivery describes an envelope sent (or not) to the bot.
type Delivery struct {
	EnvelopeID string
	Type       string
	// Conn is the connection it was sent on, -1 when none.
	Conn int
	// ResponseURL and TriggerID were issued for this delivery (commands and
	// interactions).
	ResponseURL string
	TriggerID   string
	// EventID is the event_id of events_api deliveries.
	EventID      string
	RetryAttempt int
	// Payload is the envelope's payload as sent.
	Payload json.RawMessage
	// Queued reports an event kept for the next connection.
	Queued bool
	// Err is ErrDispatchFailed or a write error.
	Err error
}

// Failure is an injected answer for the next calls of a method; see
// [Server.FailNext]. Exactly one of Error or Status is normally set; Delay may be
// combined with either or used alone.
type Failure struct {
	// Error answers HTTP 200 {"ok":false,"error":Error} (for response_url and
	// file transfers: HTTP 404 with Error as text).
	Error string
	// Status answers with this HTTP status. 429 answers body
	// {"ok":false,"error":"ratelimited"} and a Retry-After header when
	// RetryAfter > 0 (whole seconds, rounded up).
	Status     int
	RetryAfter time.Duration
	// Delay waits before answering (as the failure, or normally when neither
	// Error nor Status is set).
	Delay time.Duration
}
