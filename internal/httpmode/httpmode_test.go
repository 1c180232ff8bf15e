package httpmode

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/envelope"
)

// The worked example from Slack's "Verifying requests from Slack" page
// (https://docs.slack.dev/authentication/verifying-requests-from-slack/).
const (
	docSecret    = "8f742231b10e8888abcd99yyyzzz85a5"
	docTimestamp = "1531420618"
	docBody      = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	docSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

func TestSlackDocumentedExample(t *testing.T) {
	if got := "v0=" + hex.EncodeToString(sign([]byte(docSecret), docTimestamp, []byte(docBody))); got != docSignature {
		t.Fatalf("sign = %s, want %s", got, docSignature)
	}

	d := &fakeDispatcher{}
	mux := newMux(t, d, func(c *Config) {
		c.SigningSecret = docSecret
		c.Now = func() time.Time { return time.Unix(1531420618, 0) }
	})
	r := httptest.NewRequest(http.MethodPost, PathCommands, strings.NewReader(docBody))
	r.Header.Set("Content-Type", formType)
	r.Header.Set("X-Slack-Request-Timestamp", docTimestamp)
	r.Header.Set("X-Slack-Signature", docSignature)
	w := serve(mux, r)

	if w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Fatalf("got %d %q, want an empty 200", w.Code, w.Body)
	}
	calls := d.Calls()
	if len(calls) != 1 {
		t.Fatalf("dispatched %d times, want 1", len(calls))
	}
	req := calls[0]
	if string(req.Kind) != "slash_commands" || !strings.HasPrefix(req.ID, "http-") || req.RetryAttempt != 0 {
		t.Errorf("request = %+v", req)
	}
	var fields map[string]string
	if err := json.Unmarshal(req.Payload, &fields); err != nil {
		t.Fatalf("payload is not an object of strings: %v", err)
	}
	want := map[string]string{
		"token": "xyzz0WbapA4vBCDEFasx0q6G", "team_id": "T1DC2JH3J", "team_domain": "testteamnow",
		"channel_id": "G8PSS9T3V", "channel_name": "foobar", "user_id": "U2CERLKJA",
		"user_name": "roadrunner", "command": "/webhook-collect", "text": "",
		"response_url": "https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN",
		"trigger_id":   "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
	}
	if !reflect.DeepEqual(fields, want) {
		t.Errorf("payload = %v\nwant %v", fields, want)
	}
	var cmd slack.SlashCommand
	if err := json.Unmarshal(req.Payload, &cmd); err != nil || cmd.Command != "/webhook-collect" || cmd.UserID != "U2CERLKJA" {
		t.Errorf("payload as slack.SlashCommand = %+v, %v", cmd, err)
	}
}

func TestDispatchesVerifiedRequests(t *testing.T) {
	blockAction := `{"type":"block_actions","user":{"id":"U1"},"actions":[{"action_id":"send","value":"42"}],"response_url":"https://hooks.slack.com/actions/x"}`
	event := `{"type":"event_callback","event_id":"Ev1","team_id":"T1","event":{"type":"app_mention","user":"U1","channel":"C1","text":"<@B1> hi"}}`
	tests := []struct {
		name        string
		path        string
		contentType string
		body        string
		header      map[string]string
		wantType    string
		wantPayload string // compared as JSON
		wantRetry   int
		wantReason  string
	}{
		{
			name:        "slash command",
			path:        PathCommands,
			contentType: formType,
			body:        "command=%2Fsticker&text=search+cat&user_id=U1&channel_id=C1&team_id=T1&api_app_id=A1&is_enterprise_install=false&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2Fx&trigger_id=1.2.3&enterprise_id=E1&text=ignored",
			wantType:    "slash_commands",
			wantPayload: `{"command":"/sticker","text":"search cat","user_id":"U1","channel_id":"C1","team_id":"T1","api_app_id":"A1","is_enterprise_install":"false","response_url":"https://hooks.slack.com/commands/x","trigger_id":"1.2.3","enterprise_id":"E1"}`,
		},
		{
			name:        "interaction",
			path:        PathInteractions,
			contentType: formType,
			body:        "payload=" + url.QueryEscape(blockAction),
			wantType:    "interactive",
			wantPayload: blockAction,
		},
		{
			name:        "event",
			path:        PathEvents,
			contentType: jsonType,
			body:        event,
			wantType:    "events_api",
			wantPayload: event,
		},
		{
			name:        "retried event",
			path:        PathEvents,
			contentType: jsonType,
			body:        event,
			header:      map[string]string{"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_timeout"},
			wantType:    "events_api",
			wantPayload: event,
			wantRetry:   2,
			wantReason:  "http_timeout",
		},
		{
			name:        "non-numeric retry number",
			path:        PathEvents,
			contentType: jsonType,
			body:        event,
			header:      map[string]string{"X-Slack-Retry-Num": "x", "X-Slack-Retry-Reason": "http_error"},
			wantType:    "events_api",
			wantPayload: event,
			wantReason:  "http_error",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &fakeDispatcher{}
			r := signedRequest(tt.path, tt.contentType, tt.body)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			w := serve(newMux(t, d), r)
			if w.Code != http.StatusOK || w.Body.Len() != 0 {
				t.Fatalf("got %d %q, want an empty 200", w.Code, w.Body)
			}
			calls := d.Calls()
			if len(calls) != 1 {
				t.Fatalf("dispatched %d times, want 1", len(calls))
			}
			got := calls[0]
			if string(got.Kind) != tt.wantType || got.RetryAttempt != tt.wantRetry || got.RetryReason != tt.wantReason {
				t.Errorf("request = {Type:%q RetryAttempt:%d RetryReason:%q}, want {%q %d %q}",
					string(got.Kind), got.RetryAttempt, got.RetryReason, tt.wantType, tt.wantRetry, tt.wantReason)
			}
			if !strings.HasPrefix(got.ID, "http-") {
				t.Errorf("EnvelopeID = %q, want an http- prefix", got.ID)
			}
			assertJSONEqual(t, got.Payload, tt.wantPayload)
		})
	}
}

func TestRejectsUnverifiedRequests(t *testing.T) {
	bodies := map[string]string{
		PathCommands:     "command=%2Fsticker&text=hi&user_id=U1",
		PathInteractions: "payload=" + url.QueryEscape(`{"type":"block_actions"}`),
		PathEvents:       `{"type":"event_callback","event_id":"Ev1","event":{"type":"app_mention"}}`,
	}
	now := testNow.Unix()
	ts := strconv.FormatInt(now, 10)
	tests := []struct {
		name string
		// edit changes a correctly signed request.
		edit func(r *http.Request, body string) *http.Request
	}{
		{"wrong secret", func(r *http.Request, body string) *http.Request {
			r.Header.Set("X-Slack-Signature", signature("another-secret", now, body))
			return r
		}},
		{"altered body", func(r *http.Request, body string) *http.Request {
			return withBody(r, body+"&x=1")
		}},
		{"stale timestamp", func(r *http.Request, body string) *http.Request {
			return resign(r, body, now-5*60-1)
		}},
		{"future timestamp", func(r *http.Request, body string) *http.Request {
			return resign(r, body, now+5*60+1)
		}},
		{"timestamp replaced after signing", func(r *http.Request, _ string) *http.Request {
			r.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(now+1, 10))
			return r
		}},
		{"missing signature", func(r *http.Request, _ string) *http.Request {
			r.Header.Del("X-Slack-Signature")
			return r
		}},
		{"missing timestamp", func(r *http.Request, _ string) *http.Request {
			r.Header.Del("X-Slack-Request-Timestamp")
			return r
		}},
		{"missing both headers", func(r *http.Request, _ string) *http.Request {
			r.Header.Del("X-Slack-Signature")
			r.Header.Del("X-Slack-Request-Timestamp")
			return r
		}},
		{"non-numeric timestamp", func(r *http.Request, body string) *http.Request {
			r.Header.Set("X-Slack-Request-Timestamp", "soon")
			r.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(sign([]byte(testSecret), "soon", []byte(body))))
			return r
		}},
		{"huge timestamp", func(r *http.Request, body string) *http.Request {
			return resign(r, body, 1<<62)
		}},
		{"negative timestamp", func(r *http.Request, body string) *http.Request {
			return resign(r, body, -1<<62)
		}},
		{"no v0= prefix", func(r *http.Request, _ string) *http.Request {
			r.Header.Set("X-Slack-Signature", strings.TrimPrefix(r.Header.Get("X-Slack-Signature"), "v0="))
			return r
		}},
		{"other version", func(r *http.Request, _ string) *http.Request {
			r.Header.Set("X-Slack-Signature", "v1="+strings.TrimPrefix(r.Header.Get("X-Slack-Signature"), "v0="))
			return r
		}},
		{"not hex", func(r *http.Request, _ string) *http.Request {
			r.Header.Set("X-Slack-Signature", "v0="+strings.Repeat("zz", 32))
			return r
		}},
		{"truncated signature", func(r *http.Request, _ string) *http.Request {
			r.Header.Set("X-Slack-Signature", r.Header.Get("X-Slack-Signature")[:20])
			return r
		}},
		{"empty signature", func(r *http.Request, _ string) *http.Request {
			r.Header.Set("X-Slack-Signature", "v0=")
			return r
		}},
		{"timestamp with an extra digit", func(r *http.Request, body string) *http.Request {
			r.Header.Set("X-Slack-Request-Timestamp", ts+"0")
			return r
		}},
	}
	for _, tt := range tests {
		for path, body := range bodies {
			t.Run(tt.name+" "+path, func(t *testing.T) {
				d := &fakeDispatcher{}
				ct := formType
				if path == PathEvents {
					ct = jsonType
				}
				r := tt.edit(signedRequest(path, ct, body), body)
				w := serve(newMux(t, d), r)
				if w.Code != http.StatusUnauthorized {
					t.Errorf("status = %d, want 401", w.Code)
				}
				if got := w.Body.String(); got != bodyUnauthorized+"\n" {
					t.Errorf("body = %q, want the fixed %q", got, bodyUnauthorized)
				}
				if n := len(d.Calls()); n != 0 {
					t.Errorf("dispatched %d times, want 0", n)
				}
			})
		}
	}
}

func TestTimestampWindowEdges(t *testing.T) {
	now := testNow.Unix()
	for _, skew := range []int64{-5 * 60, 5 * 60} {
		t.Run(strconv.FormatInt(skew, 10), func(t *testing.T) {
			d := &fakeDispatcher{}
			body := `{"type":"event_callback","event_id":"Ev1"}`
			r := resign(signedRequest(PathEvents, jsonType, body), body, now+skew)
			if w := serve(newMux(t, d), r); w.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200 exactly 5 minutes off", w.Code)
			}
			if n := len(d.Calls()); n != 1 {
				t.Errorf("dispatched %d times, want 1", n)
			}
		})
	}
}

func TestOversizeBody(t *testing.T) {
	const limit = 64
	fits := `{"type":"event_callback"}` + strings.Repeat(" ", limit-len(`{"type":"event_callback"}`))
	tests := []struct {
		name     string
		path     string
		body     string
		signed   bool
		wantCode int
		wantN    int
	}{
		{"at the limit", PathEvents, fits, true, http.StatusOK, 1},
		{"one byte over, signed", PathEvents, fits + " ", true, http.StatusRequestEntityTooLarge, 0},
		{"one byte over, unsigned", PathEvents, fits + " ", false, http.StatusRequestEntityTooLarge, 0},
		{"command over", PathCommands, "text=" + strings.Repeat("a", limit), true, http.StatusRequestEntityTooLarge, 0},
		{"ssl_check over", PathCommands, "ssl_check=1&token=" + strings.Repeat("a", limit), false, http.StatusRequestEntityTooLarge, 0},
		{"interaction over", PathInteractions, "payload=" + url.QueryEscape(`{"type":"`+strings.Repeat("a", limit)+`"}`), true, http.StatusRequestEntityTooLarge, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &fakeDispatcher{}
			r := signedRequest(tt.path, jsonType, tt.body)
			if !tt.signed {
				r.Header.Del("X-Slack-Signature")
			}
			w := serve(newMux(t, d, func(c *Config) { c.MaxBody = limit }), r)
			if w.Code != tt.wantCode {
				t.Errorf("status = %d, want %d", w.Code, tt.wantCode)
			}
			if n := len(d.Calls()); n != tt.wantN {
				t.Errorf("dispatched %d times, want %d", n, tt.wantN)
			}
		})
	}
}

func TestDefaultMaxBodyIsOneMiB(t *testing.T) {
	d := &fakeDispatcher{}
	body := `{"type":"event_callback","pad":"` + strings.Repeat("a", 1<<20) + `"}`
	if w := serve(newMux(t, d), signedRequest(PathEvents, jsonType, body)); w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("status = %d, want 413", w.Code)
	}
	if n := len(d.Calls()); n != 0 {
		t.Errorf("dispatched %d times, want 0", n)
	}
}

func TestURLVerification(t *testing.T) {
	body := `{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`
	t.Run("signed", func(t *testing.T) {
		d := &fakeDispatcher{}
		w := serve(newMux(t, d), signedRequest(PathEvents, jsonType, body))
		if w.Code != http.StatusOK {
			t.Fatalf("status = %d, want 200", w.Code)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type = %q", ct)
		}
		assertJSONEqual(t, w.Body.Bytes(), `{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}`)
		if n := len(d.Calls()); n != 0 {
			t.Errorf("dispatched %d times, want 0", n)
		}
	})
	t.Run("unsigned", func(t *testing.T) {
		d := &fakeDispatcher{}
		r := signedRequest(PathEvents, jsonType, body)
		r.Header.Del("X-Slack-Signature")
		if w := serve(newMux(t, d), r); w.Code != http.StatusUnauthorized || strings.Contains(w.Body.String(), "3eZb") {
			t.Errorf("got %d %q, want 401 without the challenge", w.Code, w.Body)
		}
	})
}

func TestSSLCheck(t *testing.T) {
	tests := []struct {
		name     string
		path     string
		body     string
		signed   bool
		wantCode int
	}{
		// Slack sends the probe without signature headers.
		{"unsigned probe", PathCommands, "ssl_check=1&token=xxx", false, http.StatusOK},
		{"signed probe", PathCommands, "ssl_check=1&token=xxx", true, http.StatusOK},
		{"unsigned probe smuggling a command", PathCommands, "ssl_check=1&command=%2Fsticker&user_id=U1&response_url=x", false, http.StatusOK},
		{"unsigned ssl_check=0", PathCommands, "ssl_check=0&command=%2Fsticker", false, http.StatusUnauthorized},
		{"unsigned ssl_check=true", PathCommands, "ssl_check=true&command=%2Fsticker", false, http.StatusUnauthorized},
		{"unsigned probe to interactions", PathInteractions, "ssl_check=1&payload=%7B%7D", false, http.StatusUnauthorized},
		{"unsigned probe to events", PathEvents, "ssl_check=1", false, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &fakeDispatcher{}
			r := signedRequest(tt.path, formType, tt.body)
			if !tt.signed {
				r.Header.Del("X-Slack-Signature")
				r.Header.Del("X-Slack-Request-Timestamp")
			}
			w := serve(newMux(t, d), r)
			if w.Code != tt.wantCode {
				t.Errorf("status = %d, want %d", w.Code, tt.wantCode)
			}
			if w.Code == http.StatusOK && w.Body.Len() != 0 {
				t.Errorf("body = %q, want empty", w.Body)
			}
			if n := len(d.Calls()); n != 0 {
				t.Errorf("dispatched %d times, want 0", n)
			}
		})
	}
}

func TestAckPayloadIsTheResponse(t *testing.T) {
	cmd := "command=%2Fsticker&text=x&user_id=U1&response_url=https%3A%2F%2Fh%2Fx"
	submission := "payload=" + url.QueryEscape(`{"type":"view_submission","view":{"callback_id":"add_sticker"}}`)
	tests := []struct {
		name     string
		path     string
		body     string
		ack      any
		wantBody string // "" means an empty body; otherwise compared as JSON
	}{
		{"command, bare ack", PathCommands, cmd, nil, ""},
		{"command, message", PathCommands, cmd,
			slack.Msg{ResponseType: slack.ResponseTypeEphemeral, Text: "busy, try again"},
			mustJSON(t, slack.Msg{ResponseType: slack.ResponseTypeEphemeral, Text: "busy, try again"})},
		{"interaction, bare ack", PathInteractions, submission, nil, ""},
		{"interaction, field errors", PathInteractions, submission,
			map[string]any{"response_action": "errors", "errors": map[string]string{"name": "taken"}},
			`{"response_action":"errors","errors":{"name":"taken"}}`},
		{"event, ack ignored", PathEvents, `{"type":"event_callback"}`, map[string]string{"x": "y"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &fakeDispatcher{ack: tt.ack}
			w := serve(newMux(t, d), signedRequest(tt.path, formType, tt.body))
			if w.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200", w.Code)
			}
			if n := len(d.Calls()); n != 1 {
				t.Fatalf("dispatched %d times, want 1", n)
			}
			if tt.wantBody == "" {
				if w.Body.Len() != 0 {
					t.Errorf("body = %q, want empty", w.Body)
				}
				return
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			assertJSONEqual(t, w.Body.Bytes(), tt.wantBody)
		})
	}
}

func TestUnencodableAck(t *testing.T) {
	d := &fakeDispatcher{ack: map[string]any{"f": func() {}}}
	w := serve(newMux(t, d), signedRequest(PathCommands, formType, "command=%2Fx"))
	if w.Code != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500", w.Code)
	}
}

func TestMalformedBodies(t *testing.T) {
	tests := []struct {
		name string
		path string
		body string
	}{
		{"command bad escape", PathCommands, "command=%zz"},
		{"command semicolon", PathCommands, "command=a;b"},
		{"interaction empty body", PathInteractions, ""},
		{"interaction no payload", PathInteractions, "foo=bar"},
		{"interaction empty payload", PathInteractions, "payload="},
		{"interaction bad form", PathInteractions, "payload=%zz"},
		{"interaction invalid JSON", PathInteractions, "payload=" + url.QueryEscape(`{"type":`)},
		{"interaction array", PathInteractions, "payload=" + url.QueryEscape(`[{"type":"block_actions"}]`)},
		{"interaction string", PathInteractions, "payload=" + url.QueryEscape(`"block_actions"`)},
		{"interaction raw JSON body", PathInteractions, `{"type":"block_actions"}`},
		{"event empty", PathEvents, ""},
		{"event not JSON", PathEvents, "type=event_callback"},
		{"event truncated", PathEvents, `{"type":"event_callback","event":{`},
		{"event array", PathEvents, `[{"type":"event_callback"}]`},
		{"event null", PathEvents, `null`},
		{"event type not a string", PathEvents, `{"type":1}`},
		{"url_verification without challenge", PathEvents, `{"type":"url_verification"}`},
		{"url_verification with numeric challenge", PathEvents, `{"type":"url_verification","challenge":7}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &fakeDispatcher{}
			w := serve(newMux(t, d), signedRequest(tt.path, formType, tt.body))
			if w.Code != http.StatusBadRequest {
				t.Errorf("status = %d, want 400", w.Code)
			}
			if n := len(d.Calls()); n != 0 {
				t.Errorf("dispatched %d times, want 0", n)
			}
		})
	}
}

// TestUnreadablePayloadIsRefused: what the fields of a well-formed request
// hold is the Dispatcher's to judge (a slash command whose
// is_enterprise_install is "maybe"); when it answers Malformed, commands
// and interactions get 400 and events an empty 200 (a retry would not help).
func TestUnreadablePayloadIsRefused(t *testing.T) {
	for _, tt := range []struct {
		path, ctype, body string
		want              int
	}{
		{PathCommands, formType, "command=%2Fx&is_enterprise_install=maybe", http.StatusBadRequest},
		{PathInteractions, formType, "payload=" + url.QueryEscape(`{"type":"block_actions","actions":"nope"}`), http.StatusBadRequest},
		{PathEvents, jsonType, `{"type":"event_callback","event":{"text":17}}`, http.StatusOK},
	} {
		d := &fakeDispatcher{ack: envelope.Malformed}
		w := serve(newMux(t, d), signedRequest(tt.path, tt.ctype, tt.body))
		if w.Code != tt.want || (w.Code == http.StatusOK && w.Body.Len() != 0) {
			t.Errorf("%s %s: %d %q, want %d", tt.path, tt.body, w.Code, w.Body, tt.want)
		}
		if n := len(d.Calls()); n != 1 {
			t.Errorf("%s: dispatched %d times, want 1", tt.path, n)
		}
	}
}

func TestOtherEventTypesAreAckedNotDispatched(t *testing.T) {
	for _, body := range []string{
		`{"type":"app_rate_limited","team_id":"T1","minute_rate_limited":1518467820,"api_app_id":"A1"}`,
		`{}`,
	} {
		d := &fakeDispatcher{}
		w := serve(newMux(t, d), signedRequest(PathEvents, jsonType, body))
		if w.Code != http.StatusOK || w.Body.Len() != 0 {
			t.Errorf("%s: got %d %q, want an empty 200", body, w.Code, w.Body)
		}
		if n := len(d.Calls()); n != 0 {
			t.Errorf("%s: dispatched %d times, want 0", body, n)
		}
	}
}

func TestOnlyPOST(t *testing.T) {
	d := &fakeDispatcher{}
	mux := newMux(t, d)
	for _, path := range []string{PathCommands, PathInteractions, PathEvents} {
		r := signedRequest(path, formType, "")
		r.Method = http.MethodGet
		if w := serve(mux, r); w.Code != http.StatusMethodNotAllowed {
			t.Errorf("GET %s = %d, want 405", path, w.Code)
		}
	}
	if n := len(d.Calls()); n != 0 {
		t.Errorf("dispatched %d times, want 0", n)
	}
}

func TestEnvelopeIDsAreUnique(t *testing.T) {
	d := &fakeDispatcher{}
	mux := newMux(t, d)
	body := `{"type":"event_callback","event_id":"Ev1"}`
	const n = 50
	for range n {
		serve(mux, signedRequest(PathEvents, jsonType, body))
	}
	seen := map[string]bool{}
	for _, c := range d.Calls() {
		if !strings.HasPrefix(c.ID, "http-") || len(c.ID) != len("http-")+24 {
			t.Errorf("EnvelopeID = %q", c.ID)
		}
		seen[c.ID] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct ids for %d requests", len(seen), n)
	}
}

func TestFastAcksAreNeverDropped(t *testing.T) {
	d := &fakeDispatcher{ack: map[string]string{"response_action": "clear"}}
	mux := newMux(t, d)
	body := "payload=" + url.QueryEscape(`{"type":"view_submission"}`)
	for i := range 200 {
		w := serve(mux, signedRequest(PathInteractions, formType, body))
		if w.Code != http.StatusOK || w.Body.String() != `{"response_action":"clear"}` {
			t.Fatalf("request %d: got %d %q", i, w.Code, w.Body)
		}
	}
}

func TestDispatcherPanicIsABareAck(t *testing.T) {
	d := &fakeDispatcher{fn: func(context.Context, *envelope.Envelope) envelope.Ack { panic("boom") }}
	w := serve(newMux(t, d), signedRequest(PathCommands, formType, "command=%2Fx"))
	if w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Errorf("got %d %q, want an empty 200", w.Code, w.Body)
	}
}

func TestDispatcherOverrunningTheBudgetIsABareAck(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	hasDeadline := make(chan bool, 1)
	d := &fakeDispatcher{fn: func(ctx context.Context, _ *envelope.Envelope) envelope.Ack {
		_, ok := ctx.Deadline()
		hasDeadline <- ok
		<-ctx.Done()
		<-release
		return map[string]string{"response_action": "errors"}
	}}
	mux := newMux(t, d, func(c *Config) { c.AckBudget = 20 * time.Millisecond })
	start := time.Now()
	w := serve(mux, signedRequest(PathInteractions, formType, "payload=%7B%22type%22%3A%22view_submission%22%7D"))
	if w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Errorf("got %d %q, want an empty 200", w.Code, w.Body)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %s", took)
	}
	if !<-hasDeadline {
		t.Error("the Dispatcher's context had no deadline")
	}
}

func TestDispatcherContextOutlivesTheClient(t *testing.T) {
	var ctxErr error
	d := &fakeDispatcher{fn: func(ctx context.Context, _ *envelope.Envelope) envelope.Ack {
		ctxErr = ctx.Err()
		return nil
	}}
	parent, cancel := context.WithCancel(context.Background())
	cancel()
	r := signedRequest(PathEvents, jsonType, `{"type":"event_callback"}`).WithContext(parent)
	serve(newMux(t, d), r)
	if ctxErr != nil {
		t.Errorf("Dispatcher got a context already done: %v", ctxErr)
	}
}

func TestLogsCarryNoSecretsOrBodies(t *testing.T) {
	var logs bytes.Buffer
	d := &fakeDispatcher{}
	mux := newMux(t, d, func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	body := "command=%2Fsticker&token=tok-SECRET-VALUE&text=private+words"
	good := signedRequest(PathCommands, formType, body)
	bad := withBody(signedRequest(PathCommands, formType, body), body+"x")
	serve(mux, good)
	serve(mux, bad)
	serve(mux, signedRequest(PathEvents, jsonType, `{"type":"url_verification","challenge":"chal-VALUE"}`))
	out := logs.String()
	if !strings.Contains(out, "rejected an unverified request") {
		t.Fatalf("no rejection logged:\n%s", out)
	}
	for _, s := range []string{testSecret, "tok-SECRET-VALUE", "private", "chal-VALUE",
		strings.TrimPrefix(good.Header.Get("X-Slack-Signature"), "v0=")} {
		if strings.Contains(out, s) {
			t.Errorf("logs contain %q:\n%s", s, out)
		}
	}
}

func TestNew(t *testing.T) {
	d := &fakeDispatcher{}
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"minimal", Config{SigningSecret: "s", Dispatcher: d}, true},
		{"no secret", Config{Dispatcher: d}, false},
		{"no dispatcher", Config{SigningSecret: "s"}, false},
		{"negative MaxBody", Config{SigningSecret: "s", Dispatcher: d, MaxBody: -1}, false},
		{"negative AckBudget", Config{SigningSecret: "s", Dispatcher: d, AckBudget: -1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := New(tt.cfg)
			if (err == nil) != tt.ok {
				t.Fatalf("New err = %v, want ok=%v", err, tt.ok)
			}
			if tt.ok && (h.maxBody != DefaultMaxBody || h.budget != DefaultAckBudget || h.now == nil || h.log == nil) {
				t.Errorf("defaults not applied: %+v", h)
			}
		})
	}
}

// resign sets the timestamp to ts and signs body with it.
func resign(r *http.Request, body string, ts int64) *http.Request {
	r.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts, 10))
	r.Header.Set("X-Slack-Signature", signature(testSecret, ts, body))
	return r
}

// withBody replaces r's body, keeping its headers.
func withBody(r *http.Request, body string) *http.Request {
	r2 := httptest.NewRequest(r.Method, r.URL.Path, strings.NewReader(body))
	r2.Header = r.Header.Clone()
	return r2
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func assertJSONEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got invalid JSON %q: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want invalid JSON %q: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("JSON = %s\nwant %s", got, want)
	}
}

func TestOverARealServer(t *testing.T) {
	d := &fakeDispatcher{ack: slack.Msg{Text: "ok"}}
	srv := httptest.NewServer(newMux(t, d, func(c *Config) { c.MaxBody = 1024 }))
	defer srv.Close()

	post := func(path, body string, sign bool) *http.Response {
		t.Helper()
		r := signedRequest(path, formType, body)
		if !sign {
			r.Header.Del("X-Slack-Signature")
		}
		req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = r.Header
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	if resp := post(PathCommands, "command=%2Fsticker&user_id=U1", true); resp.StatusCode != http.StatusOK ||
		resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("signed command: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if resp := post(PathCommands, "command=%2Fsticker&user_id=U1", false); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unsigned command: %d", resp.StatusCode)
	}
	if resp := post(PathEvents, `{"type":"event_callback","x":"`+strings.Repeat("a", 2048)+`"}`, true); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversize event: %d", resp.StatusCode)
	}
	if n := len(d.Calls()); n != 1 {
		t.Errorf("dispatched %d times, want 1", n)
	}
}
