// Package socket keeps the bot's Slack Socket Mode connections open and acks
// every envelope on the connection it arrived on.
//
// It replaces slack-go's socketmode client, which drops envelopes that arrive
// on a socket after its disconnect frame, can block for ever in Ack, never
// pings Slack, reconnects in a tight loop on too_many_websockets and keeps
// only one connection. This package reuses slack-go's wire types
// (socketmode.Request, socketmode.Response) and its apps.connections.open call,
// and speaks WebSocket through gorilla/websocket. It is a thin adapter: each
// frame becomes an envelope.Envelope, handed to an envelope.Dispatcher
// through an envelope.Caller, and the Ack goes back as the frame's ack.
//
// A Manager keeps Config.Connections sockets open, each from its own
// apps.connections.open call. Refreshes requested by Slack are
// make-before-break: the replacement says hello before the old socket is
// closed, and the old socket keeps being read and acked until then.
package socket

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/envelope"
)

// Observer gets metrics events. Methods are called synchronously from the
// connection goroutines, so they must be fast and must not block; they must
// not call back into the Manager except for Connected. Embed NopObserver to
// implement only some of them.
type Observer interface {
	// EnvelopeReceived is called for every frame that carries an envelope_id,
	// before it is dispatched. typ is the frame's type, possibly unknown or
	// empty.
	EnvelopeReceived(typ string)
	// Acked is called after an ack was written; latency runs from reading
	// the frame to the end of the write.
	Acked(typ string, latency time.Duration)
	// Reconnect is called whenever a slot opens a new connection, with why
	// the previous one ended or the previous attempt failed (for example
	// "refresh_requested", "warning", "closed", "dropped", "dead",
	// "read_error", "link_disabled", "too_many_websockets", "open_error",
	// "rate_limited", "dial_error", "hello_timeout", "closed_before_hello").
	Reconnect(reason string)
	// ConnectionsOpen is called with the new value of Manager.Connected
	// whenever it changes.
	ConnectionsOpen(n int)
}

// NopObserver is an Observer that does nothing. Embedding it keeps an Observer
// implementation compiling when methods are added.
type NopObserver struct{}

// EnvelopeReceived does nothing.
func (NopObserver) EnvelopeReceived(string) {}

// Acked does nothing.
func (NopObserver) Acked(string, time.Duration) {}

// Reconnect does nothing.
func (NopObserver) Reconnect(string) {}

// ConnectionsOpen does nothing.
func (NopObserver) ConnectionsOpen(int) {}

// Default timing knobs, chosen for real Slack: acks are useful only within
// 3 s, and Slack's own clients treat 30 s without traffic as a dead socket.
const (
	DefaultConnections  = 2
	DefaultPingInterval = 10 * time.Second
	DefaultDeadAfter    = 30 * time.Second
	DefaultWriteTimeout = 5 * time.Second
	DefaultHelloTimeout = 10 * time.Second
	DefaultAckBudget    = 2500 * time.Millisecond
	DefaultBackoffMin   = 200 * time.Millisecond
	DefaultBackoffMax   = time.Minute
	DefaultRefreshGrace = 10 * time.Second

	// MaxConnections is Slack's limit of concurrent sockets per app.
	MaxConnections = 10
)

// Config configures a Manager. Zero durations take their defaults.
type Config struct {
	// API is used for apps.connections.open only. It must be configured with
	// slack.OptionAppLevelToken (and slack.OptionAPIURL in tests).
	API *slack.Client
	// Dispatcher receives every envelope, exactly as it arrived (unknown
	// types too). Quick envelopes are dispatched and acked on the
	// connection's read goroutine; the others get a goroutine of their own
	// and until AckBudget after the frame was read, after which a bare ack
	// is sent and their result discarded.
	Dispatcher envelope.Dispatcher
	// Logger receives structured logs; nil means slog.Default().
	Logger *slog.Logger
	// Connections is how many sockets to keep open, 1..10; 0 means 2.
	// A refresh briefly needs one more, so 10 leaves no headroom.
	Connections int

	// PingInterval is how often we ping Slack (default 10s). Our pings keep
	// idle-killing middleboxes away and make Slack's pongs prove liveness.
	PingInterval time.Duration
	// DeadAfter is how long a socket may go without any frame, ping or pong
	// from Slack before it is replaced (default 30s). Must exceed
	// PingInterval.
	DeadAfter time.Duration
	// WriteTimeout bounds every write: acks, pings, pongs and close frames
	// (default 5s).
	WriteTimeout time.Duration
	// HelloTimeout bounds the WebSocket handshake and the wait for hello
	// (default 10s).
	HelloTimeout time.Duration
	// AckBudget is the longest Dispatcher.Dispatch may take before a bare ack
	// is sent anyway (default 2.5s; Slack gives up after 3s).
	AckBudget time.Duration
	// BackoffMin and BackoffMax bound the exponential reconnect backoff
	// (defaults 200ms and 1m).
	BackoffMin time.Duration
	BackoffMax time.Duration
	// RefreshGrace is how long an old socket keeps being read after its
	// replacement said hello (default 10s).
	RefreshGrace time.Duration

	// Observer gets metrics events; nil means none.
	Observer Observer
}

// ErrInvalidAppToken is wrapped by Run's error when Slack rejects the
// app-level token; retrying cannot help.
var ErrInvalidAppToken = errors.New("SLACK_APP_TOKEN was rejected by Slack: it must be a valid, unrevoked app-level token (xapp-…) with the connections:write scope")

// fatalOpenErrors are the apps.connections.open errors that no retry can fix.
var fatalOpenErrors = map[string]bool{
	"invalid_auth":           true,
	"not_authed":             true,
	"not_allowed_token_type": true,
	"token_revoked":          true,
	"account_inactive":       true,
}

// maxFrameBytes is the largest frame Slack accepts from a client; anything
// longer makes it close the socket with 1009 ("Max frame length of 20480 has
// been exceeded"). slack-go reports the same limit as silently dropped, so we
// stay strictly below it.
const maxFrameBytes = 20480

// openTimeout bounds one apps.connections.open call: slack.Client's default
// HTTP client has no timeout, and a hung call would stall a slot for ever.
const openTimeout = 30 * time.Second

// Manager keeps Socket Mode connections open and acks envelopes. Create it
// with New; Run may be called only once.
type Manager struct {
	cfg    Config
	log    *slog.Logger
	obs    Observer
	dialer *websocket.Dialer

	started   atomic.Bool
	connected atomic.Int64
	nextID    atomic.Uint64

	// mu guards conns, closing and the ordering of ConnectionsOpen calls.
	mu      sync.Mutex
	conns   map[*conn]struct{}
	closing bool

	// wg joins slots, readers, pingers and connection finishers.
	wg sync.WaitGroup
	// caller asks the Dispatcher for acks; it joins the calls that
	// outlive theirs.
	caller *envelope.Caller
	// dispatchCtx is Run's context without its cancellation.
	dispatchCtx context.Context
}

// New validates cfg, fills in defaults and returns a Manager.
func New(cfg Config) (*Manager, error) {
	if cfg.API == nil {
		return nil, errors.New("socket: new manager: Config.API is nil")
	}
	if cfg.Dispatcher == nil {
		return nil, errors.New("socket: new manager: Config.Dispatcher is nil")
	}
	if cfg.Connections == 0 {
		cfg.Connections = DefaultConnections
	}
	if cfg.Connections < 1 || cfg.Connections > MaxConnections {
		return nil, fmt.Errorf("socket: new manager: Connections is %d, want 1..%d", cfg.Connections, MaxConnections)
	}
	durations := []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"PingInterval", &cfg.PingInterval, DefaultPingInterval},
		{"DeadAfter", &cfg.DeadAfter, DefaultDeadAfter},
		{"WriteTimeout", &cfg.WriteTimeout, DefaultWriteTimeout},
		{"HelloTimeout", &cfg.HelloTimeout, DefaultHelloTimeout},
		{"AckBudget", &cfg.AckBudget, DefaultAckBudget},
		{"BackoffMin", &cfg.BackoffMin, DefaultBackoffMin},
		{"BackoffMax", &cfg.BackoffMax, DefaultBackoffMax},
		{"RefreshGrace", &cfg.RefreshGrace, DefaultRefreshGrace},
	}
	for _, d := range durations {
		if *d.v < 0 {
			return nil, fmt.Errorf("socket: new manager: %s is negative (%s)", d.name, *d.v)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if cfg.DeadAfter <= cfg.PingInterval {
		// Slack's pong to our ping is what proves an idle socket alive.
		return nil, fmt.Errorf("socket: new manager: DeadAfter (%s) must exceed PingInterval (%s)", cfg.DeadAfter, cfg.PingInterval)
	}
	if cfg.BackoffMax < cfg.BackoffMin {
		return nil, fmt.Errorf("socket: new manager: BackoffMax (%s) is below BackoffMin (%s)", cfg.BackoffMax, cfg.BackoffMin)
	}
	m := &Manager{
		cfg:   cfg,
		log:   cfg.Logger,
		obs:   cfg.Observer,
		conns: make(map[*conn]struct{}),
		dialer: &websocket.Dialer{
			Proxy:            http.ProxyFromEnvironment,
			HandshakeTimeout: cfg.HelloTimeout,
			// Large enough that every ack below maxFrameBytes goes out as one
			// frame: Slack is reported not to reassemble continuation frames.
			WriteBufferSize: 32 * 1024,
		},
	}
	if m.log == nil {
		m.log = slog.Default()
	}
	if m.obs == nil {
		m.obs = NopObserver{}
	}
	m.caller = envelope.NewCaller(cfg.Dispatcher, m.log)
	return m, nil
}

// Run keeps the connections open until ctx is done, then stops reading,
// waits for in-flight envelopes to be acked, sends close frames and returns
// nil. Shutdown is bounded: about 2×AckBudget + 2×WriteTimeout at worst, and
// milliseconds when nothing is in flight and Slack answers the close.
//
// Run returns early with an error wrapping ErrInvalidAppToken when Slack
// rejects the app-level token; every other failure is retried for ever. All
// goroutines it started have ended when it returns, except Dispatcher calls
// that ignore their context for longer than AckBudget.
func (m *Manager) Run(ctx context.Context) error {
	if !m.started.CompareAndSwap(false, true) {
		return errors.New("socket: run: Run was already called")
	}
	m.dispatchCtx = context.WithoutCancel(ctx)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()

	m.log.Info("socket mode manager starting", "connections", m.cfg.Connections)
	errc := make(chan error, m.cfg.Connections)
	for i := range m.cfg.Connections {
		m.wg.Go(func() {
			if err := m.runSlot(runCtx, i); err != nil {
				errc <- err
				cancel()
			}
		})
	}
	<-runCtx.Done()

	// Closing first means no slot can register a socket we would not finish.
	m.mu.Lock()
	m.closing = true
	open := make([]*conn, 0, len(m.conns))
	for c := range m.conns {
		open = append(open, c)
	}
	m.mu.Unlock()

	var fin sync.WaitGroup
	for _, c := range open {
		fin.Go(func() { c.finish("shutdown") })
	}
	fin.Wait()
	m.wg.Wait()
	m.waitDispatchers()

	select {
	case err := <-errc:
		m.log.Error("socket mode manager stopped", "err", err)
		return err
	default:
		m.log.Info("socket mode manager stopped")
		return nil
	}
}

// Connected returns how many sockets said hello and are still being read.
// During a refresh this may briefly exceed Config.Connections.
func (m *Manager) Connected() int {
	return int(m.connected.Load())
}

// waitDispatchers waits a bounded time for Dispatcher calls whose ack already
// went out: a Dispatcher that ignores its context must not hang shutdown.
func (m *Manager) waitDispatchers() {
	if !m.caller.Wait(m.cfg.AckBudget) {
		m.log.Warn("socket mode manager stopped with Dispatcher calls still running past their deadline")
	}
}

// register adds c to the set Run finishes on shutdown. It reports false once
// shutdown has begun, and the caller must then close c itself.
func (m *Manager) register(c *conn) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closing {
		return false
	}
	m.conns[c] = struct{}{}
	return true
}

func (m *Manager) unregister(c *conn) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.conns, c)
}

// addConnected changes the count of live sockets and reports it while
// holding mu, so the Observer sees the values in order.
func (m *Manager) addConnected(delta int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.connected.Add(delta)
	m.obs.ConnectionsOpen(int(n))
}
