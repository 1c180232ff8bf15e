package slacksim_test

import (
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/slacksim"
)

// Tokens Slack knows and refuses answer their error on every method, the
// app token's apps.connections.open included.
func TestRejectedTokens(t *testing.T) {
	fs := slacksim.New(t,
		slacksim.WithRejectedToken("xoxb-revoked", "token_revoked"),
		slacksim.WithRejectedToken("xoxb-inactive", "account_inactive"),
		slacksim.WithRejectedToken("xapp-1-revoked", "token_revoked"))
	ctx := testCtx(t, 5*time.Second)
	for token, want := range map[string]string{"xoxb-revoked": "token_revoked", "xoxb-inactive": "account_inactive", "xoxb-1111-2222-typo": "invalid_auth"} {
		api := slack.New(token, slack.OptionAPIURL(fs.APIURL()))
		if _, err := api.AuthTestContext(ctx); err == nil || err.Error() != want {
			t.Errorf("auth.test with %s: %v, want %s", token, err, want)
		}
		if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("hi", false)); err == nil || err.Error() != want {
			t.Errorf("chat.postMessage with %s: %v, want %s", token, err, want)
		}
	}
	api := slack.New(fs.BotToken(), slack.OptionAPIURL(fs.APIURL()), slack.OptionAppLevelToken("xapp-1-revoked"))
	if _, _, err := api.StartSocketModeContext(ctx); err == nil || err.Error() != "token_revoked" {
		t.Errorf("apps.connections.open with a revoked app token: %v", err)
	}
	if c := fs.Calls("auth.test"); len(c) == 0 || c[0].Token != slacksim.TokenRejected && c[0].Token != slacksim.TokenUnknown {
		t.Errorf("calls %+v", c)
	}
}

func TestConversationsInfo(t *testing.T) {
	fs := slacksim.New(t)
	ctx := testCtx(t, 5*time.Second)
	api := newAPI(fs)
	for _, tc := range []struct {
		id                string
		member, private   bool
		name, notFoundErr string
	}{
		{id: "C1", member: true, name: "general"},
		{id: "C2", member: false, name: "random"},
		{id: "G1", notFoundErr: "channel_not_found"}, // private, the bot is not in it
		{id: "C999", notFoundErr: "channel_not_found"},
		{id: "D1", member: true, private: true},
	} {
		ch, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: tc.id})
		if tc.notFoundErr != "" {
			if err == nil || err.Error() != tc.notFoundErr {
				t.Errorf("%s: %v, want %s", tc.id, err, tc.notFoundErr)
			}
			continue
		}
		if err != nil || ch.ID != tc.id || ch.IsMember != tc.member || ch.IsPrivate != tc.private || ch.Name != tc.name {
			t.Errorf("%s: %+v, %v", tc.id, ch, err)
		}
	}
	app := slack.New(fs.AppToken(), slack.OptionAPIURL(fs.APIURL()))
	if _, err := app.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "C1"}); err == nil || err.Error() != "not_allowed_token_type" {
		t.Errorf("with the app token: %v", err)
	}
}
