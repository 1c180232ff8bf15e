package slacksim_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/envelope"
	"github.com/stickerbot/stickerbot/internal/httpmode"
	"github.com/stickerbot/stickerbot/internal/slacksim"
)

const testSigningSecret = "8f742231b10e8888abcd99yyyzzz85a5"

// appRequest is one request the fake sent to a requestApp.
type appRequest struct {
	Path, ContentType, UserAgent string
	RetryNum, RetryReason        string
	Form                         url.Values // commands and interactions
	Body                         []byte
}

// answer is how a requestApp answers one request.
type answer struct {
	status  int // 0: 200
	body    string
	delay   time.Duration
	noRetry bool
}

// requestApp is a tiny Slack app behind a Request URL: it checks every
// request's signature (failing the test when it is wrong), records it and
// answers with answerFn.
type requestApp struct {
	t        *testing.T
	srv      *httptest.Server
	mu       sync.Mutex
	reqs     []appRequest
	answerFn func(n int, r appRequest) answer // n counts requests from 0
}

func newRequestApp(t *testing.T, answerFn func(n int, r appRequest) answer) *requestApp {
	t.Helper()
	a := &requestApp{t: t, answerFn: answerFn}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *requestApp) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	ts := r.Header.Get("X-Slack-Request-Timestamp")
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(secs, 0)).Abs() > 5*time.Minute {
		a.t.Errorf("%s: bad timestamp %q", r.URL.Path, ts)
	}
	mac := hmac.New(sha256.New, []byte(testSigningSecret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	if want := "v0=" + hex.EncodeToString(mac.Sum(nil)); r.Header.Get("X-Slack-Signature") != want {
		a.t.Errorf("%s: signature %q, want %q", r.URL.Path, r.Header.Get("X-Slack-Signature"), want)
	}
	if r.Method != http.MethodPost {
		a.t.Errorf("%s: method %s", r.URL.Path, r.Method)
	}
	req := appRequest{
		Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"), UserAgent: r.UserAgent(),
		RetryNum: r.Header.Get("X-Slack-Retry-Num"), RetryReason: r.Header.Get("X-Slack-Retry-Reason"),
		Body: body,
	}
	if req.ContentType == "application/x-www-form-urlencoded" {
		req.Form, _ = url.ParseQuery(string(body))
	}
	a.mu.Lock()
	n := len(a.reqs)
	a.reqs = append(a.reqs, req)
	a.mu.Unlock()
	ans := answer{}
	if a.answerFn != nil {
		ans = a.answerFn(n, req)
	}
	if ans.delay > 0 {
		select {
		case <-time.After(ans.delay):
		case <-r.Context().Done():
			return
		}
	}
	if ans.noRetry {
		w.Header().Set("X-Slack-No-Retry", "1")
	}
	if ans.body != "" {
		w.Header().Set("Content-Type", "application/json")
	}
	if ans.status == 0 {
		ans.status = http.StatusOK
	}
	w.WriteHeader(ans.status)
	_, _ = io.WriteString(w, ans.body)
}

func (a *requestApp) requests() []appRequest {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]appRequest(nil), a.reqs...)
}

// jsonEqual reports whether a and b hold the same JSON value.
func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}

func TestSignature(t *testing.T) {
	// The example of https://docs.slack.dev/authentication/verifying-requests-from-slack/
	body := "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	got := slacksim.Signature(testSigningSecret, "1531420618", []byte(body))
	if want := "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"; got != want {
		t.Errorf("Signature = %s, want %s", got, want)
	}
}

func TestHTTPSlashCommand(t *testing.T) {
	app := newRequestApp(t, func(n int, r appRequest) answer {
		if r.Form.Get("text") == "hello" {
			return answer{body: `{"response_type":"ephemeral","text":"hi there"}`}
		}
		return answer{}
	})
	fs := slacksim.New(t, slacksim.WithRequestURL(app.srv.URL+"/", testSigningSecret))
	ctx := testCtx(t, 5*time.Second)

	d := fs.SlashCommand(ctx, slacksim.Command{User: "U1", Channel: "C1", Command: "/sticker", Text: "hello"})
	if d.Err != nil || d.Conn != -1 || d.EnvelopeID == "" || d.ResponseURL == "" || d.TriggerID == "" {
		t.Fatalf("delivery = %+v", d)
	}
	ack := fs.WaitAck(ctx, d.EnvelopeID)
	if ack.Conn != -1 || ack.DeliveredConn != -1 || ack.Type != slacksim.TypeSlashCommands || ack.Late || ack.Duplicate || ack.Unknown {
		t.Errorf("ack = %+v", ack)
	}
	if !jsonEqual(t, ack.Payload, []byte(`{"response_type":"ephemeral","text":"hi there"}`)) {
		t.Errorf("ack payload = %s", ack.Payload)
	}
	m := fs.WaitMessage(ctx, "C1", func(m slacksim.Message) bool { return m.Source == "ack" })
	if m.Text != "hi there" || !m.Ephemeral || m.User != "U1" {
		t.Errorf("ack message = %+v", m)
	}

	reqs := app.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.Path != slacksim.PathCommands || r.ContentType != "application/x-www-form-urlencoded" || r.RetryNum != "" || r.UserAgent == "" {
		t.Errorf("request = %+v", r)
	}
	// The form holds exactly the fields of the Socket Mode payload.
	var fields map[string]string
	if err := json.Unmarshal(d.Payload, &fields); err != nil {
		t.Fatal(err)
	}
	if len(r.Form) != len(fields) {
		t.Errorf("form %v, payload %v", r.Form, fields)
	}
	for k, v := range fields {
		if got := r.Form[k]; len(got) != 1 || got[0] != v {
			t.Errorf("form %s = %q, want %q", k, got, v)
		}
	}

	// An empty 200 is a bare ack.
	d = fs.SlashCommand(ctx, slacksim.Command{User: "U1", Channel: "C1", Command: "/sticker", Text: "quiet"})
	if ack := fs.WaitAck(ctx, d.EnvelopeID); ack.Payload != nil {
		t.Errorf("bare ack payload = %s", ack.Payload)
	}
	if n := len(fs.Connections()); n != 0 {
		t.Errorf("%d Socket Mode connections", n)
	}
	if ue, v := fs.UserErrors(), fs.Violations(); len(ue) != 0 || len(v) != 0 {
		t.Errorf("user errors %v, violations %v", ue, v)
	}
}

func TestHTTPInteractionsAndViewSubmission(t *testing.T) {
	app := newRequestApp(t, func(n int, r appRequest) answer {
		if r.Path != slacksim.PathInteractions {
			return answer{}
		}
		var p struct {
			Type string `json:"type"`
			View struct {
				State struct {
					Values map[string]map[string]struct{ Value string }
				}
			}
		}
		_ = json.Unmarshal([]byte(r.Form.Get("payload")), &p)
		if p.Type == "view_submission" && p.View.State.Values["name_block"]["name"].Value == "" {
			return answer{body: `{"response_action":"errors","errors":{"name_block":"Give it a name"}}`}
		}
		return answer{}
	})
	fs := slacksim.New(t, slacksim.WithRequestURL(app.srv.URL, testSigningSecret))
	ctx := testCtx(t, 5*time.Second)
	api := newAPI(fs)

	d := fs.SlashCommand(ctx, slacksim.Command{User: "U1", Channel: "C1", Command: "/sticker", Text: "add"})
	fs.WaitAck(ctx, d.EnvelopeID)
	more := slack.NewActionBlock("more", slack.NewButtonBlockElement("more", "v1", slack.NewTextBlockObject(slack.PlainTextType, "More", false, false)))
	optional := slack.NewInputBlock("name_block", slack.NewTextBlockObject(slack.PlainTextType, "Name", false, false), nil,
		slack.NewPlainTextInputBlockElement(nil, "name"))
	optional.Optional = true
	view, err := api.OpenViewContext(ctx, d.TriggerID, modal("Add", optional, more))
	if err != nil {
		t.Fatal(err)
	}

	click := fs.BlockAction(ctx, slacksim.Click{User: "U1", ViewID: view.View.ID, ActionID: "more"})
	if click.Err != nil {
		t.Fatal(click.Err)
	}
	fs.WaitAck(ctx, click.EnvelopeID)
	sub := fs.ViewSubmission(ctx, slacksim.Submission{User: "U1"})
	if ack := fs.WaitAck(ctx, sub.EnvelopeID); ack.Payload == nil {
		t.Errorf("errors ack = %+v", ack)
	}
	if n := len(fs.OpenViews("U1")); n != 1 {
		t.Errorf("%d views open after response_action errors, want 1", n)
	}
	sub = fs.ViewSubmission(ctx, slacksim.Submission{User: "U1", Values: map[string]string{"name": "cat"}})
	fs.WaitAck(ctx, sub.EnvelopeID)
	if n := len(fs.OpenViews("U1")); n != 0 {
		t.Errorf("%d views open after an empty ack, want 0", n)
	}

	reqs := app.requests()
	if len(reqs) != 4 {
		t.Fatalf("%d requests", len(reqs))
	}
	for i, want := range map[int]slacksim.Delivery{1: click, 3: sub} {
		r := reqs[i]
		if r.Path != slacksim.PathInteractions || r.ContentType != "application/x-www-form-urlencoded" || len(r.Form) != 1 {
			t.Errorf("request %d = %+v", i, r)
		}
		if !jsonEqual(t, []byte(r.Form.Get("payload")), want.Payload) {
			t.Errorf("payload %s, want %s", r.Form.Get("payload"), want.Payload)
		}
	}
	if v := fs.Violations(); len(v) != 0 {
		t.Errorf("violations %v", v)
	}
}

func TestHTTPUserErrors(t *testing.T) {
	app := newRequestApp(t, func(n int, r appRequest) answer {
		switch r.Form.Get("text") {
		case "fail":
			return answer{status: http.StatusInternalServerError, body: `{"ok":false}`}
		case "denied":
			return answer{status: http.StatusUnauthorized}
		case "slow":
			return answer{delay: 2 * time.Second, body: `{"text":"too late"}`}
		}
		return answer{}
	})
	fs := slacksim.New(t, slacksim.WithRequestURL(app.srv.URL, testSigningSecret), slacksim.WithAckTimeout(400*time.Millisecond))
	ctx := testCtx(t, 5*time.Second)
	for text, want := range map[string]string{"fail": slacksim.UserErrorHTTP, "denied": slacksim.UserErrorHTTP, "slow": "operation_timeout"} {
		d := fs.SlashCommand(ctx, slacksim.Command{User: "U1", Channel: "C1", Command: "/sticker", Text: text})
		if d.Err != nil {
			t.Fatalf("%s: %v", text, d.Err)
		}
		ue := fs.WaitUserError(ctx, d.EnvelopeID)
		if ue.Error != want || ue.User != "U1" || ue.Channel != "C1" || ue.Type != slacksim.TypeSlashCommands {
			t.Errorf("%s: user error %+v, want %s", text, ue, want)
		}
	}
	if a := fs.Acks(); len(a) != 0 {
		t.Errorf("acks %+v", a)
	}
	if m := fs.Messages("C1"); len(m) != 0 {
		t.Errorf("messages %+v", m)
	}

	// Nothing listens: the delivery fails at once, like Socket Mode without a
	// connection.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	fs2 := slacksim.New(t, slacksim.WithRequestURL(dead, testSigningSecret))
	d := fs2.SlashCommand(ctx, slacksim.Command{User: "U1", Channel: "C1", Command: "/sticker"})
	if !errors.Is(d.Err, slacksim.ErrDispatchFailed) {
		t.Errorf("err = %v", d.Err)
	}
	if ue := fs2.UserErrors(); len(ue) != 1 || ue[0].Error != "dispatch_failed" || ue[0].EnvelopeID != d.EnvelopeID {
		t.Errorf("user errors = %+v", ue)
	}
}

func TestHTTPEventRetries(t *testing.T) {
	app := newRequestApp(t, func(n int, r appRequest) answer {
		var p struct {
			Event struct{ Text string }
		}
		_ = json.Unmarshal(r.Body, &p)
		switch p.Event.Text {
		case "flaky": // error, then too slow, then fine
			switch r.RetryNum {
			case "":
				return answer{status: http.StatusInternalServerError}
			case "1":
				return answer{delay: time.Second}
			}
		case "down":
			return answer{status: http.StatusServiceUnavailable}
		case "stop":
			return answer{status: http.StatusServiceUnavailable, noRetry: true}
		}
		return answer{}
	})
	const delay = 20 * time.Millisecond
	fs := slacksim.New(t, slacksim.WithRequestURL(app.srv.URL, testSigningSecret),
		slacksim.WithAckTimeout(400*time.Millisecond), slacksim.WithEventRetryDelays(delay, delay, delay))
	ctx := testCtx(t, 5*time.Second)
	mention := func(text string) slacksim.Delivery {
		d := fs.Event(ctx, map[string]any{"type": "app_mention", "user": "U1", "text": text, "ts": "1.000001", "channel": "C1"})
		if d.Err != nil || d.Conn != -1 || d.EventID == "" || d.EnvelopeID == "" {
			t.Fatalf("delivery = %+v", d)
		}
		return d
	}
	of := func(d slacksim.Delivery) []appRequest {
		var out []appRequest
		for _, r := range app.requests() {
			var p struct {
				EventID string `json:"event_id"`
			}
			_ = json.Unmarshal(r.Body, &p)
			if p.EventID == d.EventID {
				out = append(out, r)
			}
		}
		return out
	}

	flaky := mention("flaky")
	fs.WaitUntil(ctx, "third delivery acked", func() bool {
		ids := fs.EventDeliveries(flaky.EventID)
		for _, a := range fs.Acks() {
			if len(ids) == 3 && a.EnvelopeID == ids[2] {
				return true
			}
		}
		return false
	})
	down := mention("down")
	stop := mention("stop")
	fine := mention("fine")
	fs.WaitAck(ctx, fine.EnvelopeID)
	fs.WaitUntil(ctx, "retries exhausted", func() bool { return len(of(down)) == 4 })
	time.Sleep(10 * delay) // room for a stray retry

	reqs := of(flaky)
	var got [][2]string
	for _, r := range reqs {
		got = append(got, [2]string{r.RetryNum, r.RetryReason})
		if r.Path != slacksim.PathEvents || r.ContentType != "application/json" || !jsonEqual(t, r.Body, flaky.Payload) {
			t.Errorf("request = %+v", r)
		}
	}
	if want := [][2]string{{"", ""}, {"1", slacksim.RetryHTTPError}, {"2", slacksim.RetryHTTPTimeout}}; !reflect.DeepEqual(got, want) {
		t.Errorf("flaky: retry headers %v, want %v", got, want)
	}
	if n := len(of(down)); n != 4 {
		t.Errorf("down: %d deliveries, want 1 + 3 retries", n)
	}
	if n := len(of(stop)); n != 1 {
		t.Errorf("X-Slack-No-Retry: %d deliveries, want 1", n)
	}
	if n := len(of(fine)); n != 1 {
		t.Errorf("acked: %d deliveries, want 1", n)
	}
	if ue := fs.UserErrors(); len(ue) != 0 {
		t.Errorf("events are not user-visible: %+v", ue)
	}

	// A manual redelivery carries the retry headers and is not retried.
	re := fs.Redeliver(ctx, fine.EnvelopeID, slacksim.WithRetry(1, slacksim.RetryHTTPTimeout))
	if re.Err != nil || re.EventID != fine.EventID || re.EnvelopeID == fine.EnvelopeID || re.RetryAttempt != 1 {
		t.Fatalf("redelivery = %+v", re)
	}
	fs.WaitAck(ctx, re.EnvelopeID)
	if r := of(fine); len(r) != 2 || r[1].RetryNum != "1" || r[1].RetryReason != slacksim.RetryHTTPTimeout || !jsonEqual(t, r[1].Body, fine.Payload) {
		t.Errorf("redelivery requests = %+v", r)
	}
}

// recorder is an envelope.Dispatcher that records envelopes and acks slash
// commands with a message.
type recorder struct {
	mu   sync.Mutex
	reqs []envelope.Envelope
}

func (r *recorder) Quick(*envelope.Envelope) bool { return true }

func (r *recorder) Dispatch(_ context.Context, env *envelope.Envelope) envelope.Ack {
	r.mu.Lock()
	r.reqs = append(r.reqs, *env)
	r.mu.Unlock()
	if env.Kind == envelope.SlashCommand {
		return map[string]string{"text": "got it"}
	}
	return nil
}

func (r *recorder) requests() []envelope.Envelope {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]envelope.Envelope(nil), r.reqs...)
}

// TestHTTPModeReceiver checks the fake's requests against the bot's own
// receiver: they verify, and decode to the requests Socket Mode would carry.
func TestHTTPModeReceiver(t *testing.T) {
	rec := &recorder{}
	h, err := httpmode.New(httpmode.Config{SigningSecret: testSigningSecret, Dispatcher: rec, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	fs := slacksim.New(t, slacksim.WithRequestURL(srv.URL, testSigningSecret))
	ctx := testCtx(t, 5*time.Second)

	cmd := fs.SlashCommand(ctx, slacksim.Command{User: "U1", Channel: "C1", Command: "/sticker", Text: "cat & <dog>"})
	if ack := fs.WaitAck(ctx, cmd.EnvelopeID); !jsonEqual(t, ack.Payload, []byte(`{"text":"got it"}`)) {
		t.Errorf("command ack = %+v", ack)
	}
	fs.WaitMessage(ctx, "C1", func(m slacksim.Message) bool { return m.Source == "ack" && m.Text == "got it" })

	api := newAPI(fs)
	btn := slack.NewActionBlock("b", slack.NewButtonBlockElement("send", "v", slack.NewTextBlockObject(slack.PlainTextType, "Send", false, false)))
	_, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionBlocks(btn))
	if err != nil {
		t.Fatal(err)
	}
	click := fs.BlockAction(ctx, slacksim.Click{User: "U1", Message: slacksim.Message{TS: ts}, ActionID: "send"})
	fs.WaitAck(ctx, click.EnvelopeID)

	ev := fs.Event(ctx, map[string]any{"type": "app_mention", "user": "U1", "text": "<@U0FAKEBOT> hi", "ts": "1.000001", "channel": "C1"})
	fs.WaitAck(ctx, ev.EnvelopeID)
	re := fs.Redeliver(ctx, ev.EnvelopeID, slacksim.WithRetry(1, slacksim.RetryHTTPTimeout))
	fs.WaitAck(ctx, re.EnvelopeID)

	got := rec.requests()
	if len(got) != 4 {
		t.Fatalf("%d requests dispatched, want 4", len(got))
	}
	for i, want := range []struct {
		d            slacksim.Delivery
		typ          string
		retry        int
		retryReasons string
	}{
		{cmd, "slash_commands", 0, ""},
		{click, "interactive", 0, ""},
		{ev, "events_api", 0, ""},
		{re, "events_api", 1, slacksim.RetryHTTPTimeout},
	} {
		r := got[i]
		payload, _ := json.Marshal(r.Payload)
		if string(r.Kind) != want.typ || r.RetryAttempt != want.retry || r.RetryReason != want.retryReasons || !jsonEqual(t, payload, want.d.Payload) {
			t.Errorf("request %d = %+v (payload %s), want %s %s", i, r, payload, want.typ, want.d.Payload)
		}
	}

	// A wrong signing secret is refused (401): the user sees an error.
	bad := slacksim.New(t, slacksim.WithRequestURL(srv.URL, "not-the-secret"))
	d := bad.SlashCommand(ctx, slacksim.Command{User: "U1", Channel: "C1", Command: "/sticker"})
	if ue := bad.WaitUserError(ctx, d.EnvelopeID); ue.Error != slacksim.UserErrorHTTP {
		t.Errorf("user error = %+v", ue)
	}
	if n := len(rec.requests()); n != 4 {
		t.Errorf("a badly signed request was dispatched")
	}
	if v := fs.Violations(); len(v) != 0 {
		t.Errorf("violations %v", v)
	}
}
