package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stickerbot/stickerbot/internal/slacksim"
	"github.com/stickerbot/stickerbot/internal/store"
	"github.com/stickerbot/stickerbot/internal/testdb"
)

// The user-facing text of handlers' msgBusy.
const relBusy = "I'm busy right now, try again in a few seconds."

// relBot is one run of the real bot against a fake Slack it shares.
type relBot struct {
	logs *syncBuffer
}

// relSampleDB returns a migrated test schema holding the example library.
func relSampleDB(t *testing.T) testdb.DB {
	t.Helper()
	db := testdb.New(t)
	outageLoadSample(t, db.URL)
	return db
}

// relRunBot runs the bot (run, as main does) against fs and the database
// at dbURL, with env overriding any variable, until the test ends. Unlike
// startBot it does not wait for connections, so fs can be set up to fail
// first, and several bots can share one fake.
func relRunBot(t *testing.T, fs *slacksim.Server, dbURL string, env map[string]string) *relBot {
	t.Helper()
	vars := map[string]string{
		"SLACK_BOT_TOKEN": fs.BotToken(),
		"SLACK_APP_TOKEN": fs.AppToken(),
		"SLACK_API_URL":   fs.APIURL(),
		"DATABASE_URL":    dbURL,
		"STICKER_ADMINS":  "UADMIN",
		"LOG_LEVEL":       "debug",
	}
	for k, v := range env {
		vars[k] = v
	}
	logs, _ := launchBot(t, vars, fs.BotToken(), fs.AppToken())
	return &relBot{logs: logs}
}

// relCheckViolations fails t, when it ends, if fs saw protocol violations.
// Register it right after slacksim.New so it runs after the bots stopped.
func relCheckViolations(t *testing.T, fs *slacksim.Server) {
	t.Cleanup(func() {
		for _, v := range fs.Violations() {
			t.Errorf("fake Slack saw a protocol violation: %+v", v)
		}
	})
}

func relCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func relCommand(t *testing.T, ctx context.Context, fs *slacksim.Server, text string, opts ...slacksim.DeliverOption) slacksim.Delivery {
	t.Helper()
	d := fs.SlashCommand(ctx, slacksim.Command{User: "U1", Channel: "C1", Command: "/sticker", Text: text}, opts...)
	if d.Err != nil {
		t.Fatalf("/sticker %s: %v", text, d.Err)
	}
	return d
}

// relAnswered waits until every delivery was acked promptly and got a
// response_url post.
func relAnswered(t *testing.T, ctx context.Context, fs *slacksim.Server, ds []slacksim.Delivery) {
	t.Helper()
	for _, d := range ds {
		if a := fs.WaitAck(ctx, d.EnvelopeID); a.Latency >= 3*time.Second || a.Late {
			t.Errorf("envelope %s acked after %v", d.EnvelopeID, a.Latency)
		}
		fs.WaitResponse(ctx, d.ResponseURL)
	}
	noUserErrorFor(t, fs, envelopeIDs(ds)...)
}

func envelopeIDs(ds []slacksim.Delivery) []string {
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.EnvelopeID
	}
	return ids
}

func responsesTo(fs *slacksim.Server, url string) int {
	n := 0
	for _, p := range fs.ResponsePosts() {
		if p.URL == url {
			n++
		}
	}
	return n
}

// connMonitor samples fs.Connections() until stopped, and records the
// fewest connections that were open (said hello, not closed) at once.
type connMonitor struct {
	stop    chan struct{}
	done    chan struct{}
	minOpen int
	samples int
}

func monitorConns(fs *slacksim.Server) *connMonitor {
	m := &connMonitor{stop: make(chan struct{}), done: make(chan struct{}), minOpen: 1 << 30}
	go func() {
		defer close(m.done)
		for {
			open := 0
			for _, c := range fs.Connections() {
				if c.Hello && !c.Closed && !c.Rejected {
					open++
				}
			}
			m.minOpen = min(m.minOpen, open)
			m.samples++
			select {
			case <-m.stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	return m
}

func (m *connMonitor) finish() (minOpen, samples int) {
	close(m.stop)
	<-m.done
	return m.minOpen, m.samples
}

// TestRefreshIsMakeBeforeBreak: on refresh_requested the bot says hello on
// a replacement before it closes the old socket, so at every moment at
// least one connection is open, and commands sent meanwhile are answered.
func TestRefreshIsMakeBeforeBreak(t *testing.T) {
	t.Parallel()
	h := startBot(t, map[string]string{"SOCKET_CONNECTIONS": "2"})
	ctx := relCtx(t, 50*time.Second)
	if n := len(h.fs.Connections()); n != 2 {
		t.Fatalf("%d connections before the refresh, want 2", n)
	}
	mon := monitorConns(h.fs)
	var ds []slacksim.Delivery

	for old := range 2 {
		replacement := 2 + old
		h.fs.Disconnect(old, "refresh_requested")
		for i := range 5 {
			ds = append(ds, relCommand(t, ctx, h.fs, []string{"cat", "dog", "party", "coffee", "rocket"}[i]))
			time.Sleep(20 * time.Millisecond)
		}
		h.fs.WaitUntil(ctx, fmt.Sprintf("replacement for connection %d", old), func() bool {
			cs := h.fs.Connections()
			return len(cs) > replacement && cs[replacement].Hello
		})
		cs := h.fs.Connections()
		if cs[old].Closed {
			t.Errorf("connection %d was closed (%s) by the time its replacement said hello", old, cs[old].CloseReason)
		}
		if len(cs) != replacement+1 {
			t.Errorf("%d connections after refreshing connection %d, want %d", len(cs), old, replacement+1)
		}
	}
	relAnswered(t, ctx, h.fs, ds)

	// The old sockets are closed by the bot after their grace period.
	for old := range 2 {
		c := h.fs.WaitConnClosed(ctx, old)
		if !strings.Contains(c.CloseReason, "client closed: 1000") {
			t.Errorf("connection %d ended with %q, want a clean close by the bot", old, c.CloseReason)
		}
	}
	minOpen, samples := mon.finish()
	if minOpen < 1 {
		t.Errorf("at some moment no connection was open (%d samples)", samples)
	}
	if minOpen < 2 {
		t.Logf("at some moment only %d connection(s) were open", minOpen)
	}
	if open := h.fs.OpenConnections(); len(open) != 2 {
		t.Errorf("%d open connections after both refreshes, want 2", len(open))
	}
	for _, d := range ds {
		if d.Conn < 0 {
			t.Errorf("envelope %s was not delivered", d.EnvelopeID)
		}
	}
}

// TestEnvelopeAfterDisconnectFrame: Slack may still deliver on a socket
// after its disconnect frame; such envelopes are acked there and answered.
func TestEnvelopeAfterDisconnectFrame(t *testing.T) {
	t.Parallel()
	h := startBot(t, nil)
	ctx := relCtx(t, 40*time.Second)
	h.fs.Disconnect(0, "refresh_requested")
	d := relCommand(t, ctx, h.fs, "cat", slacksim.OnConn(0))
	ev := h.fs.Event(ctx, map[string]any{
		"type": "app_mention", "user": "U2", "text": "<@" + slacksim.BotUserID + "> dog",
		"ts": "1700000001.000100", "channel": "C1", "event_ts": "1700000001.000100",
	}, slacksim.OnConn(0))
	if d.Conn != 0 || ev.Conn != 0 {
		t.Fatalf("delivered on connections %d and %d, want 0", d.Conn, ev.Conn)
	}
	if a := h.fs.WaitAck(ctx, d.EnvelopeID); a.Conn != 0 || a.Latency >= 3*time.Second {
		t.Errorf("command acked on connection %d after %v, want 0 within 3s", a.Conn, a.Latency)
	}
	if a := h.fs.WaitAck(ctx, ev.EnvelopeID); a.Conn != 0 || a.Latency >= 3*time.Second {
		t.Errorf("event acked on connection %d after %v, want 0 within 3s", a.Conn, a.Latency)
	}
	preview := h.fs.WaitResponse(ctx, d.ResponseURL)
	if !strings.HasSuffix(imageURL(t, preview.Blocks), "1f431.png") {
		t.Errorf("preview %s", preview.Blocks)
	}
	h.fs.WaitCall(ctx, "chat.postEphemeral", func(c slacksim.Call) bool { return c.Params["user"] == "U2" && c.Error == "" })

	// A click on the old socket, once the replacement is up, too.
	h.fs.WaitConnections(ctx, 2)
	click := h.fs.BlockAction(ctx, slacksim.Click{User: "U1", Message: preview.Message, ActionID: "sticker_send"}, slacksim.OnConn(0))
	if click.Err != nil {
		t.Fatalf("click on the old socket: %v", click.Err)
	}
	if a := h.fs.WaitAck(ctx, click.EnvelopeID); a.Conn != 0 {
		t.Errorf("click acked on connection %d, want 0", a.Conn)
	}
	h.fs.WaitMessage(ctx, "C1", func(m slacksim.Message) bool { return !m.Ephemeral && m.Source == "chat.postMessage" })
	noUserErrorFor(t, h.fs, d.EnvelopeID, click.EnvelopeID)
}

// TestDroppedConnection: a socket dropped without a close frame; the other
// keeps receiving and the bot opens a new one.
func TestDroppedConnection(t *testing.T) {
	t.Parallel()
	h := startBot(t, nil)
	ctx := relCtx(t, 40*time.Second)
	h.fs.DropConn(1)
	h.fs.WaitConnClosed(ctx, 1)
	var ds []slacksim.Delivery
	for _, q := range []string{"cat", "dog", "fire"} {
		d := relCommand(t, ctx, h.fs, q)
		if d.Conn == 1 {
			t.Errorf("delivered on the dropped connection")
		}
		ds = append(ds, d)
	}
	ds = append(ds, relCommand(t, ctx, h.fs, "heart", slacksim.OnConn(0)))
	relAnswered(t, ctx, h.fs, ds)

	open := h.fs.WaitConnections(ctx, 2)
	var fresh = -1
	for _, c := range open {
		if c.Index >= 2 {
			fresh = c.Index
		}
	}
	if fresh < 0 {
		t.Fatalf("no new connection: %+v", open)
	}
	d := relCommand(t, ctx, h.fs, "pizza", slacksim.OnConn(fresh))
	relAnswered(t, ctx, h.fs, []slacksim.Delivery{d})
	if c := h.fs.Connections()[0]; c.Closed || c.Disconnect != "" {
		t.Errorf("connection 0 was disturbed by the drop of connection 1: %+v", c)
	}
}

// TestRedeliveryDoesWorkOnce: the same command, click or event delivered
// again on the other connection (at once, and as a later retry) does its
// work once.
func TestRedeliveryDoesWorkOnce(t *testing.T) {
	t.Parallel()
	h := startBot(t, nil)
	ctx := relCtx(t, 40*time.Second)

	// A slash command, redelivered on the other socket at once.
	d := relCommand(t, ctx, h.fs, "cat")
	re := h.fs.Redeliver(ctx, d.EnvelopeID, slacksim.OnConn(1-d.Conn), slacksim.WithRetry(1, "timeout"))
	if re.Err != nil || re.Conn == d.Conn {
		t.Fatalf("redelivery: conn %d, %v", re.Conn, re.Err)
	}
	h.fs.WaitAck(ctx, d.EnvelopeID)
	h.fs.WaitAck(ctx, re.EnvelopeID)
	preview := h.fs.WaitResponse(ctx, d.ResponseURL)

	// The Send click, redelivered on the other socket at once.
	send := h.fs.BlockAction(ctx, slacksim.Click{User: "U1", Message: preview.Message, ActionID: "sticker_send"})
	if send.Err != nil {
		t.Fatal(send.Err)
	}
	reSend := h.fs.Redeliver(ctx, send.EnvelopeID, slacksim.OnConn(1-send.Conn), slacksim.WithRetry(1, "timeout"))
	if reSend.Err != nil {
		t.Fatal(reSend.Err)
	}
	h.fs.WaitAck(ctx, send.EnvelopeID)
	h.fs.WaitAck(ctx, reSend.EnvelopeID)
	h.fs.WaitCall(ctx, "chat.postMessage", nil)
	h.fs.WaitUntil(ctx, "usage counted", func() bool { return usesOf(t, h, "cat") >= 1 })

	// A mention, redelivered at once on the other socket, and again as a
	// retry after it was answered.
	ev := h.fs.Event(ctx, map[string]any{
		"type": "app_mention", "user": "U2", "text": "<@" + slacksim.BotUserID + "> dog",
		"ts": "1700000002.000100", "channel": "C1", "event_ts": "1700000002.000100",
	}, slacksim.OnConn(0))
	reEv := h.fs.Redeliver(ctx, ev.EnvelopeID, slacksim.OnConn(1), slacksim.WithRetry(1, "timeout"))
	h.fs.WaitAck(ctx, ev.EnvelopeID)
	h.fs.WaitAck(ctx, reEv.EnvelopeID)
	h.fs.WaitCall(ctx, "chat.postEphemeral", nil)
	late := h.fs.Redeliver(ctx, ev.EnvelopeID, slacksim.OnConn(0), slacksim.WithRetry(2, "timeout"))
	lateCmd := h.fs.Redeliver(ctx, d.EnvelopeID, slacksim.OnConn(0))
	h.fs.WaitAck(ctx, late.EnvelopeID)
	h.fs.WaitAck(ctx, lateCmd.EnvelopeID)
	h.fs.WaitUntil(ctx, "the redeliveries were handled", func() bool {
		return strings.Count(h.logs.String(), "skipping a redelivered request") >= 5
	})
	time.Sleep(300 * time.Millisecond) // a duplicate, if any, has had time to show

	if n := responsesTo(h.fs, d.ResponseURL); n != 1 {
		t.Errorf("%d posts to the command's response_url, want 1 preview", n)
	}
	if n := len(h.fs.Calls("chat.postMessage")); n != 1 {
		t.Errorf("%d chat.postMessage calls, want 1", n)
	}
	if n := responsesTo(h.fs, send.ResponseURL); n != 1 {
		t.Errorf("%d posts to the click's response_url, want 1 (removing the preview)", n)
	}
	if n := usesOf(t, h, "cat"); n != 1 {
		t.Errorf("usage count %d, want 1", n)
	}
	if n := len(h.fs.Calls("chat.postEphemeral")); n != 1 {
		t.Errorf("%d ephemeral previews for one mention, want 1", n)
	}
}

// TestConnectionsOpenFailures: apps.connections.open answering 500, then
// 429 with Retry-After, before it works; the bot retries and connects.
func TestConnectionsOpenFailures(t *testing.T) {
	t.Parallel()
	fs := slacksim.New(t)
	relCheckViolations(t, fs)
	const fails500, fails429 = 8, 2
	fs.FailNext("apps.connections.open", fails500, slacksim.Failure{Status: 500})
	fs.FailNext("apps.connections.open", fails429, slacksim.Failure{Status: 429, RetryAfter: time.Second})
	db := relSampleDB(t)
	bot := relRunBot(t, fs, db.URL, map[string]string{"HTTP_ADDR": "127.0.0.1:0"})
	ctx := relCtx(t, 45*time.Second)
	failed := func() int {
		n := 0
		for _, c := range fs.Calls("apps.connections.open") {
			if c.Status != 200 {
				n++
			}
		}
		return n
	}

	// While apps.connections.open fails the bot is not ready. (No socket
	// can open before every injected failure was answered, and recorded.)
	addr := outageHTTPAddr(t, bot.logs)
	status := readyz(addr)
	if n := failed(); n < fails500+fails429 {
		if status != 503 {
			t.Errorf("/readyz answered %d without a Socket Mode connection, want 503", status)
		}
	} else {
		t.Logf("note: all %d failures were answered before /readyz could be asked", n)
	}

	fs.WaitConnections(ctx, 2)
	waitReadyz(t, addr, 200, 10*time.Second)
	var s500, s429, ok int
	for _, c := range fs.Calls("apps.connections.open") {
		switch {
		case c.Status == 500:
			s500++
		case c.Status == 429:
			s429++
		case c.Status == 200 && c.Error == "":
			ok++
		}
	}
	if s500 != fails500 || s429 != fails429 || ok < 2 {
		t.Errorf("apps.connections.open answered 500 ×%d, 429 ×%d, ok ×%d; want %d, %d, ≥2", s500, s429, ok, fails500, fails429)
	}
	if strings.Contains(bot.logs.String(), "rejected by Slack") {
		t.Errorf("a retryable failure was taken for a bad token")
	}
	d := relCommand(t, ctx, fs, "cat")
	relAnswered(t, ctx, fs, []slacksim.Delivery{d})
}

// TestSlowWebAPIDoesNotDelayAcks: while a chat.postMessage and some
// response_url posts hang for seconds, other envelopes are still acked at
// once, and everything is answered once.
func TestSlowWebAPIDoesNotDelayAcks(t *testing.T) {
	t.Parallel()
	h := startBot(t, nil)
	ctx := relCtx(t, 50*time.Second)
	d := relCommand(t, ctx, h.fs, "cat")
	preview := h.fs.WaitResponse(ctx, d.ResponseURL)

	// Only Send calls chat.postMessage: this one hangs for 8 s.
	const slow = 8 * time.Second
	h.fs.FailNext("chat.postMessage", 1, slacksim.Failure{Delay: slow})
	clicked := time.Now()
	send := h.fs.BlockAction(ctx, slacksim.Click{User: "U1", Message: preview.Message, ActionID: "sticker_send"})
	if send.Err != nil {
		t.Fatal(send.Err)
	}
	// And the next three response_url posts take 4 s each.
	h.fs.FailNext(slacksim.MethodResponseURL, 3, slacksim.Failure{Delay: 4 * time.Second})
	var ds []slacksim.Delivery
	for _, q := range []string{"dog", "party", "coffee", "rocket", "heart", "fire", "eyes", "wave", "cool", "pizza"} {
		ds = append(ds, relCommand(t, ctx, h.fs, q))
	}
	relAnswered(t, ctx, h.fs, ds)
	if len(h.fs.Calls("chat.postMessage")) != 0 && time.Since(clicked) < slow {
		t.Errorf("chat.postMessage finished before its delay")
	}
	if time.Since(clicked) >= slow {
		t.Logf("note: the other commands took %v, longer than the slow call", time.Since(clicked))
	}
	h.fs.WaitAck(ctx, send.EnvelopeID)
	posted := h.fs.WaitMessage(ctx, "C1", func(m slacksim.Message) bool { return !m.Ephemeral })
	if posted.Source != "chat.postMessage" {
		t.Errorf("sticker posted via %s", posted.Source)
	}
	h.fs.WaitUntil(ctx, "usage counted", func() bool { return usesOf(t, h, "cat") == 1 })
	time.Sleep(200 * time.Millisecond)
	if n := len(h.fs.Calls("chat.postMessage")); n != 1 {
		t.Errorf("%d chat.postMessage calls, want 1", n)
	}
	for _, d := range ds {
		if n := responsesTo(h.fs, d.ResponseURL); n != 1 {
			t.Errorf("%d answers to one command, want 1", n)
		}
	}
	for _, a := range h.fs.Acks() {
		if a.Latency >= 3*time.Second {
			t.Errorf("envelope %s (%s) acked after %v", a.EnvelopeID, a.Type, a.Latency)
		}
	}
}

// TestBurst: 300 commands at once. Every one is acked within 3 s and
// answered exactly once, with a preview or a busy message; none is lost
// and none doubled.
func TestBurst(t *testing.T) {
	t.Parallel()
	h := startBot(t, nil)
	ctx := relCtx(t, 55*time.Second)
	queries := []string{"cat", "dog", "party", "coffee", "rocket", "heart", "fire", "eyes", "wave", "xyzzyplugh"}
	const n, senders = 300, 10
	var mu sync.Mutex
	var ds []slacksim.Delivery
	var errs []error
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			for i := range n / senders {
				d := h.fs.SlashCommand(ctx, slacksim.Command{User: "U1", Channel: "C1", Command: "/sticker", Text: queries[(s+i)%len(queries)]})
				mu.Lock()
				if d.Err != nil {
					errs = append(errs, d.Err)
				} else {
					ds = append(ds, d)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d commands not delivered: %v", len(errs), n, errs[0])
	}
	byURL := map[string]string{} // response_url -> envelope_id
	for _, d := range ds {
		byURL[d.ResponseURL] = d.EnvelopeID
	}
	// answered: previews or "no match" through the response_url, or a busy
	// message in the ack.
	count := func() (answers map[string]int, busy map[string]bool) {
		answers, busy = map[string]int{}, map[string]bool{}
		for _, p := range h.fs.ResponsePosts() {
			if id, ok := byURL[p.URL]; ok {
				answers[id]++
			}
		}
		for _, a := range h.fs.Acks() {
			if strings.Contains(string(a.Payload), relBusy) {
				busy[a.EnvelopeID] = true
				answers[a.EnvelopeID]++
			}
		}
		return answers, busy
	}
	h.fs.WaitUntil(ctx, "every command answered", func() bool {
		answers, _ := count()
		for _, d := range ds {
			if answers[d.EnvelopeID] == 0 {
				return false
			}
		}
		return true
	})
	time.Sleep(500 * time.Millisecond) // doubles, if any, have had time to show
	answers, busy := count()
	doubled := 0
	for _, d := range ds {
		if answers[d.EnvelopeID] != 1 {
			doubled++
		}
	}
	if doubled > 0 {
		t.Errorf("%d commands answered more than once", doubled)
	}
	acked := map[string]slacksim.Ack{}
	for _, a := range h.fs.Acks() {
		acked[a.EnvelopeID] = a
	}
	slowest := time.Duration(0)
	for _, d := range ds {
		a, ok := acked[d.EnvelopeID]
		switch {
		case !ok:
			t.Errorf("command %s never acked", d.EnvelopeID)
		case a.Latency >= 3*time.Second || a.Late:
			t.Errorf("command %s acked after %v", d.EnvelopeID, a.Latency)
		}
		slowest = max(slowest, a.Latency)
	}
	for _, e := range h.fs.UserErrors() {
		t.Errorf("a user saw %s", e.Error)
	}
	t.Logf("%d commands: slowest ack %v, %d busy", len(ds), slowest, len(busy))
}

// TestMalformedEnvelopes: junk payloads are acked and logged, nothing
// panics, and the bot keeps working.
func TestMalformedEnvelopes(t *testing.T) {
	t.Parallel()
	h := startBot(t, nil)
	ctx := relCtx(t, 40*time.Second)
	nowhere := h.fs.URL() + "/hooks/nowhere" // a response_url Slack never issued
	interactive := []any{
		map[string]any{},
		nil,
		"just a string",
		[]any{1, "two", nil},
		map[string]any{"type": 42},
		map[string]any{"type": "block_actions"},
		map[string]any{"type": "block_actions", "actions": "nope", "user": 7},
		map[string]any{"type": "block_actions", "actions": []any{}, "user": map[string]any{"id": "U1"}},
		map[string]any{"type": "block_actions", "actions": []any{nil}, "user": map[string]any{"id": "U1"}, "response_url": nowhere},
		map[string]any{"type": "block_actions", "user": map[string]any{"id": []int{1}}, "actions": []any{map[string]any{"action_id": 5}}},
		map[string]any{"type": "block_actions", "user": map[string]any{"id": "U1"}, "trigger_id": "1.2.junk",
			"actions": []any{map[string]any{"type": "button", "block_id": "b", "action_id": "sticker_send", "value": "%%%not-a-button%%%"}}},
		map[string]any{"type": "block_actions", "user": map[string]any{"id": "U1"}, "channel": map[string]any{"id": "C1"},
			"response_url": nowhere, "trigger_id": "1.3.junk",
			"actions": []any{map[string]any{"type": "button", "block_id": "b", "action_id": "sticker_next", "value": "%%%not-a-button%%%"}}},
		map[string]any{"type": "block_actions", "user": map[string]any{"id": "U1"}, "channel": map[string]any{"id": "C1"},
			"response_url": nowhere, "trigger_id": "1.4.junk",
			"actions": []any{map[string]any{"type": "button", "block_id": "b", "action_id": "sticker_send", "value": strings.Repeat("A", 5000)}}},
		map[string]any{"type": "block_actions", "user": map[string]any{"id": "UADMIN"}, "container": map[string]any{"channel_id": "C1"},
			"response_url": nowhere, "trigger_id": "1.5.junk",
			"actions": []any{map[string]any{"type": "button", "block_id": "b", "action_id": "sticker_delete", "value": "-1; DROP TABLE stickers"}}},
		map[string]any{"type": "block_actions", "user": map[string]any{"id": "U1"}, "response_url": nowhere, "trigger_id": "1.6.junk",
			"actions": []any{map[string]any{"type": "button", "block_id": "b", "action_id": "no_such_action", "value": ""}}},
		map[string]any{"type": "block_actions", "user": map[string]any{"id": "U1"}, "response_url": nowhere,
			"actions": []any{map[string]any{"type": "button", "block_id": "b", "action_id": 5}}},
		map[string]any{"type": "view_submission"},
		map[string]any{"type": "view_submission", "view": "x", "user": 3},
		map[string]any{"type": "view_submission", "user": map[string]any{"id": "UADMIN"},
			"view": map[string]any{"callback_id": "sticker_add", "private_metadata": "{]", "state": map[string]any{"values": 5}}},
		map[string]any{"type": "view_closed", "view": nil},
		map[string]any{"type": "shortcut", "callback_id": nil},
		map[string]any{"type": "block_suggestion", "value": map[string]any{}},
		map[string]any{"type": "message_action", "message": "x"},
	}
	var ids []string
	for _, p := range interactive {
		d := h.fs.Interactive(ctx, p)
		if d.Err != nil {
			t.Fatalf("payload %v: %v", p, d.Err)
		}
		ids = append(ids, d.EnvelopeID)
	}
	events := []any{
		map[string]any{},
		"a string",
		map[string]any{"type": 5},
		map[string]any{"type": "app_mention"},
		map[string]any{"type": "app_mention", "user": "U1", "channel": "C1", "text": 17},
		map[string]any{"type": "app_mention", "user": []any{}, "channel": map[string]any{}},
		map[string]any{"type": "message", "subtype": "bot_message", "text": "hi"},
	}
	for _, e := range events {
		d := h.fs.Event(ctx, e)
		if d.Err != nil || d.EnvelopeID == "" {
			t.Fatalf("event %v: %+v", e, d)
		}
		ids = append(ids, d.EnvelopeID)
	}
	for _, id := range ids {
		if a := h.fs.WaitAck(ctx, id); a.Latency >= 3*time.Second || a.Late {
			t.Errorf("envelope %s acked after %v", id, a.Latency)
		}
	}
	// The bot still works.
	d := relCommand(t, ctx, h.fs, "cat")
	preview := h.fs.WaitResponse(ctx, d.ResponseURL)
	if !strings.HasSuffix(imageURL(t, preview.Blocks), "1f431.png") {
		t.Errorf("after the junk, /sticker cat answered %s", preview.Blocks)
	}
	time.Sleep(300 * time.Millisecond) // let the junk jobs finish
	logs := h.logs.String()
	if strings.Contains(logs, "panicked") || strings.Contains(logs, "panic:") {
		t.Errorf("a handler panicked on junk")
	}
	for _, id := range ids {
		if !strings.Contains(logs, id) {
			t.Errorf("envelope %s is not in the logs", id)
		}
	}
	badButton := 0
	for _, p := range h.fs.ResponsePosts() {
		if p.URL == nowhere && strings.Contains(p.Text, "That button no longer works") {
			badButton++
		}
		if p.Status != 200 && p.URL != nowhere {
			t.Errorf("a response_url post failed: %d %s", p.Status, p.Answer)
		}
	}
	// Send, Next and Delete with values no button of ours carries: the
	// user is told the button is stale (here, at a URL that fails).
	if badButton < 3 {
		t.Errorf("%d \"button no longer works\" notices for 3 (or 4) junk button values", badButton)
	}
	if n := len(h.fs.Calls("chat.postMessage")); n != 0 {
		t.Errorf("junk posted %d messages", n)
	}
	if n := len(h.fs.Calls("chat.postEphemeral")); n != 0 {
		t.Errorf("junk mentions got %d ephemeral answers", n)
	}
}

// TestTwoBotsShareDatabase: two bot processes on one database, each with
// its own socket; the same event, command or click delivered to both does
// its work once.
func TestTwoBotsShareDatabase(t *testing.T) {
	t.Parallel()
	fs := slacksim.New(t)
	relCheckViolations(t, fs)
	db := relSampleDB(t)
	ctx := relCtx(t, 50*time.Second)
	one := map[string]string{"SOCKET_CONNECTIONS": "1"}
	a := relRunBot(t, fs, db.URL, one)
	fs.WaitConnections(ctx, 1) // connection 0 is bot a's
	b := relRunBot(t, fs, db.URL, one)
	fs.WaitConnections(ctx, 2) // connection 1 is bot b's
	st := store.New(db.Pool)

	ev := fs.Event(ctx, map[string]any{
		"type": "app_mention", "user": "U1", "text": "<@" + slacksim.BotUserID + "> dog",
		"ts": "1700000003.000100", "channel": "C1", "event_ts": "1700000003.000100",
	}, slacksim.OnConn(0))
	reEv := fs.Redeliver(ctx, ev.EnvelopeID, slacksim.OnConn(1), slacksim.WithRetry(1, "timeout"))

	d := relCommand(t, ctx, fs, "cat", slacksim.OnConn(1))
	reD := fs.Redeliver(ctx, d.EnvelopeID, slacksim.OnConn(0))
	preview := fs.WaitResponse(ctx, d.ResponseURL)
	send := fs.BlockAction(ctx, slacksim.Click{User: "U1", Message: preview.Message, ActionID: "sticker_send"}, slacksim.OnConn(0))
	if send.Err != nil {
		t.Fatal(send.Err)
	}
	reSend := fs.Redeliver(ctx, send.EnvelopeID, slacksim.OnConn(1))

	for _, x := range []slacksim.Delivery{ev, reEv, d, reD, send, reSend} {
		if x.Err != nil {
			t.Fatalf("delivery %s: %v", x.EnvelopeID, x.Err)
		}
		fs.WaitAck(ctx, x.EnvelopeID)
	}
	fs.WaitCall(ctx, "chat.postEphemeral", nil)
	fs.WaitCall(ctx, "chat.postMessage", nil)
	fs.WaitUntil(ctx, "both bots handled their copy", func() bool {
		return strings.Count(a.logs.String()+b.logs.String(), "skipping a redelivered request") >= 3
	})
	fs.WaitUntil(ctx, "usage counted", func() bool {
		s, err := st.GetByName(context.Background(), "cat")
		return err == nil && s.UsageCount >= 1
	})
	time.Sleep(300 * time.Millisecond)

	if n := len(fs.Calls("chat.postEphemeral")); n != 1 {
		t.Errorf("%d answers to one mention seen by two bots, want 1", n)
	}
	if n := responsesTo(fs, d.ResponseURL); n != 1 {
		t.Errorf("%d previews for one command seen by two bots, want 1", n)
	}
	if n := len(fs.Calls("chat.postMessage")); n != 1 {
		t.Errorf("%d stickers posted for one click seen by two bots, want 1", n)
	}
	if s, err := st.GetByName(context.Background(), "cat"); err != nil || s.UsageCount != 1 {
		t.Errorf("usage count %d (%v), want 1", s.UsageCount, err)
	}
	if strings.Count(a.logs.String(), "skipping a redelivered request") == 0 ||
		strings.Count(b.logs.String(), "skipping a redelivered request") == 0 {
		t.Logf("note: one bot skipped every duplicate (fine, the claims are shared)")
	}
}

// TestRefreshSingleConnection: with one connection, a warning and then a
// refresh_requested on it; the bot opens exactly one replacement, which
// says hello before the old socket is closed, so the bot is never without
// a connection and commands sent meanwhile are answered.
func TestRefreshSingleConnection(t *testing.T) {
	t.Parallel()
	fs := slacksim.New(t)
	relCheckViolations(t, fs)
	db := relSampleDB(t)
	relRunBot(t, fs, db.URL, map[string]string{"SOCKET_CONNECTIONS": "1"})
	ctx := relCtx(t, 45*time.Second)
	fs.WaitConnections(ctx, 1)
	mon := monitorConns(fs)

	fs.Disconnect(0, "warning")
	var ds []slacksim.Delivery
	// Slack keeps delivering on the warned socket until the replacement is up.
	ds = append(ds, relCommand(t, ctx, fs, "cat", slacksim.OnConn(0)))
	fs.Disconnect(0, "refresh_requested")
	ds = append(ds, relCommand(t, ctx, fs, "dog", slacksim.OnConn(0)))
	fs.WaitUntil(ctx, "the replacement said hello", func() bool {
		cs := fs.Connections()
		return len(cs) >= 2 && cs[1].Hello
	})
	if c := fs.Connections()[0]; c.Closed {
		t.Errorf("the only connection was closed (%s) before its replacement said hello", c.CloseReason)
	}
	ds = append(ds, relCommand(t, ctx, fs, "party"))
	relAnswered(t, ctx, fs, ds)
	fs.WaitConnClosed(ctx, 0)
	minOpen, samples := mon.finish()
	if minOpen < 1 {
		t.Errorf("at some moment no connection was open (%d samples)", samples)
	}
	if n := len(fs.Connections()); n != 2 {
		t.Errorf("%d connections for one warning and one refresh, want 2 (one replacement)", n)
	}
	if open := fs.OpenConnections(); len(open) != 1 || open[0].Index != 1 {
		t.Errorf("open connections after the refresh: %+v", open)
	}
}
