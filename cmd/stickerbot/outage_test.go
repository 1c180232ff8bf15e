package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stickerbot/stickerbot/internal/pgcluster"
	"github.com/stickerbot/stickerbot/internal/slacksim"
	"github.com/stickerbot/stickerbot/internal/store"
	"github.com/stickerbot/stickerbot/internal/testdb"
)

// The user-facing text of handlers' msgUnavailable.
const outageUnavailable = "Stickers are unavailable right now, try again in a minute."

// outageLoadSample migrates the database at url and imports the example
// library into it, as an operator would before starting the bot.
func outageLoadSample(t *testing.T, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pool, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := store.Migrate(ctx, pool, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	testdb.LoadSample(t, store.New(pool))
}

var servingHTTP = regexp.MustCompile(`msg="serving HTTP" addr=(\S+)`)

// outageHTTPAddr returns the address the bot's HTTP server listens on (it
// was started with HTTP_ADDR=127.0.0.1:0 and logs the port it got).
func outageHTTPAddr(t *testing.T, logs *syncBuffer) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if m := servingHTTP.FindStringSubmatch(logs.String()); m != nil {
			return m[1]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal(`the bot never logged "serving HTTP" with its address`)
	return ""
}

// readyz returns the status of GET /readyz, or 0 when the request fails.
func readyz(addr string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/readyz", nil)
	if err != nil {
		return 0
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// waitReadyz polls /readyz until it answers want, for at most d.
func waitReadyz(t *testing.T, addr string, want int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	got := 0
	for {
		if got = readyz(addr); got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz answered %d for %s, want %d", got, d, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// outageSearch sends /sticker text and returns the delivery, its ack and the
// first response_url post, checking that the ack was prompt.
func outageSearch(t *testing.T, ctx context.Context, h *harness, text string) (slacksim.Delivery, slacksim.Ack, slacksim.ResponsePost) {
	t.Helper()
	d := h.fs.SlashCommand(ctx, slacksim.Command{User: "U1", Channel: "C1", Command: "/sticker", Text: text})
	if d.Err != nil {
		t.Fatalf("/sticker %s: %v", text, d.Err)
	}
	ack := h.fs.WaitAck(ctx, d.EnvelopeID)
	if ack.Latency >= 3*time.Second || ack.Late {
		t.Errorf("/sticker %s acked after %v", text, ack.Latency)
	}
	post := h.fs.WaitResponse(ctx, d.ResponseURL)
	return d, ack, post
}

func noUserErrorFor(t *testing.T, fs *slacksim.Server, envelopeIDs ...string) {
	t.Helper()
	for _, e := range fs.UserErrors() {
		for _, id := range envelopeIDs {
			if e.EnvelopeID == id {
				t.Errorf("the user saw %s for envelope %s", e.Error, id)
			}
		}
	}
}

// TestDatabaseOutage runs the bot on a database of its own, stops the
// database under it and starts it again: commands are still acked at once
// and answered with "unavailable", /readyz reports the outage, and the bot
// recovers without a restart.
func TestDatabaseOutage(t *testing.T) {
	t.Parallel()
	pg := pgcluster.Start(t)
	outageLoadSample(t, pg.URL())
	h := startBot(t, map[string]string{"DATABASE_URL": pg.URL(), "HTTP_ADDR": "127.0.0.1:0"})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	addr := outageHTTPAddr(t, h.logs)
	waitReadyz(t, addr, http.StatusOK, 10*time.Second)

	_, _, preview := outageSearch(t, ctx, h, "cat")
	if got := imageURL(t, preview.Blocks); !strings.HasSuffix(got, "1f431.png") {
		t.Fatalf("/sticker cat showed %s before the outage", got)
	}

	pg.Stop(t)
	start := time.Now()
	d, _, post := outageSearch(t, ctx, h, "cat")
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("the user waited %v to hear the database is down", took)
	} else {
		t.Logf("with the database stopped, the user heard back in %v", took.Round(time.Millisecond))
	}
	if !strings.Contains(post.Text+strings.Join(post.Message.MrkdwnTexts(), " "), outageUnavailable) {
		t.Errorf("during the outage /sticker cat answered %q, want %q", post.Text, outageUnavailable)
	}
	// Sending the sticker previewed before the outage: the user is told,
	// nothing is posted.
	send := h.fs.BlockAction(ctx, slacksim.Click{User: "U1", Message: preview.Message, ActionID: "sticker_send"})
	if send.Err != nil {
		t.Fatal(send.Err)
	}
	if a := h.fs.WaitAck(ctx, send.EnvelopeID); a.Latency >= 3*time.Second {
		t.Errorf("Send acked after %v during the outage", a.Latency)
	}
	told := h.fs.WaitResponse(ctx, send.ResponseURL)
	if !strings.Contains(told.Text, outageUnavailable) {
		t.Errorf("Send during the outage answered %q, want %q", told.Text, outageUnavailable)
	}
	if n := len(h.fs.Calls("chat.postMessage")); n != 0 {
		t.Errorf("%d chat.postMessage calls during the outage", n)
	}
	waitReadyz(t, addr, http.StatusServiceUnavailable, 15*time.Second)
	noUserErrorFor(t, h.fs, d.EnvelopeID, send.EnvelopeID)

	pg.Start(t)
	waitReadyz(t, addr, http.StatusOK, 30*time.Second)
	d2, _, after := outageSearch(t, ctx, h, "happy") // several match: the preview has all its buttons
	if got := buttons(t, after.Blocks); strings.Join(got, ",") != "sticker_send,sticker_next,sticker_fav,sticker_cancel" {
		t.Fatalf("after the outage /sticker happy answered %q with buttons %v", after.Text, got)
	}
	noUserErrorFor(t, h.fs, d2.EnvelopeID)
	if n := len(h.fs.OpenConnections()); n != 2 {
		t.Errorf("%d open Socket Mode connections after the outage, want 2", n)
	}
}

// TestDatabaseHangs freezes the database (it keeps its sockets open and
// answers nothing): every query has a timeout, so the user still hears back
// in bounded time, and the bot recovers when the database does.
func TestDatabaseHangs(t *testing.T) {
	t.Parallel()
	pg := pgcluster.Start(t)
	outageLoadSample(t, pg.URL())
	h := startBot(t, map[string]string{"DATABASE_URL": pg.URL(), "HTTP_ADDR": "127.0.0.1:0"})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	addr := outageHTTPAddr(t, h.logs)
	outageSearch(t, ctx, h, "cat") // warm the pool

	pg.Pause(t)
	resumed := false
	defer func() {
		if !resumed {
			pg.Resume(t)
		}
	}()
	start := time.Now()
	d, _, post := outageSearch(t, ctx, h, "cat")
	// Claim and search each give up after store.QueryTimeout (a new
	// connection after its 5 s connect timeout), well inside the job's 20 s.
	if took := time.Since(start); took > 18*time.Second {
		t.Errorf("the user waited %v to hear the database is down", took)
	} else {
		t.Logf("with the database hung, the user heard back in %v", took.Round(time.Millisecond))
	}
	if !strings.Contains(post.Text, outageUnavailable) {
		t.Errorf("with the database hung /sticker cat answered %q, want %q", post.Text, outageUnavailable)
	}
	if got := readyz(addr); got != http.StatusServiceUnavailable {
		t.Errorf("/readyz answered %d with the database hung, want 503", got)
	}
	noUserErrorFor(t, h.fs, d.EnvelopeID)

	pg.Resume(t)
	resumed = true
	waitReadyz(t, addr, http.StatusOK, 30*time.Second)
	_, _, after := outageSearch(t, ctx, h, "dog")
	if got := buttons(t, after.Blocks); len(got) == 0 {
		t.Fatalf("after the database came back /sticker dog answered %q", after.Text)
	}
}

// TestBotWaitsForDatabase starts the bot while its database is down: it
// logs that it waits, retries, and comes up once the database does.
func TestBotWaitsForDatabase(t *testing.T) {
	t.Parallel()
	pg := pgcluster.Start(t)
	outageLoadSample(t, pg.URL())
	pg.Stop(t)
	// Stand in for the stopped server on its port until the bot has tried
	// it once (and been hung up on), then start the real one.
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", pg.Port()))
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan error, 1)
	go func() {
		timer := time.AfterFunc(30*time.Second, func() { ln.Close() })
		defer timer.Stop()
		conn, err := ln.Accept()
		ln.Close()
		if err != nil {
			started <- fmt.Errorf("the bot never tried the database: %v", err)
			return
		}
		conn.Close()
		time.Sleep(500 * time.Millisecond)
		started <- pg.TryStart()
	}()
	// startBot returns once the bot holds its Socket Mode connections, which
	// it opens only after the database answered.
	h := startBot(t, map[string]string{"DATABASE_URL": pg.URL(), "HTTP_ADDR": "127.0.0.1:0"})
	if err := <-started; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.logs.String(), "database not reachable yet") {
		t.Errorf("the bot did not log that it waits for the database")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	waitReadyz(t, outageHTTPAddr(t, h.logs), http.StatusOK, 20*time.Second)
	_, _, preview := outageSearch(t, ctx, h, "cat")
	if got := imageURL(t, preview.Blocks); !strings.HasSuffix(got, "1f431.png") {
		t.Fatalf("/sticker cat showed %s", got)
	}
}
