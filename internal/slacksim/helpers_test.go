package slacksim_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/stickerbot/stickerbot/internal/slacksim"
)

// testCtx returns a context that ends after d or at the end of the test.
func testCtx(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// newAPI returns a slack-go client talking to fs.
func newAPI(fs *slacksim.Server, opts ...slack.Option) *slack.Client {
	return slack.New(fs.BotToken(), append([]slack.Option{slack.OptionAPIURL(fs.APIURL()), slack.OptionAppLevelToken(fs.AppToken())}, opts...)...)
}

// bot runs a slack-go socketmode client against fs until the test ends,
// passing every event to handle (on one goroutine).
type bot struct {
	api    *slack.Client
	client *socketmode.Client
	mu     sync.Mutex
	events []socketmode.EventType
	runErr chan error
}

func startBot(t *testing.T, fs *slacksim.Server, handle func(*socketmode.Client, socketmode.Event), opts ...socketmode.Option) *bot {
	t.Helper()
	api := newAPI(fs)
	b := &bot{api: api, client: socketmode.New(api, opts...), runErr: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { b.runErr <- b.client.RunContext(ctx) })
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-b.client.Events:
				b.mu.Lock()
				b.events = append(b.events, evt.Type)
				b.mu.Unlock()
				if handle != nil {
					handle(b.client, evt)
				}
			}
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
	return b
}

func (b *bot) saw(typ socketmode.EventType) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.events {
		if e == typ {
			return true
		}
	}
	return false
}

// ackAll acks every envelope without a payload.
func ackAll(c *socketmode.Client, evt socketmode.Event) {
	if evt.Request != nil && evt.Request.EnvelopeID != "" {
		_ = c.AckCtx(context.Background(), evt.Request.EnvelopeID, nil)
	}
}

// frame is a Socket Mode frame as a raw client sees it.
type frame struct {
	Type                   string          `json:"type"`
	Reason                 string          `json:"reason"`
	EnvelopeID             string          `json:"envelope_id"`
	Payload                json.RawMessage `json:"payload"`
	AcceptsResponsePayload *bool           `json:"accepts_response_payload"`
	RetryAttempt           *int            `json:"retry_attempt"`
	RetryReason            *string         `json:"retry_reason"`
	NumConnections         int             `json:"num_connections"`
	DebugInfo              struct {
		Host string `json:"host"`
	} `json:"debug_info"`
	ConnectionInfo struct {
		AppID string `json:"app_id"`
	} `json:"connection_info"`
}

// rawClient is a bare gorilla client for protocol-level checks.
type rawClient struct {
	t      *testing.T
	ws     *websocket.Conn
	frames chan frame
	pings  chan string
	done   chan struct{}
}

// dialRaw opens a Socket Mode connection with apps.connections.open and
// reads the hello.
func dialRaw(t *testing.T, fs *slacksim.Server) *rawClient {
	t.Helper()
	_, u, err := newAPI(fs).StartSocketModeContext(context.Background())
	if err != nil {
		t.Fatalf("apps.connections.open: %v", err)
	}
	ws, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	c := &rawClient{t: t, ws: ws, frames: make(chan frame, 100), pings: make(chan string, 100), done: make(chan struct{})}
	ws.SetPingHandler(func(data string) error {
		select {
		case c.pings <- data:
		default:
		}
		return ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	go func() {
		defer close(c.done)
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				return
			}
			var f frame
			if err := json.Unmarshal(data, &f); err != nil {
				t.Errorf("bad frame %s: %v", data, err)
				return
			}
			c.frames <- f
		}
	}()
	t.Cleanup(func() { _ = ws.Close(); <-c.done })
	if h := c.next(); h.Type != "hello" {
		t.Fatalf("first frame = %+v, want hello", h)
	}
	return c
}

// next returns the next frame or fails after 2s.
func (c *rawClient) next() frame {
	c.t.Helper()
	select {
	case f := <-c.frames:
		return f
	case <-time.After(2 * time.Second):
		c.t.Fatalf("no frame within 2s")
		return frame{}
	}
}

// none checks that no frame arrives within d.
func (c *rawClient) none(d time.Duration) {
	c.t.Helper()
	select {
	case f := <-c.frames:
		c.t.Fatalf("unexpected frame %+v", f)
	case <-time.After(d):
	}
}

func (c *rawClient) send(v any) {
	c.t.Helper()
	if err := c.ws.WriteJSON(v); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *rawClient) ack(id string) { c.send(map[string]any{"envelope_id": id}) }
