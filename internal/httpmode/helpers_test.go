package httpmode

import (
	"context"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stickerbot/stickerbot/internal/envelope"
)

const testSecret = "s3cr3t-signing-secret"

// testNow is the fixed clock every test handler uses unless told otherwise.
var testNow = time.Unix(1_700_000_000, 0)

// fakeDispatcher records every envelope and answers with ack, or with fn
// when it is set. It calls no envelope Quick, so every one gets the budget.
type fakeDispatcher struct {
	ack envelope.Ack
	fn  func(ctx context.Context, env *envelope.Envelope) envelope.Ack

	mu    sync.Mutex
	calls []envelope.Envelope
}

var _ envelope.Dispatcher = (*fakeDispatcher)(nil)

func (f *fakeDispatcher) Quick(*envelope.Envelope) bool { return false }

func (f *fakeDispatcher) Dispatch(ctx context.Context, env *envelope.Envelope) envelope.Ack {
	f.mu.Lock()
	f.calls = append(f.calls, *env)
	f.mu.Unlock()
	if f.fn != nil {
		return f.fn(ctx, env)
	}
	return f.ack
}

func (f *fakeDispatcher) Calls() []envelope.Envelope {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]envelope.Envelope(nil), f.calls...)
}

// newMux returns a mux with a Handler registered on it, built from a test
// config that opts may change.
func newMux(t testing.TB, d envelope.Dispatcher, opts ...func(*Config)) *http.ServeMux {
	t.Helper()
	cfg := Config{
		SigningSecret: testSecret,
		Dispatcher:    d,
		Logger:        slog.New(slog.DiscardHandler),
		Now:           func() time.Time { return testNow },
	}
	for _, o := range opts {
		o(&cfg)
	}
	h, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	mux := http.NewServeMux()
	h.Register(mux)
	return mux
}

// signature returns the X-Slack-Signature Slack would send.
func signature(secret string, ts int64, body string) string {
	return "v0=" + hex.EncodeToString(sign([]byte(secret), strconv.FormatInt(ts, 10), []byte(body)))
}

// signedRequest builds a POST to path signed with testSecret at testNow.
func signedRequest(path, contentType, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	r.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(testNow.Unix(), 10))
	r.Header.Set("X-Slack-Signature", signature(testSecret, testNow.Unix(), body))
	return r
}

// serve runs r through mux and returns the recorded response.
func serve(mux http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	return w
}

const (
	formType = "application/x-www-form-urlencoded"
	jsonType = "application/json"
)
