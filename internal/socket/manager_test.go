package socket

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stickerbot/stickerbot/internal/envelope"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/slacksim"
)

// newFake starts the shared fake Slack with server pings fast enough that
// the manager sees them in short tests.
func newFake(t *testing.T, opts ...slacksim.Option) *slacksim.Server {
	t.Helper()
	return slacksim.New(t, append([]slacksim.Option{slacksim.WithPingInterval(100 * time.Millisecond)}, opts...)...)
}

func fakeAPI(fs *slacksim.Server) *slack.Client {
	return slack.New(fs.BotToken(), slack.OptionAppLevelToken(fs.AppToken()), slack.OptionAPIURL(fs.APIURL()))
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

func command(text string) slacksim.Command {
	return slacksim.Command{User: "U1", Channel: "C1", Command: "/sticker", Text: text}
}

func noViolations(t *testing.T, fs *slacksim.Server) {
	t.Helper()
	if v := fs.Violations(); len(v) > 0 {
		t.Errorf("protocol violations: %v", v)
	}
}

func TestConnectionsOpenAndReceive(t *testing.T) {
	fs := newFake(t)
	log, _ := testLogger(t)
	d := newRecordingDispatcher(nil)
	cfg := fastConfig(fakeAPI(fs), d, log)
	cfg.Connections = 3
	obs := &countingObserver{}
	cfg.Observer = obs
	r := startManager(t, cfg)
	ctx := testCtx(t)

	open := fs.WaitConnections(ctx, 3)
	waitFor(t, "Connected() == 3", func() bool { return r.m.Connected() == 3 })
	if n := len(fs.Calls("apps.connections.open")); n != 3 {
		t.Errorf("apps.connections.open called %d times, want one per connection (3)", n)
	}
	// Round-robin delivery reaches every connection.
	for i := range 6 {
		del := fs.SlashCommand(ctx, command(fmt.Sprint(i)))
		if del.Err != nil {
			t.Fatalf("deliver: %v", del.Err)
		}
		fs.WaitAck(ctx, del.EnvelopeID)
	}
	conns := map[int]bool{}
	for _, a := range fs.Acks() {
		conns[a.Conn] = true
	}
	if len(conns) != 3 {
		t.Errorf("acks came on connections %v, want all of %v", conns, open)
	}
	// Pings both ways: we answer Slack's and Slack answers ours.
	fs.WaitUntil(ctx, "pings answered both ways", func() bool {
		for _, c := range fs.Connections() {
			if c.Pongs == 0 || c.ClientPings == 0 {
				return false
			}
		}
		return true
	})
	if got := obs.received.Load(); got != 6 {
		t.Errorf("Observer.EnvelopeReceived called %d times, want 6", got)
	}
	waitFor(t, "6 acks observed", func() bool { return obs.acked.Load() == 6 })
	noViolations(t, fs)
}

func TestAckOnSameConnectionWithPayloadOrBare(t *testing.T) {
	fs := newFake(t)
	log, _ := testLogger(t)
	d := newRecordingDispatcher(func(_ context.Context, req *envelope.Envelope) envelope.Ack {
		if req.Kind == envelope.SlashCommand {
			var cmd struct {
				Text string `json:"text"`
			}
			_ = json.Unmarshal(req.Payload, &cmd)
			return map[string]string{"response_type": "ephemeral", "text": "results for " + cmd.Text}
		}
		return nil
	})
	cfg := fastConfig(fakeAPI(fs), d, log)
	cfg.Connections = 2
	startManager(t, cfg)
	ctx := testCtx(t)
	fs.WaitConnections(ctx, 2)

	var dels []slacksim.Delivery
	for i := range 8 {
		if i%2 == 0 {
			dels = append(dels, fs.SlashCommand(ctx, command(fmt.Sprint("cat", i))))
		} else {
			dels = append(dels, fs.Event(ctx, map[string]any{"type": "app_mention", "text": "hi", "user": "U1", "channel": "C1"}))
		}
	}
	for i, del := range dels {
		if del.Err != nil {
			t.Fatalf("deliver %d: %v", i, del.Err)
		}
		a := fs.WaitAck(ctx, del.EnvelopeID)
		if a.Conn != del.Conn || a.Conn != a.DeliveredConn {
			t.Errorf("envelope %d delivered on conn %d, acked on conn %d", i, del.Conn, a.Conn)
		}
		switch del.Type {
		case slacksim.TypeSlashCommands:
			want := fmt.Sprintf(`{"response_type":"ephemeral","text":"results for cat%d"}`, i)
			if string(a.Payload) != want {
				t.Errorf("slash command ack payload = %s, want %s", a.Payload, want)
			}
		default:
			if a.Payload != nil || strings.Contains(string(a.Raw), "payload") {
				t.Errorf("event ack = %s, want a bare ack", a.Raw)
			}
		}
	}
	// Every envelope exactly once to the dispatcher, exactly as sent.
	if d.count() != len(dels) {
		t.Errorf("dispatcher saw %d envelopes, want %d", d.count(), len(dels))
	}
	d.mu.Lock()
	for _, req := range d.reqs {
		if req.ID == "" || len(req.Payload) == 0 {
			t.Errorf("dispatched request lacks envelope_id or payload: %+v", req)
		}
	}
	d.mu.Unlock()
	for _, a := range fs.Acks() {
		if a.Late || a.Duplicate || a.Unknown {
			t.Errorf("bad ack: %+v", a)
		}
	}
	if len(fs.UserErrors()) != 0 {
		t.Errorf("user errors: %v", fs.UserErrors())
	}
	noViolations(t, fs)
}

func TestSlowDispatcherDoesNotDelayOtherAcks(t *testing.T) {
	fs := newFake(t)
	log, _ := testLogger(t)
	release := make(chan struct{})
	ignoring := make(chan struct{})
	d := newRecordingDispatcher(func(ctx context.Context, req *envelope.Envelope) envelope.Ack {
		var cmd struct {
			Text string `json:"text"`
		}
		_ = json.Unmarshal(req.Payload, &cmd)
		switch cmd.Text {
		case "slow":
			select {
			case <-release:
				return map[string]string{"text": "slow done"}
			case <-ctx.Done():
				return nil
			}
		case "stuck":
			// Ignores its context: the ack must go out anyway.
			<-ignoring
			return map[string]string{"text": "too late"}
		}
		return map[string]string{"text": "fast"}
	})
	cfg := fastConfig(fakeAPI(fs), d, log)
	cfg.AckBudget = 2 * time.Second
	startManager(t, cfg)
	ctx := testCtx(t)
	fs.WaitConnections(ctx, 1)
	defer close(ignoring)

	slow := fs.SlashCommand(ctx, command("slow"))
	stuck := fs.SlashCommand(ctx, command("stuck"))
	var fast []slacksim.Delivery
	for range 5 {
		fast = append(fast, fs.SlashCommand(ctx, command("fast")))
	}
	for _, del := range fast {
		if a := fs.WaitAck(ctx, del.EnvelopeID); string(a.Payload) != `{"text":"fast"}` {
			t.Errorf("fast ack payload = %s", a.Payload)
		}
	}
	for _, a := range fs.Acks() {
		if a.EnvelopeID == slow.EnvelopeID || a.EnvelopeID == stuck.EnvelopeID {
			t.Fatalf("slow envelope acked before it returned: %+v", a)
		}
	}
	close(release)
	if a := fs.WaitAck(ctx, slow.EnvelopeID); string(a.Payload) != `{"text":"slow done"}` {
		t.Errorf("slow ack payload = %s, want its own payload once it returned", a.Payload)
	}
	// The stuck one is answered with a bare ack when its budget runs out.
	if a := fs.WaitAck(ctx, stuck.EnvelopeID); a.Payload != nil {
		t.Errorf("stuck ack payload = %s, want a bare ack after AckBudget", a.Payload)
	}
}

// liveConns counts sockets that said hello and are not closed.
func liveConns(cs []slacksim.ConnInfo) int {
	n := 0
	for _, c := range cs {
		if c.Hello && !c.Closed && !c.Rejected {
			n++
		}
	}
	return n
}

// watchLive samples the fake's connection records on every state change and
// records the smallest number of live sockets seen after the first hello.
type liveWatcher struct {
	mu      sync.Mutex
	minLive int
	samples int
	stop    chan struct{}
	done    chan struct{}
}

func watchLive(fs *slacksim.Server) *liveWatcher {
	w := &liveWatcher{minLive: 1 << 30, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			n := liveConns(fs.Connections())
			w.mu.Lock()
			w.minLive = min(w.minLive, n)
			w.samples++
			w.mu.Unlock()
			select {
			case <-w.stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	return w
}

func (w *liveWatcher) finish() (minLive, samples int) {
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.minLive, w.samples
}

func TestRefreshIsMakeBeforeBreak(t *testing.T) {
	for _, reason := range []string{"refresh_requested", "warning"} {
		t.Run(reason, func(t *testing.T) {
			fs := newFake(t)
			log, _ := testLogger(t)
			d := newRecordingDispatcher(nil)
			cfg := fastConfig(fakeAPI(fs), d, log)
			cfg.Connections = 1
			r := startManager(t, cfg)
			ctx := testCtx(t)
			fs.WaitConnections(ctx, 1)

			w := watchLive(fs)
			fs.Disconnect(0, reason)
			// Slack may still route envelopes to the old socket after its
			// disconnect frame; they must be acked there.
			late := fs.SlashCommand(ctx, command("late"), slacksim.OnConn(0))
			if late.Err != nil {
				t.Fatalf("deliver on old socket: %v", late.Err)
			}
			if a := fs.WaitAck(ctx, late.EnvelopeID); a.Conn != 0 {
				t.Errorf("late envelope acked on conn %d, want 0", a.Conn)
			}
			old := fs.WaitConnClosed(ctx, 0)
			minLive, samples := w.finish()

			cs := fs.Connections()
			if len(cs) < 2 || !cs[1].Hello {
				t.Fatalf("no replacement said hello: %+v", cs)
			}
			if !strings.Contains(old.CloseReason, "client closed: 1000") {
				t.Errorf("old socket close reason %q, want a clean close by the client", old.CloseReason)
			}
			if minLive < 1 {
				t.Errorf("saw %d live connections during the refresh (%d samples); want never 0", minLive, samples)
			}
			if n := len(fs.Calls("apps.connections.open")); n != 2 {
				t.Errorf("apps.connections.open called %d times, want 2", n)
			}
			// The new socket takes over.
			next := fs.SlashCommand(ctx, command("next"))
			if a := fs.WaitAck(ctx, next.EnvelopeID); a.Conn != 1 {
				t.Errorf("next envelope acked on conn %d, want 1", a.Conn)
			}
			if d.count() != 2 {
				t.Errorf("dispatcher saw %d envelopes, want 2", d.count())
			}
			waitFor(t, "Connected() back to 1", func() bool { return r.m.Connected() == 1 })
			noViolations(t, fs)
		})
	}
}

func TestOldSocketClosedBySlackDuringRefresh(t *testing.T) {
	fs := newFake(t)
	log, _ := testLogger(t)
	cfg := fastConfig(fakeAPI(fs), newRecordingDispatcher(nil), log)
	cfg.RefreshGrace = time.Minute // Slack closes first
	startManager(t, cfg)
	ctx := testCtx(t)
	fs.WaitConnections(ctx, 1)
	fs.Disconnect(0, "refresh_requested")
	fs.WaitUntil(ctx, "replacement hello", func() bool {
		cs := fs.Connections()
		return len(cs) == 2 && cs[1].Hello
	})
	fs.DropConn(0)
	del := fs.SlashCommand(ctx, command("after"))
	if a := fs.WaitAck(ctx, del.EnvelopeID); a.Conn != 1 {
		t.Errorf("acked on conn %d, want 1", a.Conn)
	}
	if n := len(fs.Calls("apps.connections.open")); n != 2 {
		t.Errorf("apps.connections.open called %d times, want 2: a refreshed socket closing is not a failure", n)
	}
}

func TestOldSocketFinishedWhileReplacementStillConnecting(t *testing.T) {
	fs := newFake(t)
	log, _ := testLogger(t)
	cfg := fastConfig(fakeAPI(fs), newRecordingDispatcher(nil), log)
	cfg.RefreshGrace = time.Minute
	r := startManager(t, cfg)
	ctx := testCtx(t)
	fs.WaitConnections(ctx, 1)

	fs.FailNext("apps.connections.open", 1000, slacksim.Failure{Status: http.StatusServiceUnavailable})
	fs.Disconnect(0, "warning")
	fs.DropConn(0)
	// Nothing to wait for: the old socket is gone, so it is cleaned up now
	// rather than when a replacement finally says hello.
	waitFor(t, "old socket finished", func() bool {
		r.m.mu.Lock()
		defer r.m.mu.Unlock()
		return len(r.m.conns) == 0
	})
	if r.m.Connected() != 0 {
		t.Errorf("Connected() = %d, want 0", r.m.Connected())
	}
}

func TestAbruptCloseReconnectsWhileOtherConnectionReceives(t *testing.T) {
	fs := newFake(t)
	log, _ := testLogger(t)
	cfg := fastConfig(fakeAPI(fs), newRecordingDispatcher(nil), log)
	cfg.Connections = 2
	obs := &countingObserver{}
	cfg.Observer = obs
	r := startManager(t, cfg)
	ctx := testCtx(t)
	fs.WaitConnections(ctx, 2)

	// The reconnect of the dropped socket fails a few times, so the
	// deliveries below happen while only the other socket is up.
	fs.FailNext("apps.connections.open", 3, slacksim.Failure{Status: http.StatusInternalServerError})
	fs.DropConn(0)
	waitFor(t, "Connected() == 1", func() bool { return r.m.Connected() == 1 })
	for i := range 4 {
		del := fs.SlashCommand(ctx, command(fmt.Sprint("during", i)))
		if del.Err != nil {
			t.Fatalf("deliver during reconnect: %v", del.Err)
		}
		if a := fs.WaitAck(ctx, del.EnvelopeID); a.Conn != 1 {
			t.Errorf("acked on conn %d, want the surviving conn 1", a.Conn)
		}
	}
	fs.WaitConnections(ctx, 2)
	if n := len(fs.Calls("apps.connections.open")); n != 2+3+1 {
		t.Errorf("apps.connections.open called %d times, want 6 (2 initial, 3 failures, 1 success)", n)
	}
	if rs := obs.reasons(); len(rs) == 0 || rs[0] != "dropped" {
		t.Errorf("Reconnect reasons = %v, want dropped first", rs)
	}
	noViolations(t, fs)
}

func TestOpenRetriesServerErrors(t *testing.T) {
	fs := newFake(t)
	log, _ := testLogger(t)
	fs.FailNext("apps.connections.open", 4, slacksim.Failure{Status: http.StatusInternalServerError})
	r := startManager(t, fastConfig(fakeAPI(fs), newRecordingDispatcher(nil), log))
	ctx := testCtx(t)
	fs.WaitConnections(ctx, 1)
	calls := fs.Calls("apps.connections.open")
	if len(calls) != 5 {
		t.Fatalf("apps.connections.open called %d times, want 5", len(calls))
	}
	for i := 1; i < len(calls); i++ {
		if !calls[i].At.After(calls[i-1].At) {
			t.Errorf("call %d not after call %d", i, i-1)
		}
	}
	waitFor(t, "Connected() == 1", func() bool { return r.m.Connected() == 1 })
}

func TestOpenHonoursRetryAfter(t *testing.T) {
	fs := newFake(t)
	log, _ := testLogger(t)
	fs.FailNext("apps.connections.open", 1, slacksim.Failure{Status: http.StatusTooManyRequests, RetryAfter: time.Second})
	startManager(t, fastConfig(fakeAPI(fs), newRecordingDispatcher(nil), log))
	ctx := testCtx(t)
	fs.WaitConnections(ctx, 1)
	calls := fs.Calls("apps.connections.open")
	if len(calls) != 2 || calls[0].Status != http.StatusTooManyRequests {
		t.Fatalf("calls = %+v, want a 429 then a success", calls)
	}
	// A lower bound only: waiting longer is fine, retrying early is not.
	if gap := calls[1].At.Sub(calls[0].At); gap < time.Second {
		t.Errorf("retried %s after a 429 with Retry-After: 1", gap)
	}
}

func TestInvalidAuthIsFatal(t *testing.T) {
	for _, tc := range []struct {
		name string
		api  func(fs *slacksim.Server) *slack.Client
		fail string
	}{
		{"wrong token", func(fs *slacksim.Server) *slack.Client {
			return slack.New("xoxb-x", slack.OptionAppLevelToken("xapp-1-wrong-secret-token"), slack.OptionAPIURL(fs.APIURL()))
		}, ""},
		{"bot token", func(fs *slacksim.Server) *slack.Client {
			return slack.New("xoxb-x", slack.OptionAppLevelToken(fs.BotToken()), slack.OptionAPIURL(fs.APIURL()))
		}, ""},
		{"no token", func(fs *slacksim.Server) *slack.Client {
			return slack.New("xoxb-x", slack.OptionAPIURL(fs.APIURL()))
		}, ""},
		{"token_revoked", fakeAPI, "token_revoked"},
		{"account_inactive", fakeAPI, "account_inactive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := newFake(t)
			if tc.fail != "" {
				fs.FailNext("apps.connections.open", 1, slacksim.Failure{Error: tc.fail})
			}
			log, logs := testLogger(t)
			m, err := New(fastConfig(tc.api(fs), newRecordingDispatcher(nil), log))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			err = m.Run(ctx)
			if !errors.Is(err, ErrInvalidAppToken) {
				t.Fatalf("Run = %v, want ErrInvalidAppToken", err)
			}
			if !strings.Contains(err.Error(), "SLACK_APP_TOKEN") {
				t.Errorf("error %q does not say what to fix", err)
			}
			for _, secret := range []string{"wrong-secret", fs.BotToken(), fs.AppToken()} {
				if strings.Contains(err.Error(), secret) || strings.Contains(logs.String(), secret) {
					t.Errorf("token text %q leaked: %v\n%s", secret, err, logs.String())
				}
			}
			if n := len(fs.Calls("apps.connections.open")); n != 1 {
				t.Errorf("apps.connections.open called %d times, want 1 (no retry)", n)
			}
		})
	}
}

func TestTooManyWebsocketsBacksOffAgainstFake(t *testing.T) {
	fs := newFake(t, slacksim.WithMaxConnections(1))
	log, _ := testLogger(t)
	cfg := fastConfig(fakeAPI(fs), newRecordingDispatcher(nil), log)
	cfg.Connections = 2
	cfg.BackoffMin = 20 * time.Millisecond
	cfg.BackoffMax = 5 * time.Second
	r := startManager(t, cfg)
	ctx := testCtx(t)
	fs.WaitConnections(ctx, 1)
	fs.WaitUntil(ctx, "a refused connection", func() bool {
		for _, c := range fs.Connections() {
			if c.Rejected {
				return true
			}
		}
		return false
	})
	start := len(fs.Calls("apps.connections.open"))
	time.Sleep(time.Second)
	if n := len(fs.Calls("apps.connections.open")) - start; n > 12 {
		t.Errorf("%d apps.connections.open calls in ~1 s of too_many_websockets; want backoff", n)
	}
	// The accepted connection keeps working meanwhile.
	del := fs.SlashCommand(ctx, command("still here"))
	fs.WaitAck(ctx, del.EnvelopeID)
	if r.m.Connected() != 1 {
		t.Errorf("Connected() = %d, want 1", r.m.Connected())
	}
}

func TestBlackholedSocketIsReplaced(t *testing.T) {
	fs := newFake(t)
	log, _ := testLogger(t)
	cfg := fastConfig(fakeAPI(fs), newRecordingDispatcher(nil), log)
	cfg.PingInterval = 100 * time.Millisecond
	cfg.DeadAfter = 600 * time.Millisecond
	obs := &countingObserver{}
	cfg.Observer = obs
	startManager(t, cfg)
	ctx := testCtx(t)
	fs.WaitConnections(ctx, 1)

	fs.Blackhole(0)
	fs.WaitUntil(ctx, "a replacement after the blackhole", func() bool {
		cs := fs.Connections()
		return len(cs) >= 2 && cs[len(cs)-1].Hello
	})
	fs.WaitConnClosed(ctx, 0)
	del := fs.SlashCommand(ctx, command("after blackhole"))
	if a := fs.WaitAck(ctx, del.EnvelopeID); a.Conn == 0 {
		t.Errorf("acked on the blackholed conn")
	}
	if rs := obs.reasons(); len(rs) == 0 || rs[0] != "dead" {
		t.Errorf("Reconnect reasons = %v, want dead first", rs)
	}
}

// Slack's pings stopping is not by itself a dead socket: our own pings and
// Slack's pongs prove it alive, so it is kept (slack-go would drop it).
func TestServerPingsStoppingKeepsLiveSocket(t *testing.T) {
	fs := newFake(t)
	log, _ := testLogger(t)
	cfg := fastConfig(fakeAPI(fs), newRecordingDispatcher(nil), log)
	cfg.PingInterval = 100 * time.Millisecond
	cfg.DeadAfter = 600 * time.Millisecond
	startManager(t, cfg)
	ctx := testCtx(t)
	fs.WaitConnections(ctx, 1)
	fs.StopPinging(0)
	time.Sleep(2 * cfg.DeadAfter)
	del := fs.SlashCommand(ctx, command("quiet"))
	if a := fs.WaitAck(ctx, del.EnvelopeID); a.Conn != 0 {
		t.Errorf("acked on conn %d, want the original 0", a.Conn)
	}
	if n := len(fs.Connections()); n != 1 {
		t.Errorf("%d connections, want the original one only", n)
	}
}

func TestShutdownAcksInFlightAndReturnsNil(t *testing.T) {
	fs := newFake(t)
	log, _ := testLogger(t)
	started := make(chan struct{}, 10)
	d := newRecordingDispatcher(func(ctx context.Context, req *envelope.Envelope) envelope.Ack {
		started <- struct{}{}
		time.Sleep(200 * time.Millisecond)
		return map[string]string{"text": "finished during shutdown"}
	})
	cfg := fastConfig(fakeAPI(fs), d, log)
	cfg.Connections = 2
	cfg.AckBudget = 2 * time.Second
	r := startManager(t, cfg)
	ctx := testCtx(t)
	fs.WaitConnections(ctx, 2)

	del := fs.SlashCommand(ctx, command("in flight"))
	<-started
	if err := r.stop(t); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	if a := fs.WaitAck(ctx, del.EnvelopeID); string(a.Payload) != `{"text":"finished during shutdown"}` {
		t.Errorf("in-flight ack payload = %s", a.Payload)
	}
	if r.m.Connected() != 0 {
		t.Errorf("Connected() = %d after Run returned", r.m.Connected())
	}
	for _, c := range fs.Connections() {
		c := fs.WaitConnClosed(ctx, c.Index)
		if !strings.Contains(c.CloseReason, "client closed: 1000") {
			t.Errorf("conn %d close reason %q, want a close frame from the client", c.Index, c.CloseReason)
		}
	}
	noViolations(t, fs)
}

func TestShutdownWhileConnecting(t *testing.T) {
	fs := newFake(t, slacksim.WithHelloDelay(-1)) // never says hello
	log, _ := testLogger(t)
	cfg := fastConfig(fakeAPI(fs), newRecordingDispatcher(nil), log)
	cfg.HelloTimeout = 5 * time.Second
	r := startManager(t, cfg)
	ctx := testCtx(t)
	fs.WaitUntil(ctx, "a socket waiting for hello", func() bool { return len(fs.Connections()) == 1 })
	if err := r.stop(t); err != nil {
		t.Fatalf("Run = %v", err)
	}
	fs.WaitConnClosed(ctx, 0)
}
