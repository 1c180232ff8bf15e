package playground

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stickerbot/stickerbot/internal/slacksim"
)

// Simulated is the Workspace of a simulated Slack with the app installed:
// what the page asks for becomes what Slack would send the app, and what
// the app sent (and Slack refused) becomes what the page shows.
type Simulated struct {
	sim   *slacksim.Server
	team  string
	app   App
	users []User
}

// SimulatorApp is how the simulator must be configured for app
// (slacksim.WithApp), so it accepts and sends what the manifest says.
func SimulatorApp(app App) slacksim.App {
	a := slacksim.App{HomeTab: app.HomeTab, MessagesTab: app.MessagesTab, BotEvents: append([]string{}, app.BotEvents...)}
	for _, c := range app.Commands {
		a.Commands = append(a.Commands, c.Command)
	}
	for _, s := range app.Shortcuts {
		if s.Type == ShortcutGlobal {
			a.GlobalShortcuts = append(a.GlobalShortcuts, s.CallbackID)
		} else {
			a.MessageShortcuts = append(a.MessageShortcuts, s.CallbackID)
		}
	}
	return a
}

// NewSimulated returns the workspace of sim, which must have been started
// with slacksim.WithApp(SimulatorApp(app)) and the same users. The first
// user is who the page shows when it names nobody.
func NewSimulated(sim *slacksim.Server, team string, app App, users []User) *Simulated {
	app.ID, app.BotUserID = slacksim.AppID, slacksim.BotUserID
	return &Simulated{sim: sim, team: team, app: app, users: append([]User(nil), users...)}
}

func (w *Simulated) user(id string) (string, error) {
	if id == "" {
		return w.users[0].ID, nil
	}
	if slices.ContainsFunc(w.users, func(u User) bool { return u.ID == id }) {
		return id, nil
	}
	return "", fmt.Errorf("%w: no user %q", ErrBadRequest, id)
}

// Changed implements Workspace.
func (w *Simulated) Changed() <-chan struct{} { return w.sim.Changed() }

// State implements Workspace.
func (w *Simulated) State(id string) (State, error) {
	me, err := w.user(id)
	if err != nil {
		return State{}, err
	}
	st := State{Version: w.sim.Version(), Team: w.team, Me: me, Users: w.users, App: w.app, Messages: []Message{}, Modals: []View{}}
	visible := map[string]bool{}
	var chans, apps []Channel
	for _, c := range w.sim.Channels() {
		if !slices.Contains(c.Members, me) {
			continue
		}
		visible[c.ID] = true
		ch := Channel{ID: c.ID, Name: c.Name, Kind: KindChannel, BotMember: c.BotMember, Topic: c.Topic}
		switch {
		case strings.HasPrefix(c.ID, "D") && c.BotMember:
			ch.Kind, ch.Name = KindApp, w.app.Name
			apps = append(apps, ch)
			continue
		case c.Private || strings.HasPrefix(c.ID, "G"):
			ch.Kind = KindPrivate
		}
		chans = append(chans, ch)
	}
	slices.SortFunc(chans, func(a, b Channel) int { return cmp.Compare(a.Name, b.Name) })
	st.Channels = append(chans, apps...)

	for _, m := range w.sim.AllMessages() {
		if !visible[m.Channel] || (m.Ephemeral && m.User != me) {
			continue
		}
		out := Message{Channel: m.Channel, TS: m.TS, ThreadTS: m.ThreadTS, User: m.Author, Ephemeral: m.Ephemeral,
			Text: m.Text, Blocks: m.Blocks, Username: m.Username,
			// Slack marks edits of messages in the channel's history, not
			// of ephemeral ones replaced through a response_url.
			Edited: m.Edits > 0 && !m.Ephemeral}
		if out.ThreadTS == out.TS {
			out.ThreadTS = ""
		}
		if m.Author == "" || m.Author == slacksim.BotUserID {
			out.User, out.Bot = slacksim.BotUserID, true
		}
		for _, id := range m.Files {
			if f, ok := w.sim.GetFile(id); ok {
				out.Files = append(out.Files, fileOf(f))
			}
		}
		st.Messages = append(st.Messages, out)
	}
	for _, r := range w.sim.Refusals() {
		if !visible[r.Channel] || (r.User != "" && r.User != me) {
			continue
		}
		st.Messages = append(st.Messages, Message{Channel: r.Channel, TS: r.TS, User: slacksim.BotUserID, Bot: true,
			Ephemeral: r.User != "", Refused: &Refusal{Method: r.Method, Error: r.Error, Detail: r.Detail}})
	}
	slices.SortStableFunc(st.Messages, func(a, b Message) int { return cmp.Compare(a.TS, b.TS) })

	for _, v := range w.sim.OpenViews(me) {
		st.Modals = append(st.Modals, View{ID: v.ID, Type: ViewModal, Hash: v.Hash, View: v.JSON, Errors: v.Errors})
	}
	if h, ok := w.sim.Home(me); ok {
		st.Home = &View{ID: h.ID, Type: ViewHome, Hash: h.Hash, View: h.JSON, Errors: h.Errors}
	}
	return st, nil
}

func fileOf(f slacksim.File) File {
	return File{ID: f.ID, Name: f.Name, Title: f.Title, Mimetype: f.Mimetype, Size: f.Size, URL: "/files/" + f.ID}
}

// Post implements Workspace: a slash command, or a message (with its
// mentions).
func (w *Simulated) Post(ctx context.Context, r MessageRequest) error {
	me, err := w.user(r.User)
	if err != nil {
		return err
	}
	text := strings.TrimSpace(r.Text)
	if strings.HasPrefix(text, "/") {
		cmd, rest, _ := strings.Cut(text, " ")
		if i := strings.IndexAny(cmd, "\n\t"); i >= 0 {
			cmd, rest = cmd[:i], cmd[i+1:]+" "+rest
		}
		w.sim.TypeCommand(ctx, slacksim.Command{User: me, Channel: r.Channel, Command: cmd, Text: strings.TrimSpace(rest)})
		return nil
	}
	if _, err := w.sim.TypeMessage(ctx, slacksim.UserMessage{User: me, Channel: r.Channel, Text: r.Text, ThreadTS: r.ThreadTS}); err != nil {
		return fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	return nil
}

func simInput(in Input) slacksim.Input {
	return slacksim.Input{Value: in.Value, Selected: in.Selected, Files: in.Files}
}

func simInputs(state Inputs) slacksim.Inputs {
	if state == nil {
		return nil
	}
	out := slacksim.Inputs{}
	for b, acts := range state {
		out[b] = map[string]slacksim.Input{}
		for a, in := range acts {
			out[b][a] = simInput(in)
		}
	}
	return out
}

// Act implements Workspace.
func (w *Simulated) Act(ctx context.Context, r ActionRequest) error {
	me, err := w.user(r.User)
	if err != nil {
		return err
	}
	c := slacksim.Click{User: me, ViewID: r.ViewID, ActionID: r.ActionID, BlockID: r.BlockID, Inputs: simInputs(r.State)}
	if r.TS != "" {
		c.Message = slacksim.Message{Channel: r.Channel, TS: r.TS}
	}
	if r.Input != nil {
		in := simInput(*r.Input)
		c.Input = &in
	}
	if d := w.sim.BlockAction(ctx, c); d.Err != nil && !errors.Is(d.Err, slacksim.ErrDispatchFailed) {
		return fmt.Errorf("%w: %v", ErrBadRequest, d.Err)
	}
	return nil
}

// submitWait bounds how long a submission waits for the app: Slack's 3 s
// and a little.
const submitWait = 3500 * time.Millisecond

// Submit implements Workspace: the submission, then the app's answer as
// Slack applies it.
func (w *Simulated) Submit(ctx context.Context, r SubmitRequest) (SubmitResult, error) {
	me, err := w.user(r.User)
	if err != nil {
		return SubmitResult{}, err
	}
	d := w.sim.ViewSubmission(ctx, slacksim.Submission{User: me, ViewID: r.ViewID, Inputs: simInputs(r.State)})
	if errors.Is(d.Err, slacksim.ErrDispatchFailed) {
		return SubmitResult{Outcome: OutcomeFailed, Error: "We had some trouble connecting. Try again? (dispatch_failed: the app is not connected)"}, nil
	}
	if d.Err != nil {
		return SubmitResult{}, fmt.Errorf("%w: %v", ErrBadRequest, d.Err)
	}
	actx, cancel := context.WithTimeout(ctx, submitWait)
	defer cancel()
	ack, err := w.sim.AwaitAck(actx, d.EnvelopeID)
	if err != nil || ack.Late {
		return SubmitResult{Outcome: OutcomeFailed, Error: "We had some trouble connecting. Try again? (operation_timeout: the app did not answer within 3 seconds)"}, nil
	}
	return outcome(ack), nil
}

// outcome reads a view_submission ack as Slack does.
func outcome(a slacksim.Ack) SubmitResult {
	if a.Payload == nil {
		return SubmitResult{Outcome: OutcomeClosed}
	}
	var resp struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(a.Payload, &resp); err != nil {
		return SubmitResult{Outcome: OutcomeFailed, Error: "The app answered something Slack cannot read: " + err.Error()}
	}
	switch resp.ResponseAction {
	case "errors":
		return SubmitResult{Outcome: OutcomeErrors, Errors: resp.Errors}
	case "update":
		return SubmitResult{Outcome: OutcomeUpdated}
	case "push":
		return SubmitResult{Outcome: OutcomePushed}
	case "clear":
		return SubmitResult{Outcome: OutcomeCleared}
	}
	return SubmitResult{Outcome: OutcomeFailed, Error: "The app answered with response_action " + fmt.Sprintf("%q", resp.ResponseAction) + ", which Slack does not know."}
}

// Close implements Workspace.
func (w *Simulated) Close(ctx context.Context, r CloseRequest) error {
	me, err := w.user(r.User)
	if err != nil {
		return err
	}
	if _, err := w.sim.CloseView(ctx, me, r.ViewID, r.All); err != nil {
		return fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	return nil
}

// Shortcut implements Workspace.
func (w *Simulated) Shortcut(ctx context.Context, r ShortcutRequest) error {
	me, err := w.user(r.User)
	if err != nil {
		return err
	}
	name := ""
	for _, u := range w.users {
		if u.ID == me {
			name = u.Name
		}
	}
	var d slacksim.Delivery
	where := r.Channel
	if r.TS != "" {
		d = w.sim.MessageShortcut(ctx, slacksim.MessageShortcut{User: me, UserName: name, CallbackID: r.CallbackID,
			Message: slacksim.Message{Channel: r.Channel, TS: r.TS}})
	} else {
		d = w.sim.GlobalShortcut(ctx, slacksim.GlobalShortcut{User: me, UserName: name, CallbackID: r.CallbackID})
	}
	if d.Err != nil && !errors.Is(d.Err, slacksim.ErrDispatchFailed) {
		return fmt.Errorf("%w: %v", ErrBadRequest, d.Err)
	}
	w.sim.ShowFailure(d, me, where, "")
	return nil
}

// OpenAppHome implements Workspace.
func (w *Simulated) OpenAppHome(ctx context.Context, r AppHomeRequest) error {
	me, err := w.user(r.User)
	if err != nil {
		return err
	}
	if _, err := w.sim.AppHomeOpened(ctx, me, r.Tab); err != nil {
		return fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	return nil
}

// Upload implements Workspace: the file is the user's, private until it
// is shared (a submission shares it with the app).
func (w *Simulated) Upload(_ context.Context, user, name string, data []byte) (File, error) {
	me, err := w.user(user)
	if err != nil {
		return File{}, err
	}
	if name == "" || len(data) == 0 {
		return File{}, fmt.Errorf("%w: a file needs a name and some bytes", ErrBadRequest)
	}
	return fileOf(w.sim.AddFile(slacksim.FileSpec{Name: name, Data: data, User: me})), nil
}

// File implements Workspace.
func (w *Simulated) File(id string) (File, []byte, bool) {
	f, ok := w.sim.GetFile(id)
	if !ok {
		return File{}, nil, false
	}
	return fileOf(f), f.Data, true
}
