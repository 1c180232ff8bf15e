package slacksim_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/stickerbot/stickerbot/internal/slacksim"
)

func TestSlackGoReceivesSlashCommandAndAcks(t *testing.T) {
	fs := slacksim.New(t)
	ctx := testCtx(t, 5*time.Second)
	got := make(chan slack.SlashCommand, 1)
	b := startBot(t, fs, func(c *socketmode.Client, evt socketmode.Event) {
		if evt.Type != socketmode.EventTypeSlashCommand {
			return
		}
		cmd := evt.Data.(slack.SlashCommand)
		got <- cmd
		if err := c.AckCtx(context.Background(), evt.Request.EnvelopeID, map[string]any{"text": "searching " + cmd.Text}); err != nil {
			t.Errorf("ack: %v", err)
		}
	})
	fs.WaitConnections(ctx, 1)
	fs.WaitUntil(ctx, "hello event", func() bool { return b.saw(socketmode.EventTypeHello) })

	d := fs.SlashCommand(ctx, slacksim.Command{User: "U1", Channel: "C1", Command: "/sticker", Text: "cat & dog"})
	if d.Err != nil || d.Conn != 0 {
		t.Fatalf("delivery = %+v", d)
	}
	ack := fs.WaitAck(ctx, d.EnvelopeID)
	cmd := <-got
	if cmd.Command != "/sticker" || cmd.Text != "cat & dog" || cmd.UserID != "U1" || cmd.ChannelID != "C1" ||
		cmd.ResponseURL != d.ResponseURL || cmd.TriggerID != d.TriggerID || cmd.APIAppID != slacksim.AppID || cmd.IsEnterpriseInstall {
		t.Errorf("slack-go parsed %+v", cmd)
	}
	if !strings.HasPrefix(d.ResponseURL, fs.URL()+"/hooks/commands/") {
		t.Errorf("response_url = %s", d.ResponseURL)
	}
	if ack.Late || ack.Unknown || ack.Duplicate || ack.Type != slacksim.TypeSlashCommands || ack.Conn != 0 {
		t.Errorf("ack = %+v", ack)
	}
	if string(ack.Payload) != `{"text":"searching cat \u0026 dog"}` {
		t.Errorf("ack payload = %s", ack.Payload)
	}
	msgs := fs.Messages("C1")
	if len(msgs) != 1 || !msgs[0].Ephemeral || msgs[0].User != "U1" || msgs[0].Source != "ack" || msgs[0].Text != "searching cat & dog" {
		t.Errorf("messages = %+v", msgs)
	}
	if v := fs.Violations(); len(v) != 0 {
		t.Errorf("violations: %v", v)
	}
}

func TestSlashCommandPayloadIsStrings(t *testing.T) {
	fs := slacksim.New(t)
	c := dialRaw(t, fs)
	ctx := testCtx(t, 5*time.Second)
	d := fs.SlashCommand(ctx, slacksim.Command{User: "U1", Channel: "C1", Command: "/sticker", Text: "x"})
	f := c.next()
	if f.Type != "slash_commands" || f.EnvelopeID != d.EnvelopeID || f.AcceptsResponsePayload == nil || !*f.AcceptsResponsePayload || f.RetryAttempt != nil {
		t.Fatalf("frame = %+v", f)
	}
	var p map[string]any
	if err := json.Unmarshal(f.Payload, &p); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"token", "team_id", "team_domain", "channel_id", "channel_name", "user_id", "user_name", "command", "text", "api_app_id", "is_enterprise_install", "response_url", "trigger_id"} {
		if _, ok := p[k].(string); !ok {
			t.Errorf("payload[%q] = %#v, want a string", k, p[k])
		}
	}
	if p["is_enterprise_install"] != "false" {
		t.Errorf("is_enterprise_install = %#v", p["is_enterprise_install"])
	}
}

func TestAppsConnectionsOpenTokens(t *testing.T) {
	fs := slacksim.New(t)
	ctx := testCtx(t, 5*time.Second)
	for _, tc := range []struct {
		name, appToken, want string
	}{
		{"bot token", fs.BotToken(), "not_allowed_token_type"},
		{"missing", "", "not_authed"},
		{"wrong", "xapp-1-wrong", "invalid_auth"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := slack.New(fs.BotToken(), slack.OptionAPIURL(fs.APIURL()), slack.OptionAppLevelToken(tc.appToken))
			_, _, err := api.StartSocketModeContext(ctx)
			if err == nil || err.Error() != tc.want {
				t.Errorf("err = %v, want %s", err, tc.want)
			}
		})
	}
	// And an app token is not accepted for bot methods.
	_, err := slack.New(fs.AppToken(), slack.OptionAPIURL(fs.APIURL())).AuthTestContext(ctx)
	if err == nil || err.Error() != "not_allowed_token_type" {
		t.Errorf("auth.test with xapp: %v", err)
	}
	// slack-go's RunContext gives up on invalid_auth.
	api := slack.New(fs.BotToken(), slack.OptionAPIURL(fs.APIURL()), slack.OptionAppLevelToken("xapp-1-wrong"))
	if err := socketmode.New(api).RunContext(ctx); err == nil || err.Error() != "invalid_auth" {
		t.Errorf("RunContext = %v", err)
	}
}

func TestTicketsAreSingleUse(t *testing.T) {
	fs := slacksim.New(t)
	_, u, err := newAPI(fs).StartSocketModeContext(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u, "ws://127.0.0.1:") || !strings.Contains(u, "/link/?ticket=") || !strings.HasSuffix(u, "&app_id="+slacksim.AppID) {
		t.Errorf("url = %s", u)
	}
	hdr := http.Header{"Origin": {"https://api.slack.com"}}
	ws, _, err := websocket.DefaultDialer.Dial(u+"&debug_reconnects=true", hdr)
	if err != nil {
		t.Fatalf("first dial: %v", err)
	}
	defer ws.Close()
	var hello frame
	if err := ws.ReadJSON(&hello); err != nil || hello.Type != "hello" || hello.NumConnections != 1 || hello.ConnectionInfo.AppID != slacksim.AppID || hello.DebugInfo.Host != "applink-0" {
		t.Errorf("hello = %+v, %v", hello, err)
	}
	if q := fs.Connections()[0].Query; !strings.Contains(q, "debug_reconnects=true") {
		t.Errorf("query = %s", q)
	}
	_, resp, err := websocket.DefaultDialer.Dial(u, hdr)
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("reused ticket: %v %v", resp, err)
	}
	_, resp, err = websocket.DefaultDialer.Dial(strings.Replace(u, "ticket=", "ticket=x", 1), hdr)
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unknown ticket: %v %v", resp, err)
	}
}

func TestPings(t *testing.T) {
	fs := slacksim.New(t, slacksim.WithPingInterval(20*time.Millisecond))
	c := dialRaw(t, fs)
	ctx := testCtx(t, 5*time.Second)
	select {
	case p := <-c.pings:
		if p != "Ping from applink-0" {
			t.Errorf("ping payload %q", p)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no server ping")
	}
	fs.WaitUntil(ctx, "pong recorded", func() bool { return fs.Connections()[0].Pongs > 0 })

	// Client pings get the payload echoed.
	pong := make(chan string, 1)
	c.ws.SetPongHandler(func(s string) error { pong <- s; return nil })
	if err := c.ws.WriteControl(websocket.PingMessage, []byte("Ping from client (42)"), time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-pong:
		if p != "Ping from client (42)" {
			t.Errorf("pong payload %q", p)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no pong")
	}

	fs.StopPinging(0)
	time.Sleep(30 * time.Millisecond)
	for len(c.pings) > 0 {
		<-c.pings
	}
	select {
	case p := <-c.pings:
		t.Errorf("ping after StopPinging: %q", p)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestSlackGoReconnectsWhenPingsStop(t *testing.T) {
	fs := slacksim.New(t, slacksim.WithPingInterval(20*time.Millisecond))
	ctx := testCtx(t, 5*time.Second)
	startBot(t, fs, ackAll, socketmode.OptionPingInterval(150*time.Millisecond))
	fs.WaitConnections(ctx, 1)
	fs.StopPinging(0)
	fs.WaitConnClosed(ctx, 0)
	open := fs.WaitConnections(ctx, 1)
	if open[0].Index != 1 {
		t.Errorf("open = %+v", open)
	}
}

func TestSlackGoReconnectsFromBlackhole(t *testing.T) {
	fs := slacksim.New(t, slacksim.WithPingInterval(20*time.Millisecond))
	ctx := testCtx(t, 5*time.Second)
	startBot(t, fs, ackAll, socketmode.OptionPingInterval(150*time.Millisecond))
	fs.WaitConnections(ctx, 1)
	fs.Blackhole(0)
	// Envelopes routed to the dead socket are lost.
	lost := fs.SlashCommand(ctx, slacksim.Command{User: "U1", Channel: "C1", Command: "/sticker"})
	if lost.Conn != 0 {
		t.Fatalf("delivery = %+v", lost)
	}
	fs.WaitUntil(ctx, "a second connection", func() bool {
		open := fs.OpenConnections()
		return len(open) > 0 && open[len(open)-1].Index >= 1
	})
	d := fs.SlashCommand(ctx, slacksim.Command{User: "U1", Channel: "C1", Command: "/sticker"}, slacksim.OnConn(1))
	fs.WaitAck(ctx, d.EnvelopeID)
	for _, a := range fs.Acks() {
		if a.EnvelopeID == lost.EnvelopeID {
			t.Errorf("ack through a blackhole: %+v", a)
		}
	}
}

func TestDisconnectAndAbruptClose(t *testing.T) {
	for _, tc := range []struct {
		name string
		kill func(fs *slacksim.Server)
	}{
		{"refresh_requested", func(fs *slacksim.Server) { fs.Disconnect(0, "refresh_requested") }},
		{"warning", func(fs *slacksim.Server) { fs.Disconnect(0, "warning") }},
		{"link_disabled", func(fs *slacksim.Server) { fs.Disconnect(0, "link_disabled") }},
		{"close 1000", func(fs *slacksim.Server) { fs.CloseConn(0) }},
		{"TCP drop", func(fs *slacksim.Server) { fs.DropConn(0) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := slacksim.New(t)
			ctx := testCtx(t, 5*time.Second)
			startBot(t, fs, ackAll)
			fs.WaitConnections(ctx, 1)
			tc.kill(fs)
			closed := fs.WaitConnClosed(ctx, 0)
			t.Logf("conn 0: %s", closed.CloseReason)
			fs.WaitUntil(ctx, "reconnect", func() bool {
				open := fs.OpenConnections()
				return len(open) == 1 && open[0].Index == 1
			})
			d := fs.SlashCommand(ctx, slacksim.Command{User: "U1", Channel: "C1", Command: "/sticker"})
			if a := fs.WaitAck(ctx, d.EnvelopeID); a.Conn != 1 {
				t.Errorf("ack = %+v", a)
			}
		})
	}
}

func TestDeliveryAfterDisconnectFrame(t *testing.T) {
	// slack-go drops envelopes that arrive after a disconnect frame; the fake
	// lets a test show that, and the user then sees operation_timeout.
	fs := slacksim.New(t, slacksim.WithAckTimeout(300*time.Millisecond), slacksim.WithPingInterval(time.Hour))
	c := dialRaw(t, fs)
	ctx := testCtx(t, 5*time.Second)
	fs.Disconnect(0, "warning")
	if f := c.next(); f.Type != "disconnect" || f.Reason != "warning" || f.DebugInfo.Host != "applink-0" {
		t.Fatalf("frame = %+v", f)
	}
	// Not routed to a connection that was told to disconnect...
	if d := fs.SlashCommand(ctx, slacksim.Command{User: "U1", Channel: "C1", Command: "/sticker"}); !errors.Is(d.Err, slacksim.ErrDispatchFailed) {
		t.Errorf("delivery = %+v", d)
	}
	// ...unless asked for.
	d := fs.SlashCommand(ctx, slacksim.Command{User: "U1", Channel: "C1", Command: "/sticker"}, slacksim.OnConn(0))
	if f := c.next(); f.EnvelopeID != d.EnvelopeID {
		t.Fatalf("frame = %+v", f)
	}
	ue := fs.WaitUserError(ctx, d.EnvelopeID)
	if ue.Error != "operation_timeout" || ue.User != "U1" {
		t.Errorf("user error = %+v", ue)
	}
	errs := fs.UserErrors()
	if len(errs) != 2 || errs[0].Error != "dispatch_failed" {
		t.Errorf("user errors = %+v", errs)
	}
}

func TestConnectionCap(t *testing.T) {
	fs := slacksim.New(t, slacksim.WithMaxConnections(1))
	dialRaw(t, fs)
	_, u, err := newAPI(fs).StartSocketModeContext(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ws, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	var f frame
	if err := ws.ReadJSON(&f); err != nil || f.Type != "disconnect" || f.Reason != "too_many_websockets" {
		t.Fatalf("frame = %+v, %v", f, err)
	}
	if _, _, err := ws.ReadMessage(); err == nil {
		t.Error("socket still open after too_many_websockets")
	}
	cs := fs.Connections()
	if len(cs) != 2 || !cs[1].Rejected || cs[1].Hello || len(fs.OpenConnections()) != 1 {
		t.Errorf("connections = %+v", cs)
	}
}

func TestFrameLimit(t *testing.T) {
	fs := slacksim.New(t)
	c := dialRaw(t, fs)
	big := map[string]any{"envelope_id": "x", "payload": map[string]string{"text": strings.Repeat("a", 20480)}}
	c.send(big)
	select {
	case <-c.done:
	case <-time.After(2 * time.Second):
		t.Fatal("socket not closed")
	}
	_, _, err := c.ws.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseMessageTooBig || ce.Text != "Max frame length of 20480 has been exceeded." {
		t.Errorf("close = %v", err)
	}
	if v := fs.Violations(); len(v) != 1 || v[0].Kind != slacksim.ViolationFrameTooLarge {
		t.Errorf("violations = %v", v)
	}
}

func TestAckBookkeeping(t *testing.T) {
	fs := slacksim.New(t, slacksim.WithAckTimeout(100*time.Millisecond))
	c := dialRaw(t, fs)
	ctx := testCtx(t, 5*time.Second)
	var ids []string
	for range 4 {
		d := fs.SlashCommand(ctx, slacksim.Command{User: "U1", Channel: "C1", Command: "/sticker"})
		c.next()
		ids = append(ids, d.EnvelopeID)
	}
	c.send(map[string]any{"envelope_id": ids[0]})
	c.send(map[string]any{"envelope_id": ids[1], "payload": nil})
	c.send(map[string]any{"envelope_id": ids[2], "payload": map[string]any{}})
	c.send(map[string]any{"envelope_id": ids[2]})
	c.send(map[string]any{"envelope_id": "00000000-0000-0000-0000-000000000000"})
	fs.WaitUntil(ctx, "5 acks", func() bool { return len(fs.Acks()) == 5 })
	fs.WaitUserError(ctx, ids[3])
	c.ack(ids[3])
	fs.WaitUntil(ctx, "6 acks", func() bool { return len(fs.Acks()) == 6 })

	acks := fs.Acks()
	for i, a := range acks[:3] {
		if a.Payload != nil || a.Late || a.Unknown || a.Duplicate {
			t.Errorf("ack %d = %+v", i, a)
		}
	}
	if !acks[3].Duplicate || !acks[4].Unknown || !acks[5].Late {
		t.Errorf("acks = %+v", acks[3:])
	}
	var kinds []string
	for _, v := range fs.Violations() {
		kinds = append(kinds, v.Kind)
	}
	if strings.Join(kinds, ",") != "duplicate_ack,unknown_ack,late_ack" {
		t.Errorf("violations = %v", kinds)
	}
	ue := fs.UserErrors()
	if len(ue) != 1 || ue[0].Error != "operation_timeout" || ue[0].EnvelopeID != ids[3] {
		t.Errorf("user errors = %+v", ue)
	}
}

func TestEventRedelivery(t *testing.T) {
	fs := slacksim.New(t, slacksim.WithEventRetryDelays(30*time.Millisecond, 30*time.Millisecond, 30*time.Millisecond))
	c := dialRaw(t, fs)
	ctx := testCtx(t, 5*time.Second)
	d := fs.Event(ctx, map[string]any{"type": "app_mention", "user": "U1", "text": "<@U0FAKEBOT> hi", "ts": "1.000001", "channel": "C1"})
	var eventIDs []string
	for attempt := 0; attempt <= 3; attempt++ {
		f := c.next()
		if f.Type != "events_api" || *f.AcceptsResponsePayload || *f.RetryAttempt != attempt {
			t.Fatalf("attempt %d frame = %+v", attempt, f)
		}
		wantReason := ""
		if attempt > 0 {
			wantReason = "timeout"
		}
		if *f.RetryReason != wantReason {
			t.Errorf("retry_reason = %q", *f.RetryReason)
		}
		var p struct {
			Type    string `json:"type"`
			EventID string `json:"event_id"`
			Event   struct{ Type string }
		}
		_ = json.Unmarshal(f.Payload, &p)
		if p.Type != "event_callback" || p.Event.Type != "app_mention" {
			t.Errorf("payload = %s", f.Payload)
		}
		eventIDs = append(eventIDs, p.EventID)
	}
	c.none(100 * time.Millisecond)
	for _, id := range eventIDs {
		if id != d.EventID {
			t.Errorf("event ids = %v, want all %s", eventIDs, d.EventID)
		}
	}
	if n := len(fs.EventDeliveries(d.EventID)); n != 4 {
		t.Errorf("%d deliveries", n)
	}

	// An ack (of the first retry) stops redelivery.
	d2 := fs.Event(ctx, map[string]any{"type": "app_mention"})
	c.next()
	f := c.next()
	c.ack(f.EnvelopeID)
	c.none(150 * time.Millisecond)
	if n := len(fs.EventDeliveries(d2.EventID)); n != 2 {
		t.Errorf("%d deliveries after ack", n)
	}
}

func TestEventQueuedWhileDisconnected(t *testing.T) {
	fs := slacksim.New(t, slacksim.WithEventRetryDelays(time.Hour))
	ctx := testCtx(t, 5*time.Second)
	d := fs.Event(ctx, map[string]any{"type": "app_mention"})
	if !d.Queued || d.Conn != -1 {
		t.Fatalf("delivery = %+v", d)
	}
	c := dialRaw(t, fs)
	f := c.next()
	if f.Type != "events_api" || *f.RetryAttempt != 1 || *f.RetryReason != "timeout" {
		t.Errorf("frame = %+v", f)
	}
}

func TestDispatchFailedWithoutConnection(t *testing.T) {
	fs := slacksim.New(t)
	ctx := testCtx(t, time.Second)
	d := fs.SlashCommand(ctx, slacksim.Command{User: "U1", Channel: "C1", Command: "/sticker"})
	if !errors.Is(d.Err, slacksim.ErrDispatchFailed) {
		t.Fatalf("err = %v", d.Err)
	}
	if ue := fs.UserErrors(); len(ue) != 1 || ue[0].Error != "dispatch_failed" || ue[0].EnvelopeID != d.EnvelopeID {
		t.Errorf("user errors = %+v", ue)
	}
}

func TestRoundRobinAndRedeliver(t *testing.T) {
	fs := slacksim.New(t, slacksim.WithEventRetryDelays())
	c0, c1 := dialRaw(t, fs), dialRaw(t, fs)
	ctx := testCtx(t, 5*time.Second)
	d0 := fs.Event(ctx, map[string]any{"type": "app_mention"})
	d1 := fs.Event(ctx, map[string]any{"type": "app_mention"})
	if d0.Conn == d1.Conn {
		t.Errorf("both on conn %d", d0.Conn)
	}
	first := map[int]*rawClient{0: c0, 1: c1}[d0.Conn]
	other := map[int]*rawClient{0: c1, 1: c0}[d0.Conn]
	first.next()
	other.next()
	r := fs.Redeliver(ctx, d0.EnvelopeID)
	if r.Conn == d0.Conn || r.EventID != d0.EventID || r.EnvelopeID == d0.EnvelopeID {
		t.Errorf("redelivery = %+v (original %+v)", r, d0)
	}
	f := other.next()
	if f.EnvelopeID != r.EnvelopeID || !strings.Contains(string(f.Payload), d0.EventID) {
		t.Errorf("frame = %+v", f)
	}
	same := fs.Redeliver(ctx, d0.EnvelopeID, slacksim.SameEnvelopeID(), slacksim.OnConn(d0.Conn), slacksim.WithRetry(0, ""))
	if f := first.next(); f.EnvelopeID != d0.EnvelopeID || same.EnvelopeID != d0.EnvelopeID {
		t.Errorf("same-id redelivery frame = %+v", f)
	}
}

func TestConnectFailureInjection(t *testing.T) {
	fs := slacksim.New(t)
	ctx := testCtx(t, 5*time.Second)
	api := newAPI(fs)

	fs.FailNext("apps.connections.open", 1, slacksim.Failure{Status: http.StatusTooManyRequests, RetryAfter: 2 * time.Second})
	_, _, err := api.StartSocketModeContext(ctx)
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 2*time.Second {
		t.Errorf("429: %v", err)
	}
	fs.FailNext("apps.connections.open", 1, slacksim.Failure{Status: http.StatusInternalServerError})
	_, _, err = api.StartSocketModeContext(ctx)
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != 500 {
		t.Errorf("500: %v", err)
	}
	fs.FailNext("apps.connections.open", 1, slacksim.Failure{Error: "forbidden_team"})
	if _, _, err = api.StartSocketModeContext(ctx); err == nil || err.Error() != "forbidden_team" {
		t.Errorf("error: %v", err)
	}

	// slack-go backs off (100ms, 200ms) through 5xx and then connects.
	fs.FailNext("apps.connections.open", 2, slacksim.Failure{Status: http.StatusServiceUnavailable})
	b := startBot(t, fs, ackAll)
	fs.WaitConnections(ctx, 1)
	calls := fs.Calls("apps.connections.open")
	if n := len(calls); n != 6 || calls[3].Status != 503 || calls[4].Status != 503 || calls[5].Status != 200 {
		t.Errorf("calls = %+v", calls)
	}

	fs.FailNext("apps.connections.open", 1, slacksim.Failure{Error: "invalid_auth"})
	fs.Disconnect(0, "refresh_requested")
	select {
	case err := <-b.runErr:
		if err == nil || err.Error() != "invalid_auth" {
			t.Errorf("RunContext = %v, want invalid_auth", err)
		}
	case <-ctx.Done():
		t.Fatal("slack-go kept running after invalid_auth")
	}
}

func TestHelloDelay(t *testing.T) {
	fs := slacksim.New(t, slacksim.WithHelloDelay(-1))
	ctx := testCtx(t, time.Second)
	_, u, err := newAPI(fs).StartSocketModeContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ws, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	_ = ws.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, data, err := ws.ReadMessage(); err == nil {
		t.Errorf("got %s without hello", data)
	}
	if cs := fs.Connections(); len(cs) != 1 || cs[0].Hello || len(fs.OpenConnections()) != 0 {
		t.Errorf("connections = %+v", cs)
	}
	// Nothing is routed to a connection that has not had hello.
	if d := fs.SlashCommand(ctx, slacksim.Command{User: "U1", Channel: "C1", Command: "/sticker"}); !errors.Is(d.Err, slacksim.ErrDispatchFailed) {
		t.Errorf("delivery = %+v", d)
	}
}
