package playground

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// No request body, however malformed, makes the page's server fail on its
// side (5xx) or panic; the simulator behind it has no app connected, so
// every delivery fails at once, as Slack's would.
func FuzzPlaygroundAPI(f *testing.F) {
	paths := []string{"/api/message", "/api/action", "/api/submit", "/api/close", "/api/shortcut", "/api/app_home"}
	for i, body := range []string{
		`{"user":"U1","channel":"C1","text":"/sticker cat"}`,
		`{"user":"U1","channel":"C1","text":"@stickerbot <b>&amp; #general https://x.test"}`,
		`{"user":"U1","channel":"C1","ts":"1.2","block_id":"b","action_id":"a","input":{"selected":["x"]}}`,
		`{"user":"U1","view_id":"V1","state":{"b":{"a":{"value":"x","files":["F1"]}}}}`,
		`{"user":"U1","view_id":"V1","all":true}`,
		`{"user":"U1","callback_id":"x","channel":"C1","ts":"1.1"}`,
		`{"user":"U1","tab":"home"}`,
		`{"user":"","text":"/"}`, `{}`, `null`, `[`, ``,
	} {
		f.Add(uint8(i), []byte(body))
	}
	ws, _ := newSimulated(f)
	h := New(ws, slog.New(slog.DiscardHandler))
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		path := paths[int(which)%len(paths)]
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Errorf("POST %s %q: %d %s", path, body, rec.Code, rec.Body)
		}
	})
}
