package playground

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestServerRefusals(t *testing.T) {
	ws := newFakeWorkspace()
	ws.addFile("FHTML", "page.html", []byte("<!DOCTYPE html><script>alert(1)</script>"))
	ws.addFile("FPNG", "cat.png", samplePNG(t))
	url := serve(t, ws)

	post := func(path, ctype, origin, body string) (*http.Response, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, url+path, strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp, out
	}
	msg := `{"user":"U1","channel":"C1","text":"hi"}`
	if r, out := post("/api/message", "application/json", "https://evil.example", msg); r.StatusCode != http.StatusForbidden {
		t.Errorf("another origin: %d %v", r.StatusCode, out)
	}
	if r, out := post("/api/message", "text/plain", "", msg); r.StatusCode != http.StatusBadRequest {
		t.Errorf("not JSON: %d %v", r.StatusCode, out)
	}
	if r, out := post("/api/message", "application/json", "", `{"user":"U1","bogus":1}`); r.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown field: %d %v", r.StatusCode, out)
	}
	if r, out := post("/api/message", "application/json", url, msg); r.StatusCode != http.StatusOK || out["ok"] != true {
		t.Errorf("same origin: %d %v", r.StatusCode, out)
	}
	if len(requestsOf[MessageRequest](ws)) != 1 {
		t.Errorf("requests: %v", ws.requests)
	}
	if r, err := http.Get(url + "/api/state?user=U9"); err != nil || r.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown user: %v %v", r.Status, err)
	}

	// Files: images are shown, anything else is a download.
	for id, want := range map[string]string{"FPNG": "image/png", "FHTML": "application/octet-stream"} {
		r, err := http.Get(url + "/files/" + id)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if ct := r.Header.Get("Content-Type"); ct != want || r.Header.Get("Content-Security-Policy") != "sandbox" || len(b) == 0 {
			t.Errorf("/files/%s: Content-Type %q, CSP %q, %d bytes", id, ct, r.Header.Get("Content-Security-Policy"), len(b))
		}
	}
	r, _ := http.Post(url+"/api/files?user=U1&name=x.png", "application/octet-stream", bytes.NewReader(samplePNG(t)))
	if r.StatusCode != http.StatusOK {
		t.Errorf("upload: %s", r.Status)
	}
}
