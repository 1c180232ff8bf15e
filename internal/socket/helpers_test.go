package socket

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stickerbot/stickerbot/internal/envelope"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
)

// testTimeout bounds every wait in these tests. It is generous on purpose:
// tests assert order and counts, never speed.
const testTimeout = 10 * time.Second

// fastConfig returns knobs short enough for tests; DeadAfter stays long
// enough that a loaded machine does not replace healthy sockets.
func fastConfig(api *slack.Client, d envelope.Dispatcher, log *slog.Logger) Config {
	return Config{
		API:          api,
		Dispatcher:   d,
		Logger:       log,
		Connections:  1,
		PingInterval: 100 * time.Millisecond,
		DeadAfter:    2 * time.Second,
		WriteTimeout: time.Second,
		HelloTimeout: time.Second,
		AckBudget:    500 * time.Millisecond,
		BackoffMin:   10 * time.Millisecond,
		BackoffMax:   200 * time.Millisecond,
		RefreshGrace: 300 * time.Millisecond,
	}
}

// logBuffer is a concurrency-safe sink for slog's text handler.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testLogger returns a debug logger whose output is shown when t fails.
func testLogger(t *testing.T) (*slog.Logger, *logBuffer) {
	t.Helper()
	lb := &logBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("manager logs:\n%s", lb.String())
		}
	})
	return slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug})), lb
}

// recordingDispatcher records envelopes and answers with fn (nil: bare ack).
// It calls no envelope Quick, so every one gets the ack budget.
type recordingDispatcher struct {
	mu   sync.Mutex
	reqs []*envelope.Envelope
	seen chan *envelope.Envelope
	fn   func(ctx context.Context, req *envelope.Envelope) envelope.Ack
}

func newRecordingDispatcher(fn func(ctx context.Context, req *envelope.Envelope) envelope.Ack) *recordingDispatcher {
	return &recordingDispatcher{seen: make(chan *envelope.Envelope, 1000), fn: fn}
}

func (d *recordingDispatcher) Quick(*envelope.Envelope) bool { return false }

func (d *recordingDispatcher) Dispatch(ctx context.Context, req *envelope.Envelope) envelope.Ack {
	d.mu.Lock()
	d.reqs = append(d.reqs, req)
	d.mu.Unlock()
	d.seen <- req
	if d.fn == nil {
		return nil
	}
	return d.fn(ctx, req)
}

func (d *recordingDispatcher) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.reqs)
}

// countingObserver counts Observer events.
type countingObserver struct {
	NopObserver
	received, acked atomic.Int64
	mu              sync.Mutex
	reconnects      []string
	maxOpen         int
}

func (o *countingObserver) EnvelopeReceived(string)     { o.received.Add(1) }
func (o *countingObserver) Acked(string, time.Duration) { o.acked.Add(1) }
func (o *countingObserver) Reconnect(reason string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.reconnects = append(o.reconnects, reason)
}
func (o *countingObserver) ConnectionsOpen(n int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.maxOpen = max(o.maxOpen, n)
}

func (o *countingObserver) reasons() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.reconnects...)
}

// running is a Manager started on its own goroutine.
type running struct {
	m      *Manager
	cancel context.CancelFunc
	errc   chan error
}

// startManager runs a Manager for cfg and, at cleanup, stops it and checks
// that Run returned nil and left no goroutines behind.
func startManager(t *testing.T, cfg Config) *running {
	t.Helper()
	m, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{m: m, cancel: cancel, errc: make(chan error, 1)}
	go func() { r.errc <- m.Run(ctx) }()
	t.Cleanup(func() {
		if err := r.stop(t); err != nil {
			t.Errorf("Run returned %v, want nil", err)
		}
		checkNoLeaks(t)
	})
	return r
}

// stop cancels Run once and returns its result.
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err, ok := <-r.errc:
		if !ok {
			return nil
		}
		close(r.errc)
		return err
	case <-time.After(testTimeout):
		t.Fatalf("Run did not return within %s of cancel", testTimeout)
		return nil
	}
}

// checkNoLeaks waits until no goroutine is running the manager's code. It
// looks at stacks rather than runtime.NumGoroutine because the fake Slack
// servers keep their own timers and handlers alive until their cleanup.
func checkNoLeaks(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for {
		leaked := managerGoroutines()
		if len(leaked) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%d goroutines still run manager code after Run returned:\n%s", len(leaked), strings.Join(leaked, "\n\n"))
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// managerGoroutines returns the stacks of goroutines inside this package's
// non-test code.
func managerGoroutines() []string {
	buf := make([]byte, 4<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		for _, marker := range []string{"internal/socket.(*Manager)", "internal/socket.(*conn)", "internal/socket.sleep("} {
			if strings.Contains(g, marker) {
				out = append(out, g)
				break
			}
		}
	}
	return out
}

// waitFor polls cond until it holds or testTimeout passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// miniSlack is a bare Socket Mode server for what the shared fake cannot do:
// send arbitrary raw frames and script apps.connections.open answers.
type miniSlack struct {
	t   *testing.T
	srv *httptest.Server

	mu    sync.Mutex
	opens []time.Time
	// openScript answers the next apps.connections.open calls, in order;
	// when empty the call succeeds.
	openScript []func(w http.ResponseWriter)
	conns      []*miniConn
	// onConnect runs on every accepted socket; the default sends hello.
	onConnect func(c *miniConn)
	connCh    chan *miniConn
}

type miniConn struct {
	idx    int
	ws     *websocket.Conn
	wmu    sync.Mutex
	frames chan []byte // client frames
	pings  atomic.Int64
	closed chan struct{}
}

const miniToken = "xapp-1-A0MINI-secret-mini-token"

func newMiniSlack(t *testing.T) *miniSlack {
	t.Helper()
	s := &miniSlack{t: t, connCh: make(chan *miniConn, 100)}
	s.onConnect = func(c *miniConn) { c.send(`{"type":"hello","num_connections":1,"debug_info":{"host":"mini"}}`) }
	mux := http.NewServeMux()
	mux.HandleFunc("/api/apps.connections.open", s.serveOpen)
	mux.HandleFunc("/link/", s.serveLink)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.close)
	return s
}

func (s *miniSlack) api() *slack.Client {
	return slack.New("xoxb-unused", slack.OptionAppLevelToken(miniToken), slack.OptionAPIURL(s.srv.URL+"/api/"))
}

func (s *miniSlack) serveOpen(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.opens = append(s.opens, time.Now())
	var step func(http.ResponseWriter)
	if len(s.openScript) > 0 {
		step, s.openScript = s.openScript[0], s.openScript[1:]
	}
	s.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+miniToken {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":false,"error":"invalid_auth"}`))
		return
	}
	if step != nil {
		step(w)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	u := "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/link/?ticket=secret-ticket-123&app_id=A0MINI"
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "url": u})
}

func (s *miniSlack) openCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.opens)
}

func (s *miniSlack) serveLink(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Origin") != "https://api.slack.com" {
		http.Error(w, "bad origin", http.StatusForbidden)
		return
	}
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &miniConn{ws: ws, frames: make(chan []byte, 1000), closed: make(chan struct{})}
	ws.SetPingHandler(func(data string) error {
		c.pings.Add(1)
		return ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	s.mu.Lock()
	c.idx = len(s.conns)
	s.conns = append(s.conns, c)
	onConnect := s.onConnect
	s.mu.Unlock()
	go func() {
		defer close(c.closed)
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				_ = ws.Close()
				return
			}
			c.frames <- data
		}
	}()
	onConnect(c)
	s.connCh <- c
}

func (s *miniSlack) close() {
	s.mu.Lock()
	conns := append([]*miniConn(nil), s.conns...)
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.ws.Close()
		<-c.closed
	}
	s.srv.Close()
}

// nextConn waits for the next accepted socket.
func (s *miniSlack) nextConn() *miniConn {
	s.t.Helper()
	select {
	case c := <-s.connCh:
		return c
	case <-time.After(testTimeout):
		s.t.Fatalf("no socket mode connection within %s", testTimeout)
		return nil
	}
}

func (c *miniConn) send(frame string) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.WriteMessage(websocket.TextMessage, []byte(frame))
}

func (c *miniConn) sendBinary(b []byte) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.WriteMessage(websocket.BinaryMessage, b)
}

// ack is a decoded client frame.
type ack struct {
	EnvelopeID string          `json:"envelope_id"`
	Payload    json.RawMessage `json:"payload"`
	raw        []byte
}

// nextAck waits for the next frame from the client and decodes it as an ack.
func (c *miniConn) nextAck(t *testing.T) ack {
	t.Helper()
	select {
	case b := <-c.frames:
		var a ack
		if err := json.Unmarshal(b, &a); err != nil {
			t.Fatalf("client frame %q is not JSON: %v", b, err)
		}
		a.raw = b
		return a
	case <-time.After(testTimeout):
		t.Fatalf("no ack within %s", testTimeout)
		return ack{}
	}
}

// noFrame asserts that the client sends nothing for d.
func (c *miniConn) noFrame(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case b := <-c.frames:
		t.Fatalf("unexpected client frame %s", b)
	case <-time.After(d):
	}
}
