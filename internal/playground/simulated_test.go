package playground

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/slacksim"
)

func newSimulated(t testing.TB) (*Simulated, *slacksim.Server) {
	t.Helper()
	users := []User{{ID: "U1", Name: "ana", RealName: "Ana", Admin: true}, {ID: "U2", Name: "ben", RealName: "Ben"}}
	app := ManifestApp()
	sim := slacksim.New(t, slacksim.WithUsers(slacksim.User{ID: "U1", Name: "ana"}, slacksim.User{ID: "U2", Name: "ben"}),
		slacksim.WithApp(SimulatorApp(app)),
		slacksim.WithChannels(
			slacksim.Channel{ID: "C1", Name: "general", BotMember: true, Members: []string{"U1", "U2"}},
			slacksim.Channel{ID: "C2", Name: "random", Members: []string{"U1", "U2"}},
			slacksim.Channel{ID: "D1", Name: "U1", BotMember: true, Members: []string{"U1"}},
			slacksim.Channel{ID: "D2", Name: "U2", BotMember: true, Members: []string{"U2"}},
		))
	return NewSimulated(sim, "Team", app, users), sim
}

// Each person's State: their channels and DM with the app, what they may
// see, and what Slack refused shown in its place.
func TestSimulatedState(t *testing.T) {
	t.Parallel()
	ws, sim := newSimulated(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	api := slack.New(sim.BotToken(), slack.OptionAPIURL(sim.APIURL()))
	if err := ws.Post(ctx, MessageRequest{User: "U2", Channel: "C1", Text: "hi <all> @ana"}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.PostEphemeralContext(ctx, "C1", "U1", slack.MsgOptionText("for ana", false)); err != nil {
		t.Fatal(err)
	}
	long := slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", strings.Repeat("x", 3001), false, false), nil, nil)
	_, _, _ = api.PostMessageContext(ctx, "C1", slack.MsgOptionBlocks(long))
	if err := ws.Post(ctx, MessageRequest{User: "U1", Channel: "C1", Text: "/nope x"}); err != nil {
		t.Fatal(err)
	}

	ana, err := ws.State("")
	if err != nil {
		t.Fatal(err)
	}
	if ana.Me != "U1" || ana.Team != "Team" || ana.App.BotUserID != slacksim.BotUserID || ana.App.Commands[0].Command != "/sticker" {
		t.Errorf("Ana's state: %+v", ana)
	}
	var kinds []string
	for _, c := range ana.Channels {
		kinds = append(kinds, c.ID+":"+c.Kind)
	}
	if got := strings.Join(kinds, " "); got != "C1:channel C2:channel D1:app" {
		t.Errorf("Ana's channels %s", got)
	}
	var seen []string
	for _, m := range ana.Messages {
		switch {
		case m.Refused != nil:
			seen = append(seen, "refused:"+m.Refused.Method+":"+m.Refused.Error)
		default:
			seen = append(seen, m.User+":"+m.Text)
		}
	}
	want := []string{"U2:hi &lt;all&gt; <@U1>", "U0FAKEBOT:for ana", "refused:chat.postMessage:invalid_blocks"}
	if len(seen) != 4 || strings.Join(seen[:3], "|") != strings.Join(want, "|") || !strings.HasPrefix(seen[3], "USLACKBOT:`/nope` is not a valid command") {
		t.Errorf("Ana sees %q", seen)
	}
	ben, _ := ws.State("U2")
	if len(ben.Messages) != 2 || ben.Messages[1].Refused == nil {
		t.Errorf("Ben sees %+v: want his message and the refusal, not Ana's ephemerals", ben.Messages)
	}
	if _, err := ws.State("U9"); err == nil {
		t.Error("a State for an unknown user")
	}
	if err := ws.Post(ctx, MessageRequest{User: "U1", Channel: "D2", Text: "x"}); err == nil {
		t.Error("Ana posted in Ben's DM")
	}
}
