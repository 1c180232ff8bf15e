package slacksim

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// SlackbotID is the user ID of Slackbot, the author of what Slack itself
// tells a user (a command that failed, a mention of an app that is not in
// the channel).
const SlackbotID = "USLACKBOT"

// User is a person in the workspace.
type User struct {
	ID       string
	Name     string // the handle, as typed after @
	RealName string
	// DisplayName is the name they chose to be shown by; "" for none
	// (Slack then shows RealName).
	DisplayName string
	// Avatar is their picture's URL (users.info's image_48); "" for
	// none. The default users have one at avatars.example.com.
	Avatar string
}

// usersInfo answers users.info: the person's names and pictures, or
// user_not_found.
func (s *Server) usersInfo(a apiArgs) apiResp {
	u, ok := s.user(a.get("user"))
	if !ok {
		return errResp("user_not_found")
	}
	avatar := u.Avatar
	return okResp(map[string]any{"user": map[string]any{
		"id": u.ID, "team_id": TeamID, "name": u.Name, "real_name": u.RealName, "deleted": false, "is_bot": false,
		"profile": map[string]any{
			"real_name": u.RealName, "real_name_normalized": u.RealName,
			"display_name": u.DisplayName, "display_name_normalized": u.DisplayName,
			"image_24": strings.Replace(avatar, "-48.", "-24.", 1), "image_48": avatar,
			"image_72": strings.Replace(avatar, "-48.", "-72.", 1), "team": TeamID,
		},
	}})
}

// App is how the app is configured in Slack (its manifest): what Slack
// accepts from users and sends to the app. The zero App (the default)
// accepts every command and shortcut and sends every event, as the tests
// expect.
type App struct {
	// Commands are the slash commands, with the slash; none: any command.
	Commands []string
	// Shortcuts are the callback IDs of global and message shortcuts.
	GlobalShortcuts, MessageShortcuts []string
	// HomeTab and MessagesTab are App Home's tabs. Without the Messages
	// tab, users cannot message the app.
	HomeTab, MessagesTab bool
	// BotEvents are the subscribed events (app_mention, message.im,
	// app_home_opened, …); nil: all of them.
	BotEvents []string
}

// subscribed reports whether the app receives event (a bot_events name).
func (a App) subscribed(event string) bool {
	return a.BotEvents == nil || slices.Contains(a.BotEvents, event)
}

// WithUsers sets the workspace's people (default: U1, U2 and U3).
func WithUsers(users ...User) Option {
	return func(c *config) { c.users = append([]User(nil), users...) }
}

// WithApp sets the app's configuration; see [App].
func WithApp(a App) Option { return func(c *config) { c.app = &a } }

func defaultUsers() []User {
	avatar := func(id string) string { return "https://avatars.example.com/" + id + "-48.png" }
	return []User{{ID: "U1", Name: "u1", RealName: "User One", Avatar: avatar("U1")},
		{ID: "U2", Name: "u2", RealName: "User Two", Avatar: avatar("U2")},
		{ID: "U3", Name: "u3", RealName: "User Three", Avatar: avatar("U3")}}
}

// Users returns the workspace's people.
func (s *Server) Users() []User { return append([]User(nil), s.cfg.users...) }

func (s *Server) user(id string) (User, bool) {
	for _, u := range s.cfg.users {
		if u.ID == id {
			return u, true
		}
	}
	return User{}, false
}

// Channels returns every conversation, in no particular order.
func (s *Server) Channels() []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Channel, 0, len(s.channels))
	for _, ch := range s.channels {
		c := *ch
		c.Members = append([]string(nil), ch.Members...)
		out = append(out, c)
	}
	return out
}

// Version counts the changes of the fake's state; it grows with every one.
func (s *Server) Version() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version
}

// Changed returns a channel that is closed at the next change of the
// fake's state.
func (s *Server) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// AllMessages returns the visible (not deleted) messages of every channel,
// oldest first, ephemeral ones included (see [Message.User]).
func (s *Server) AllMessages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.messages))
	for _, m := range s.messages {
		if !m.Deleted {
			out = append(out, m.clone())
		}
	}
	return out
}

var (
	mentionPattern = regexp.MustCompile(`(^|[\s(])@([a-z0-9][a-z0-9._-]*)`)
	channelPattern = regexp.MustCompile(`(^|[\s(])#([a-z0-9][a-z0-9_-]*)`)
	urlPattern     = regexp.MustCompile(`https?://[^\s<>]+`)
)

// EscapeText escapes &, < and > as Slack does with everything people type.
func EscapeText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// formatLocked turns typed text into what Slack stores and sends to apps:
// &, < and > escaped, @name of a person or the app a <@ID> mention,
// @here/@channel/@everyone <!here>…, #name of a channel <#ID|name>, and
// links <url>. s.mu must be held.
func (s *Server) formatLocked(typed string) string {
	t := EscapeText(typed)
	t = urlPattern.ReplaceAllStringFunc(t, func(u string) string { return "<" + u + ">" })
	t = mentionPattern.ReplaceAllStringFunc(t, func(m string) string {
		sub := mentionPattern.FindStringSubmatch(m)
		name := sub[2]
		switch name {
		case "here", "channel", "everyone":
			return sub[1] + "<!" + name + ">"
		case BotName:
			return sub[1] + "<@" + BotUserID + ">"
		}
		for _, u := range s.cfg.users {
			if strings.EqualFold(u.Name, name) {
				return sub[1] + "<@" + u.ID + ">"
			}
		}
		return m
	})
	t = channelPattern.ReplaceAllStringFunc(t, func(m string) string {
		sub := channelPattern.FindStringSubmatch(m)
		for _, ch := range s.channels {
			if ch.Name == sub[2] && !strings.HasPrefix(ch.ID, "D") {
				return sub[1] + "<#" + ch.ID + "|" + ch.Name + ">"
			}
		}
		return m
	})
	return t
}

// TypeMessage is a person typing um.Text (as typed) in a conversation's
// message box, as the Slack client handles it: the text is formatted as
// Slack stores it ([Server.formatLocked]), stored with
// [Server.PostUserMessage], and the app hears what it subscribes to: an
// app_mention when the text mentions the app in a channel it is in
// (Slackbot tells the person when it is not), a message.im in the DM with
// the app. A message to an app whose Messages tab is off is not sent:
// Slackbot says so, as the client does. The error is for a user or channel
// that does not exist, or a user who is not a member.
func (s *Server) TypeMessage(ctx context.Context, um UserMessage) (Message, error) {
	if strings.TrimSpace(um.Text) == "" {
		return Message{}, fmt.Errorf("empty message")
	}
	if _, ok := s.user(um.User); !ok {
		return Message{}, fmt.Errorf("no user %q", um.User)
	}
	s.mu.Lock()
	ch := s.channels[um.Channel]
	switch {
	case ch == nil:
		s.mu.Unlock()
		return Message{}, fmt.Errorf("no channel %q", um.Channel)
	case !slices.Contains(ch.Members, um.User):
		s.mu.Unlock()
		return Message{}, fmt.Errorf("%s is not a member of %s", um.User, um.Channel)
	}
	chID, botMember := ch.ID, ch.BotMember
	im := strings.HasPrefix(chID, "D") && botMember
	if im && s.cfg.app != nil && !s.cfg.app.MessagesTab {
		s.notifySlackbotLocked(um.User, chID, um.ThreadTS, "Sending messages to this app has been turned off.")
		s.mu.Unlock()
		return Message{}, nil
	}
	typed := um.Text
	um.Text = s.formatLocked(typed)
	s.mu.Unlock()
	posted, err := s.PostUserMessage(um)
	if err != nil {
		return Message{}, err
	}
	mentioned := strings.Contains(um.Text, "<@"+BotUserID+">")
	if mentioned && !botMember && !im {
		s.mu.Lock()
		s.notifySlackbotLocked(um.User, chID, um.ThreadTS, "You mentioned <@"+BotUserID+">, but they’re not in this channel. "+
			"Would you like to invite them to join? (`/invite @"+BotName+"`)")
		s.mu.Unlock()
	}
	app := s.app()
	base := map[string]any{
		"user": um.User, "text": um.Text, "ts": posted.TS, "channel": chID, "event_ts": posted.TS,
		"team": TeamID, "client_msg_id": newUUID(),
		"blocks": []any{map[string]any{"type": "rich_text", "block_id": randomID("", 5), "elements": []any{
			map[string]any{"type": "rich_text_section", "elements": []any{map[string]any{"type": "text", "text": typed}}},
		}}},
	}
	if um.ThreadTS != "" {
		base["thread_ts"] = um.ThreadTS
	}
	switch {
	case im && app.subscribed("message.im"):
		ev := clone(base)
		ev["type"], ev["channel_type"] = "message", "im"
		s.Event(ctx, ev)
	case mentioned && botMember && app.subscribed("app_mention"):
		ev := clone(base)
		ev["type"] = "app_mention"
		s.Event(ctx, ev)
	}
	return posted, nil
}

func (s *Server) dmWithBot(user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dmWithBotLocked(user).ID
}

func (s *Server) app() App {
	if s.cfg.app == nil {
		return App{MessagesTab: true}
	}
	return *s.cfg.app
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// notifySlackbotLocked adds an ephemeral message from Slackbot for user.
// s.mu must be held.
func (s *Server) notifySlackbotLocked(user, channel, threadTS, text string) {
	s.addMessageLocked(&Message{Channel: channel, ThreadTS: threadTS, Ephemeral: true, User: user, Author: SlackbotID, Text: text, Source: "slackbot"})
}

// KnownCommand reports whether the app has the slash command (always, for
// the default App).
func (s *Server) KnownCommand(command string) bool {
	a := s.app()
	return len(a.Commands) == 0 || slices.Contains(a.Commands, command)
}

// TypeCommand is a person typing a slash command in the message box, as
// the Slack client handles it: an unknown command gets Slackbot's answer
// and nothing is sent; a known one is sent as [Server.SlashCommand] does,
// and a failed delivery (dispatch_failed, or no ack in time:
// operation_timeout) is shown as the client shows it, from Slackbot.
func (s *Server) TypeCommand(ctx context.Context, cmd Command) Delivery {
	if !s.KnownCommand(cmd.Command) {
		s.mu.Lock()
		s.notifySlackbotLocked(cmd.User, cmd.Channel, "", "`"+EscapeText(cmd.Command)+"` is not a valid command. In Slack, all messages that start with the \"/\" character are interpreted as commands.\n"+
			"If you are trying to send a message that starts with a \"/\" character, try putting a space before it.")
		s.mu.Unlock()
		return Delivery{Conn: -1, Err: fmt.Errorf("%s is not a command of the app", cmd.Command)}
	}
	cmd.Text = EscapeText(cmd.Text)
	d := s.SlashCommand(ctx, cmd)
	s.ShowFailure(d, cmd.User, cmd.Channel, cmd.Command)
	return d
}

// ShowFailure shows what the Slack client shows user in channel when the
// delivery d failed: now when it could not be sent (dispatch_failed), or
// once its ack is late (operation_timeout): "/sticker failed with the error
// …" from Slackbot (what names the command; "" for an interaction). With
// no channel (a global shortcut) it shows in user's DM with the app.
func (s *Server) ShowFailure(d Delivery, user, channel, what string) {
	if channel == "" {
		channel = s.dmWithBot(user)
	}
	show := func(code string) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if what != "" {
			s.notifySlackbotLocked(user, channel, "", EscapeText(what)+" failed with the error \""+code+"\"")
		} else {
			s.notifySlackbotLocked(user, channel, "", "Something went wrong with that action: "+code)
		}
	}
	if d.Err != nil {
		show("dispatch_failed")
		return
	}
	s.goAfter(s.cfg.ackTimeout+50*time.Millisecond, func() {
		for _, e := range s.UserErrors() {
			if e.EnvelopeID == d.EnvelopeID && e.Error == "operation_timeout" {
				show(e.Error)
				return
			}
		}
	})
}
