package playground

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
)

// Workspace is the Slack simulator behind the page. Every method is safe
// for concurrent use. Methods that act return an error wrapping
// [ErrBadRequest] for a request the page should not have made; what Slack
// would show the person instead (a failed command, a refused message)
// goes into the State.
type Workspace interface {
	// State returns what user sees now; "" is the first user. An unknown
	// user is ErrBadRequest.
	State(user string) (State, error)
	// Changed returns a channel that is closed at the next change of
	// any user's State.
	Changed() <-chan struct{}

	// Post handles what was typed in a conversation's message box.
	Post(ctx context.Context, r MessageRequest) error
	// Act presses a button or chooses an option.
	Act(ctx context.Context, r ActionRequest) error
	// Submit submits the top modal of r.User's stack and returns once the
	// app has answered (or Slack would have given up waiting).
	Submit(ctx context.Context, r SubmitRequest) (SubmitResult, error)
	// Close closes a modal (and, with All, the views under it).
	Close(ctx context.Context, r CloseRequest) error
	// Shortcut runs a global shortcut, or a message shortcut on a message.
	Shortcut(ctx context.Context, r ShortcutRequest) error
	// OpenAppHome opens a tab of the app's page (app_home_opened).
	OpenAppHome(ctx context.Context, r AppHomeRequest) error
	// Upload stores a file user chose in a file input, private to user
	// until it is shared, and returns it.
	Upload(ctx context.Context, user, name string, data []byte) (File, error)
	// File returns a file's description and bytes; ok is false for an
	// unknown ID.
	File(id string) (f File, data []byte, ok bool)
}

// ErrBadRequest marks a request the page should not have made.
var ErrBadRequest = errors.New("bad request")

// State is everything one user sees.
type State struct {
	// Version grows with every change; the page ignores a State older
	// than the one it shows.
	Version  uint64    `json:"version"`
	Team     string    `json:"team"`
	Me       string    `json:"me"` // the user this State is for
	Users    []User    `json:"users"`
	Channels []Channel `json:"channels"` // those Me is a member of, and the DM with the app
	App      App       `json:"app"`
	// Messages are those Me can see, in every channel, oldest first.
	Messages []Message `json:"messages"`
	// Modals is Me's modal stack, bottom first.
	Modals []View `json:"modals"`
	// Home is the Home tab view the app published for Me, if any.
	Home *View `json:"home,omitempty"`
}

// User is a person in the workspace (not the app).
type User struct {
	ID       string `json:"id"`
	Name     string `json:"name"`      // the handle: ana
	RealName string `json:"real_name"` // Ana Lima
	// Admin: the bot counts this person as a sticker admin.
	Admin bool `json:"admin"`
}

// Channel kinds.
const (
	KindChannel = "channel" // a public channel
	KindPrivate = "private" // a private channel
	KindApp     = "app"     // the DM with the app (its Messages tab)
)

// Channel is a conversation in the sidebar.
type Channel struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind"`
	// BotMember: the app's bot user is in the channel, so it receives
	// mentions and may post there.
	BotMember bool   `json:"bot_member"`
	Topic     string `json:"topic,omitempty"`
}

// App is the Slack app as its manifest declares it.
type App struct {
	ID        string     `json:"id"`
	BotUserID string     `json:"bot_user_id"`
	Name      string     `json:"name"`
	Commands  []Command  `json:"commands"`
	Shortcuts []Shortcut `json:"shortcuts"`
	// HomeTab and MessagesTab are the App Home tabs that are switched on.
	HomeTab     bool `json:"home_tab"`
	MessagesTab bool `json:"messages_tab"`
	// BotEvents are the Events API events the app subscribes to.
	BotEvents []string `json:"bot_events"`
}

// Subscribed reports whether the app subscribes to the event type.
func (a App) Subscribed(event string) bool { return slices.Contains(a.BotEvents, event) }

// Command is a slash command.
type Command struct {
	Command     string `json:"command"` // with the slash
	Description string `json:"description"`
	UsageHint   string `json:"usage_hint"`
}

// Shortcut types.
const (
	ShortcutGlobal  = "global"
	ShortcutMessage = "message"
)

// Shortcut is a global or message shortcut.
type Shortcut struct {
	Type        string `json:"type"`
	Name        string `json:"name"`
	CallbackID  string `json:"callback_id"`
	Description string `json:"description"`
}

// Message is one message as Me sees it.
type Message struct {
	Channel  string `json:"channel"`
	TS       string `json:"ts"`
	ThreadTS string `json:"thread_ts,omitempty"`
	// User is the author: a User's ID, the app's bot user, or USLACKBOT
	// for what Slack itself says.
	User string `json:"user"`
	// Bot: posted by the app. Username overrides its display name.
	Bot      bool   `json:"bot,omitempty"`
	Username string `json:"username,omitempty"`
	// Ephemeral: only Me sees it ("Only visible to you").
	Ephemeral bool `json:"ephemeral,omitempty"`
	// Text is mrkdwn (as Slack stores it: &, < and > escaped); Blocks,
	// when present, are shown instead, and Text is the notification.
	Text   string          `json:"text"`
	Blocks json.RawMessage `json:"blocks,omitempty"`
	Files  []File          `json:"files,omitempty"`
	Edited bool            `json:"edited,omitempty"`
	// Refused is set when this entry stands for something the app tried
	// to post (or open) and Slack refused: the page shows the error in its
	// place.
	Refused *Refusal `json:"refused,omitempty"`
}

// Refusal is a call Slack refused.
type Refusal struct {
	Method string `json:"method"` // chat.postMessage, response_url, views.open, …
	Error  string `json:"error"`  // Slack's error code
	// Detail is what Slack explained (response_metadata.messages).
	Detail []string `json:"detail,omitempty"`
}

// File is a file in the workspace.
type File struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Title    string `json:"title,omitempty"`
	Mimetype string `json:"mimetype"`
	Size     int    `json:"size"`
	// URL is where the page loads it from (/files/{id}).
	URL string `json:"url"`
}

// View types.
const (
	ViewModal = "modal"
	ViewHome  = "home"
)

// View is a modal or a Home tab.
type View struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Hash string `json:"hash"`
	// View is the view object as the app sent it (title, close, submit,
	// blocks, …), with Slack's generated block_ids and action_ids.
	View json.RawMessage `json:"view"`
	// Errors are the field errors of the last submission, by block_id.
	Errors map[string]string `json:"errors,omitempty"`
}

// MessageRequest is what was typed in a conversation's message box, as
// typed (the workspace escapes it and turns @names into mentions, as the
// Slack client does).
type MessageRequest struct {
	User     string `json:"user"`
	Channel  string `json:"channel"`
	Text     string `json:"text"`
	ThreadTS string `json:"thread_ts,omitempty"`
}

// Input is the value of one input element as the page holds it.
type Input struct {
	// Value: plain_text_input, number, email and url inputs, datepicker
	// (YYYY-MM-DD), timepicker (HH:MM). Absent: left empty.
	Value *string `json:"value,omitempty"`
	// Selected: the chosen option values (selects, radio buttons,
	// checkboxes) or conversation or user IDs.
	Selected []string `json:"selected,omitempty"`
	// Files: the file IDs of a file_input.
	Files []string `json:"files,omitempty"`
}

// Inputs are a view's inputs by block_id, then action_id.
type Inputs map[string]map[string]Input

// ActionRequest presses a button or chooses an option of a select, in a
// message (Channel and TS) or in a view (ViewID).
type ActionRequest struct {
	User     string `json:"user"`
	Channel  string `json:"channel,omitempty"`
	TS       string `json:"ts,omitempty"`
	ViewID   string `json:"view_id,omitempty"`
	BlockID  string `json:"block_id"`
	ActionID string `json:"action_id"`
	// Input is the element's new value, for selects and inputs that
	// dispatch actions; a button sends its own value.
	Input *Input `json:"input,omitempty"`
	// State is the view's inputs as they stand, for clicks in a view.
	State Inputs `json:"state,omitempty"`
}

// SubmitRequest submits a modal.
type SubmitRequest struct {
	User   string `json:"user"`
	ViewID string `json:"view_id"`
	State  Inputs `json:"state"`
}

// Submission outcomes, as the app's answer decided.
const (
	OutcomeClosed  = "closed"  // the view closed (an empty answer)
	OutcomeErrors  = "errors"  // field errors: the view stays open
	OutcomeUpdated = "updated" // response_action update
	OutcomePushed  = "pushed"  // response_action push
	OutcomeCleared = "cleared" // response_action clear: every view closed
	// OutcomeFailed: the app did not answer in time, or answered
	// something Slack refuses; Error says what the person sees.
	OutcomeFailed = "failed"
)

// SubmitResult is how a submission ended.
type SubmitResult struct {
	Outcome string            `json:"outcome"`
	Errors  map[string]string `json:"errors,omitempty"`
	Error   string            `json:"error,omitempty"`
}

// CloseRequest closes the top modal of User's stack (ViewID), going back
// to the one under it, or every view with All (the X).
type CloseRequest struct {
	User   string `json:"user"`
	ViewID string `json:"view_id"`
	All    bool   `json:"all,omitempty"`
}

// ShortcutRequest runs a shortcut: a global one, or a message shortcut
// on the message Channel/TS.
type ShortcutRequest struct {
	User       string `json:"user"`
	CallbackID string `json:"callback_id"`
	Channel    string `json:"channel,omitempty"`
	TS         string `json:"ts,omitempty"`
}

// App Home tabs.
const (
	TabHome     = "home"
	TabMessages = "messages"
)

// AppHomeRequest opens a tab of the app's page.
type AppHomeRequest struct {
	User string `json:"user"`
	Tab  string `json:"tab"`
}
