package socket

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

func TestNewValidatesConfig(t *testing.T) {
	api := slack.New("xoxb-x", slack.OptionAppLevelToken("xapp-x"))
	d := newRecordingDispatcher(nil)
	for _, tc := range []struct {
		name string
		cfg  Config
		want string // "" means valid
	}{
		{"defaults", Config{API: api, Dispatcher: d}, ""},
		{"no api", Config{Dispatcher: d}, "Config.API"},
		{"no dispatcher", Config{API: api}, "Config.Dispatcher"},
		{"too many connections", Config{API: api, Dispatcher: d, Connections: 11}, "Connections"},
		{"negative connections", Config{API: api, Dispatcher: d, Connections: -1}, "Connections"},
		{"negative duration", Config{API: api, Dispatcher: d, AckBudget: -time.Second}, "AckBudget"},
		{"dead before ping", Config{API: api, Dispatcher: d, PingInterval: time.Minute}, "DeadAfter"},
		{"backoff inverted", Config{API: api, Dispatcher: d, BackoffMin: time.Hour}, "BackoffMax"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(tc.cfg)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				c := m.cfg
				if c.Connections != DefaultConnections || c.PingInterval != DefaultPingInterval || c.DeadAfter != DefaultDeadAfter ||
					c.WriteTimeout != DefaultWriteTimeout || c.HelloTimeout != DefaultHelloTimeout || c.AckBudget != DefaultAckBudget ||
					c.BackoffMin != DefaultBackoffMin || c.BackoffMax != DefaultBackoffMax || c.RefreshGrace != DefaultRefreshGrace {
					t.Errorf("defaults not applied: %+v", c)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v, want an error naming %s", err, tc.want)
			}
		})
	}
}

func TestRunTwiceFails(t *testing.T) {
	ms := newMiniSlack(t)
	log, _ := testLogger(t)
	r := startManager(t, fastConfig(ms.api(), newRecordingDispatcher(nil), log))
	waitFor(t, "first Run connected", func() bool { return r.m.Connected() == 1 })
	if err := r.m.Run(context.Background()); err == nil {
		t.Fatal("second Run succeeded")
	}
}

func TestDecodeFrame(t *testing.T) {
	for _, tc := range []struct {
		name, in       string
		wantReq        bool
		wantErr        bool
		wantType, want string // want: envelope_id
	}{
		{"hello", `{"type":"hello","num_connections":2}`, true, false, "hello", ""},
		{"envelope", `{"type":"events_api","envelope_id":"e1","payload":{"a":1}}`, true, false, "events_api", "e1"},
		{"unknown type", `{"type":"future","envelope_id":"e2"}`, true, false, "future", "e2"},
		{"no type", `{"envelope_id":"e3"}`, true, false, "", "e3"},
		{"wrong field type", `{"type":"events_api","envelope_id":"e4","retry_attempt":"x"}`, true, true, "events_api", "e4"},
		{"wrong type of type", `{"type":1,"envelope_id":"e5"}`, true, true, "", "e5"},
		{"empty object", `{}`, false, true, "", ""},
		{"array", `[1,2]`, false, true, "", ""},
		{"null", `null`, false, true, "", ""},
		{"garbage", `{"type":`, false, true, "", ""},
		{"empty", ``, false, true, "", ""},
		{"wrong envelope_id type", `{"envelope_id":7}`, false, true, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := decodeFrame([]byte(tc.in))
			if (req != nil) != tc.wantReq || (err != nil) != tc.wantErr {
				t.Fatalf("decodeFrame(%s) = %v, %v; want req %v, err %v", tc.in, req, err, tc.wantReq, tc.wantErr)
			}
			if req != nil && (req.Type != tc.wantType || req.EnvelopeID != tc.want) {
				t.Errorf("type %q envelope %q, want %q %q", req.Type, req.EnvelopeID, tc.wantType, tc.want)
			}
		})
	}
}

func TestEncodeAck(t *testing.T) {
	for _, tc := range []struct {
		name    string
		payload any
		want    string
		wantErr error
	}{
		{"nil", nil, `{"envelope_id":"e"}`, nil},
		{"typed nil", (*struct{})(nil), `{"envelope_id":"e"}`, nil},
		{"raw null", json.RawMessage("null"), `{"envelope_id":"e"}`, nil},
		{"object", map[string]string{"response_action": "clear"}, `{"envelope_id":"e","payload":{"response_action":"clear"}}`, nil},
		{"empty object", struct{}{}, `{"envelope_id":"e","payload":{}}`, nil},
		{"too large", strings.Repeat("x", maxFrameBytes), "", errAckTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := encodeAck("e", tc.payload)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil || string(b) != tc.want {
				t.Fatalf("encodeAck = %s, %v; want %s", b, err, tc.want)
			}
		})
	}
	// The limit is on the whole frame: a payload just under it still fits.
	b, err := encodeAck("e", strings.Repeat("x", maxFrameBytes-40))
	if err != nil || len(b) >= maxFrameBytes {
		t.Fatalf("near-limit ack: %d bytes, %v", len(b), err)
	}
}

func TestBackoffGrowsWithinBounds(t *testing.T) {
	b := backoff{min: 100 * time.Millisecond, max: 2 * time.Second}
	var prevCeil time.Duration
	for i := range 100 {
		d := b.next()
		ceil := b.max
		if i < 20 {
			ceil = min(b.min<<i, b.max)
		}
		if d < b.min || d > ceil {
			t.Fatalf("attempt %d: %s outside [%s, %s]", i, d, b.min, ceil)
		}
		if d < ceil/2 {
			t.Fatalf("attempt %d: %s below half of %s; the wait must grow", i, d, ceil)
		}
		prevCeil = ceil
	}
	if prevCeil != b.max {
		t.Fatalf("ceiling %s never reached max %s", prevCeil, b.max)
	}
	b.reset()
	if d := b.next(); d > b.min {
		t.Fatalf("after reset: %s, want %s", d, b.min)
	}
}

func TestRedact(t *testing.T) {
	u := "wss://wss-primary.slack.com/link/?ticket=abc-123&app_id=A1"
	if got := redactURL(u); strings.Contains(got, "abc-123") || got != "wss://wss-primary.slack.com/link/" {
		t.Errorf("redactURL = %q", got)
	}
	err := redactErr(errors.New(`parse "`+u+`": bad`), u)
	if strings.Contains(err.Error(), "abc-123") {
		t.Errorf("redactErr = %v", err)
	}
}
