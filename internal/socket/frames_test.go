package socket

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stickerbot/stickerbot/internal/envelope"
)

func TestMalformedFramesAreSurvivedAndEnvelopesStillAcked(t *testing.T) {
	ms := newMiniSlack(t)
	log, logs := testLogger(t)
	d := newRecordingDispatcher(nil)
	startManager(t, fastConfig(ms.api(), d, log))
	c := ms.nextConn()

	for _, f := range []string{
		`not json at all`,
		`{"type":"events_api","envelope_id":`,
		`[]`,
		`null`,
		`"a string"`,
		`{}`,
		`{"type":5}`,
		`{"payload":{"secret":"do-not-log-me"}}`,
		`{"type":"events_api","payload":{}}`, // no envelope_id: nothing to ack
	} {
		c.send(f)
	}
	c.sendBinary([]byte{0xff, 0x00})
	c.send(``)

	// Partly well-formed frames still carry an envelope_id worth acking,
	// and unknown types are acked so that Slack stops redelivering them.
	c.send(`{"type":"events_api","envelope_id":"env-typeerr","retry_attempt":"one","payload":{"event":{}}}`)
	if a := c.nextAck(t); a.EnvelopeID != "env-typeerr" || a.Payload != nil {
		t.Fatalf("ack = %s, want bare ack of env-typeerr", a.raw)
	}
	c.send(`{"type":"brand_new_type","envelope_id":"env-unknown","payload":{"x":1}}`)
	if a := c.nextAck(t); a.EnvelopeID != "env-unknown" {
		t.Fatalf("ack = %s, want ack of env-unknown", a.raw)
	}
	c.send(`{"envelope_id":"env-notype"}`)
	if a := c.nextAck(t); a.EnvelopeID != "env-notype" {
		t.Fatalf("ack = %s, want ack of env-notype", a.raw)
	}
	// The socket survived all of it.
	c.send(`{"type":"slash_commands","envelope_id":"env-ok","payload":{"command":"/sticker"},"accepts_response_payload":true}`)
	if a := c.nextAck(t); a.EnvelopeID != "env-ok" {
		t.Fatalf("ack = %s, want ack of env-ok", a.raw)
	}
	c.noFrame(t, 100*time.Millisecond)

	if got := d.count(); got != 4 {
		t.Errorf("dispatcher saw %d envelopes, want 4 (type error, unknown type, no type, ok)", got)
	}
	if ms.openCount() != 1 {
		t.Errorf("apps.connections.open called %d times, want 1: malformed frames must not cost the socket", ms.openCount())
	}
	out := logs.String()
	for _, line := range strings.Split(out, "\n") {
		if !strings.Contains(line, "level=DEBUG") && strings.Contains(line, "do-not-log-me") {
			t.Errorf("payload contents logged above debug level: %s", line)
		}
	}
	if !strings.Contains(out, "dropping malformed frame") {
		t.Errorf("malformed frames were not logged:\n%s", out)
	}
}

func TestControlFrameWithEnvelopeIDIsAckedNotDispatched(t *testing.T) {
	ms := newMiniSlack(t)
	log, _ := testLogger(t)
	d := newRecordingDispatcher(nil)
	r := startManager(t, fastConfig(ms.api(), d, log))
	c := ms.nextConn()
	c.send(`{"type":"disconnect","reason":"warning","envelope_id":"env-ctl"}`)
	if a := c.nextAck(t); a.EnvelopeID != "env-ctl" || a.Payload != nil {
		t.Fatalf("ack = %s, want bare ack of env-ctl", a.raw)
	}
	ms.nextConn() // the warning still opens a replacement
	waitFor(t, "old socket closed after the grace period", func() bool {
		select {
		case <-c.closed:
			return true
		default:
			return false
		}
	})
	if d.count() != 0 {
		t.Errorf("dispatcher saw %d envelopes, want 0", d.count())
	}
	_ = r
}

func TestOversizedAckPayloadFallsBackToBareAck(t *testing.T) {
	ms := newMiniSlack(t)
	log, logs := testLogger(t)
	d := newRecordingDispatcher(func(ctx context.Context, req *envelope.Envelope) envelope.Ack {
		switch req.ID {
		case "env-big":
			return map[string]string{"text": strings.Repeat("x", maxFrameBytes)}
		case "env-unmarshalable":
			return map[string]any{"ch": make(chan int)}
		case "env-typed-nil":
			var p *struct{ Text string }
			return p
		case "env-panic":
			panic("boom")
		}
		return map[string]string{"text": "fits"}
	})
	startManager(t, fastConfig(ms.api(), d, log))
	c := ms.nextConn()

	for _, tc := range []struct{ id, wantPayload string }{
		{"env-big", ""},
		{"env-unmarshalable", ""},
		{"env-typed-nil", ""},
		{"env-panic", ""},
		{"env-small", `{"text":"fits"}`},
	} {
		c.send(`{"type":"slash_commands","envelope_id":"` + tc.id + `","payload":{},"accepts_response_payload":true}`)
		a := c.nextAck(t)
		if a.EnvelopeID != tc.id || string(a.Payload) != tc.wantPayload {
			t.Errorf("ack = %s, want envelope %s with payload %q", a.raw, tc.id, tc.wantPayload)
		}
		if len(a.raw) >= maxFrameBytes {
			t.Errorf("ack frame is %d bytes", len(a.raw))
		}
		if strings.Contains(string(a.raw), `"payload":null`) {
			t.Errorf("ack %s has payload null, want it omitted", a.raw)
		}
	}
	if !strings.Contains(logs.String(), "ack too large") {
		t.Errorf("oversized ack was not logged:\n%s", logs.String())
	}
}

func TestTooManyWebsocketsBacksOff(t *testing.T) {
	ms := newMiniSlack(t)
	ms.onConnect = func(c *miniConn) {
		c.send(`{"type":"disconnect","reason":"too_many_websockets","debug_info":{"host":"applink-10"}}`)
		_ = c.ws.Close()
	}
	log, _ := testLogger(t)
	cfg := fastConfig(ms.api(), newRecordingDispatcher(nil), log)
	cfg.BackoffMin = 20 * time.Millisecond
	cfg.BackoffMax = 5 * time.Second
	obs := &countingObserver{}
	cfg.Observer = obs
	r := startManager(t, cfg)

	// Without backoff, a second of round trips on loopback would be
	// hundreds of attempts. With doubling from 20 ms (jittered down to half
	// at worst) the delays sum past a second within about nine attempts.
	waitFor(t, "a few refused attempts", func() bool { return ms.openCount() >= 3 })
	time.Sleep(time.Second)
	if n := ms.openCount(); n > 14 {
		t.Errorf("apps.connections.open called %d times in ~1 s of too_many_websockets; want backoff", n)
	}
	if r.m.Connected() != 0 {
		t.Errorf("Connected() = %d, want 0", r.m.Connected())
	}
	if rs := obs.reasons(); len(rs) == 0 || rs[0] != "too_many_websockets" {
		t.Errorf("Reconnect reasons = %v, want too_many_websockets", rs)
	}
}

func TestHelloTimeoutReplacesConnection(t *testing.T) {
	ms := newMiniSlack(t)
	var accepted atomic.Int64
	ms.onConnect = func(c *miniConn) {
		if accepted.Add(1) == 1 {
			return // silent: no hello
		}
		c.send(`{"type":"hello"}`)
	}
	log, _ := testLogger(t)
	cfg := fastConfig(ms.api(), newRecordingDispatcher(nil), log)
	cfg.HelloTimeout = 200 * time.Millisecond
	r := startManager(t, cfg)
	c0 := ms.nextConn()
	c1 := ms.nextConn()
	waitFor(t, "connected", func() bool { return r.m.Connected() == 1 })
	select {
	case <-c0.closed:
	case <-time.After(testTimeout):
		t.Fatal("socket without hello was not closed")
	}
	c1.send(`{"type":"events_api","envelope_id":"e1","payload":{}}`)
	if a := c1.nextAck(t); a.EnvelopeID != "e1" {
		t.Fatalf("ack = %s", a.raw)
	}
}

func TestLinkDisabledReconnectsWithBackoff(t *testing.T) {
	ms := newMiniSlack(t)
	ms.onConnect = func(c *miniConn) {
		c.send(`{"type":"hello"}`)
		c.send(`{"type":"disconnect","reason":"link_disabled","debug_info":{"host":"wss-111"}}`)
	}
	log, logs := testLogger(t)
	cfg := fastConfig(ms.api(), newRecordingDispatcher(nil), log)
	cfg.BackoffMin = 20 * time.Millisecond
	cfg.BackoffMax = 5 * time.Second
	startManager(t, cfg)
	waitFor(t, "reconnect attempts", func() bool { return ms.openCount() >= 3 })
	time.Sleep(time.Second)
	if n := ms.openCount(); n > 12 {
		t.Errorf("apps.connections.open called %d times in ~1 s of link_disabled; want backoff", n)
	}
	if !strings.Contains(logs.String(), "Socket Mode was turned off in the app settings") {
		t.Errorf("link_disabled not explained in logs:\n%s", logs.String())
	}
}

func TestOpenErrorsRetryOrFail(t *testing.T) {
	t.Run("not_allowed_token_type is fatal", func(t *testing.T) {
		ms := newMiniSlack(t)
		ms.openScript = []func(http.ResponseWriter){func(w http.ResponseWriter) {
			_, _ = w.Write([]byte(`{"ok":false,"error":"not_allowed_token_type"}`))
		}}
		log, logs := testLogger(t)
		m, err := New(fastConfig(ms.api(), newRecordingDispatcher(nil), log))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		err = m.Run(ctx)
		if !errors.Is(err, ErrInvalidAppToken) || !strings.Contains(err.Error(), "not_allowed_token_type") {
			t.Fatalf("Run = %v, want ErrInvalidAppToken naming not_allowed_token_type", err)
		}
		if strings.Contains(err.Error(), miniToken) || strings.Contains(logs.String(), miniToken) {
			t.Errorf("token leaked: %v\n%s", err, logs.String())
		}
	})
	t.Run("ok:false with another error retries", func(t *testing.T) {
		ms := newMiniSlack(t)
		ms.openScript = []func(http.ResponseWriter){
			func(w http.ResponseWriter) { _, _ = w.Write([]byte(`{"ok":false,"error":"internal_error"}`)) },
			func(w http.ResponseWriter) { _, _ = w.Write([]byte(`not json`)) },
		}
		log, _ := testLogger(t)
		r := startManager(t, fastConfig(ms.api(), newRecordingDispatcher(nil), log))
		ms.nextConn()
		waitFor(t, "connected", func() bool { return r.m.Connected() == 1 })
		if n := ms.openCount(); n != 3 {
			t.Errorf("apps.connections.open called %d times, want 3", n)
		}
	})
}

func TestTicketNeverLogged(t *testing.T) {
	ms := newMiniSlack(t)
	// A socket URL that cannot be dialled makes the dial error quote it.
	ms.openScript = []func(http.ResponseWriter){func(w http.ResponseWriter) {
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "url": "ws://127.0.0.1:1/link/?ticket=secret-ticket-123"})
	}}
	log, logs := testLogger(t)
	r := startManager(t, fastConfig(ms.api(), newRecordingDispatcher(nil), log))
	ms.nextConn()
	waitFor(t, "connected", func() bool { return r.m.Connected() == 1 })
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if strings.Contains(out, "secret-ticket") || strings.Contains(out, miniToken) {
		t.Errorf("logs contain the ticket or token:\n%s", out)
	}
	if !strings.Contains(out, "dial_error") {
		t.Errorf("dial failure not logged:\n%s", out)
	}
}
