package httpmode

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// FuzzHandler sends arbitrary bodies, signed or not, to each endpoint and
// checks that nothing panics, that only signed requests reach the
// Dispatcher, and that whatever is dispatched is well-formed: a JSON object,
// for a slash command one of strings, as Socket Mode delivers it.
// The seed corpus is in testdata/fuzz/FuzzHandler.
func FuzzHandler(f *testing.F) {
	f.Add(uint8(0), []byte("command=%2Fsticker&text=search+cat&user_id=U1&response_url=https%3A%2F%2Fh%2Fx"), true)
	f.Add(uint8(0), []byte("ssl_check=1&token=x"), false)
	f.Add(uint8(1), []byte("payload=%7B%22type%22%3A%22block_actions%22%7D"), true)
	f.Add(uint8(2), []byte(`{"type":"event_callback","event_id":"Ev1","event":{"type":"app_mention"}}`), true)
	f.Add(uint8(2), []byte(`{"type":"url_verification","challenge":"c"}`), true)
	paths := []string{PathCommands, PathInteractions, PathEvents}
	types := []string{"slash_commands", "interactive", "events_api"}

	f.Fuzz(func(t *testing.T, route uint8, body []byte, signed bool) {
		i := int(route) % len(paths)
		d := &fakeDispatcher{ack: map[string]string{"response_action": "clear"}}
		mux := newMux(t, d, func(c *Config) { c.MaxBody = 4096 })
		r := signedRequest(paths[i], formType, string(body))
		if !signed {
			r.Header.Del("X-Slack-Signature")
		}
		w := serve(mux, r)

		switch w.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("unexpected status %d", w.Code)
		}
		if !signed && w.Code == http.StatusOK && !(i == 0 && isSSLCheck(body)) {
			t.Fatalf("unsigned request answered 200: %q", body)
		}
		if strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") && !json.Valid(w.Body.Bytes()) {
			t.Fatalf("invalid JSON response %q", w.Body)
		}
		calls := d.Calls()
		if len(calls) == 0 {
			return
		}
		if !signed || w.Code != http.StatusOK || len(calls) != 1 {
			t.Fatalf("dispatched %d times (signed=%v, status %d)", len(calls), signed, w.Code)
		}
		req := calls[0]
		if string(req.Kind) != types[i] || !strings.HasPrefix(req.ID, "http-") {
			t.Fatalf("request = %+v", req)
		}
		if err := checkObject(req.Payload); err != nil {
			t.Fatalf("dispatched payload %q: %v", req.Payload, err)
		}
		if i == 0 {
			var fields map[string]string
			if err := json.Unmarshal(req.Payload, &fields); err != nil {
				t.Fatalf("dispatched slash command %s is not an object of strings: %v", req.Payload, err)
			}
		}
	})
}
