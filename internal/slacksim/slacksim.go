// Package slacksim is a Slack simulator: a loopback stand-in for the parts
// of Slack that a bot talks to: apps.connections.open and the Socket Mode
// WebSocket (or signed HTTP deliveries to Request URLs), the Web API methods
// used at start (auth.test, conversations.info; tokens Slack refuses with
// [WithRejectedToken]) and for messages, modals, the Home tab and files, response_url webhooks
// and url_private downloads. The tests run the real bot against it
// ([New], which takes a test); so does `stickerbot playground`, behind a
// page in the browser ([Start], which does not). The package does not
// import testing.
//
// The simulator copies Slack's wire formats and error codes (as
// documented, or as observed through slack-go v0.35.0) so that a bot built
// on slack-go can be run unchanged against it: point slack.OptionAPIURL
// (or SLACK_API_URL) at [Server.APIURL] and use [Server.BotToken] and
// [Server.AppToken].
//
// It plays the people's side too, as the Slack client would: slash
// commands ([Server.SlashCommand], and [Server.TypeCommand] with the
// client's checks), button clicks and selects ([Server.BlockAction]),
// modal submissions and closes ([Server.ViewSubmission],
// [Server.CloseView]), messages ([Server.PostUserMessage], and
// [Server.TypeMessage] with the client's formatting, mentions and
// events), global and message shortcuts, and App Home
// ([Server.AppHomeOpened]). [WithUsers] and [WithApp] say who is in the
// workspace and how the app is configured (its manifest).
//
// Everything the bot does is recorded (Web API calls, acks, response_url
// posts, messages as users see them, views) and can be awaited from the
// test goroutine (Wait*) or a program ([Server.AwaitAck],
// [Server.Changed]). Protocol mistakes that Slack would punish silently
// (late acks, unknown or duplicate acks, bad view_submission errors) are
// recorded as [Violation]s; calls Slack refuses for what they carry
// (invalid blocks, over-long texts, expired trigger_ids) as [Refusal]s,
// where the message would have appeared.
//
// Example:
//
//	fs := slacksim.New(t)
//	// start the bot with SLACK_API_URL=fs.APIURL(), SLACK_BOT_TOKEN=fs.BotToken(),
//	// SLACK_APP_TOKEN=fs.AppToken()
//	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
//	defer cancel()
//	fs.WaitConnections(ctx, 1)
//	d := fs.SlashCommand(ctx, slacksim.Command{User: "U1", Channel: "C1", Command: "/sticker", Text: "cat"})
//	ack := fs.WaitAck(ctx, d.EnvelopeID)
//	post := fs.WaitResponse(ctx, d.ResponseURL)
//	click := fs.BlockAction(ctx, slacksim.Click{User: "U1", Message: post.Message, ActionID: "send"})
//	fs.WaitAck(ctx, click.EnvelopeID)
//	if v := fs.Violations(); len(v) > 0 {
//		t.Errorf("protocol violations: %v", v)
//	}
//	_ = ack
//
// All methods are safe for concurrent use. The Wait* methods call t.Fatalf when
// their context ends first, so they must be called from the test goroutine
// (and cannot be used on a Server made by Start).
package slacksim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Identities used by the fake workspace and app.
const (
	TeamID     = "T0FAKETEAM" // the workspace's team_id
	TeamDomain = "fake-team"  // the workspace's domain (team_domain)
	TeamName   = "Fake Team"  // the workspace's name
	AppID      = "A0FAKEAPP"  // api_app_id, also in the WebSocket URL and hello
	BotUserID  = "U0FAKEBOT"  // the bot's user ID (auth.test user_id)
	BotID      = "B0FAKEBOT"  // the bot's bot_id
	BotName    = "stickerbot" // the bot user's name
	// VerificationToken is the deprecated verification token that Slack puts in
	// the "token" field of command and interaction payloads.
	VerificationToken = "fakeverificationtoken0000"
)

// Pseudo method names for [Server.FailNext] and [Server.Calls] that are not Web
// API methods.
const (
	// MethodResponseURL covers POSTs to response_url webhooks.
	MethodResponseURL = "response_url"
	// MethodFileUpload covers POSTs to an upload_url from files.getUploadURLExternal.
	MethodFileUpload = "file_upload"
	// MethodFileDownload covers GETs of url_private and url_private_download.
	MethodFileDownload = "file_download"
)

// TB is what the fake needs of a test; testing.TB has it. The package does
// not import testing, so a program (the playground) can run it too.
type TB interface {
	Helper()
	Logf(format string, args ...any)
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// noTest is the TB of a Server started outside a test: Wait* methods,
// which fail a test, cannot be used there.
type noTest struct{ log *slog.Logger }

func (noTest) Helper()                      {}
func (noTest) Cleanup(func())               {}
func (n noTest) Logf(f string, args ...any) { n.log.Debug(fmt.Sprintf(f, args...)) }
func (n noTest) Errorf(f string, args ...any) {
	n.log.Error(fmt.Sprintf(f, args...))
}
func (noTest) Fatalf(f string, args ...any) {
	panic("slacksim: a Wait method needs a test: " + fmt.Sprintf(f, args...))
}

// Server is a running fake Slack. Create it with [New] in a test, or
// [Start] in a program.
type Server struct {
	t    TB
	cfg  config
	hs   *http.Server
	base string // http://127.0.0.1:PORT
	done chan struct{}
	wg   sync.WaitGroup

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every state change
	closed  bool

	// Socket Mode.
	tickets    map[string]*ticket
	conns      []*conn
	rr         int
	envelopes  map[string]*envelope
	acks       []Ack
	events     []*eventState
	userErrors []UserError
	violations []Violation

	// Web API.
	calls         []Call
	failures      map[string][]Failure
	channels      map[string]*Channel
	messages      []*Message
	responseURLs  map[string]*responseURL
	responsePosts []ResponsePost
	triggers      map[string]*trigger
	views         map[string]*viewState
	viewOrder     []string
	files         map[string]*fileState
	uploads       map[string]string // upload path -> file id
	lastTS        int64             // microseconds of the last message ts

	version  uint64            // counts notifyLocked calls
	homes    map[string]string // user -> Home tab view id
	refusals []Refusal
}

type config struct {
	botToken         string
	appToken         string
	pingInterval     time.Duration
	maxConns         int
	ackTimeout       time.Duration
	eventRetryDelays []time.Duration
	triggerTTL       time.Duration
	responseURLUses  int
	responseURLTTL   time.Duration
	fileProcessing   time.Duration
	helloDelay       time.Duration
	channels         []Channel
	debug            bool
	requestURL       *requestURL // WithRequestURL: deliver over HTTP
	logger           *slog.Logger
	addr             string
	users            []User
	app              *App              // nil: anything goes
	rejected         map[string]string // WithRejectedToken: token -> error
}

// Option configures a [Server].
type Option func(*config)

// WithBotToken sets the only bot token (xoxb-) the Web API accepts.
// The default is "xoxb-fake-bot-token".
func WithBotToken(token string) Option { return func(c *config) { c.botToken = token } }

// WithAppToken sets the only app-level token (xapp-) apps.connections.open
// accepts. The default is "xapp-1-fake-app-token".
func WithAppToken(token string) Option { return func(c *config) { c.appToken = token } }

// WithRejectedToken makes Slack know token but refuse it with code on
// every Web API call (apps.connections.open included), as it does for
// a token that was revoked ("token_revoked"), whose app was uninstalled
// or whose user or workspace was deactivated ("account_inactive"), that
// expired ("token_expired"), or of a kind a method does not take
// ("not_allowed_token_type"). A token Slack does not know at all gets
// "invalid_auth" without this option.
func WithRejectedToken(token, code string) Option {
	return func(c *config) {
		if c.rejected == nil {
			c.rejected = map[string]string{}
		}
		c.rejected[token] = code
	}
}

// WithPingInterval sets how often the fake sends a WebSocket ping on every
// connection. The default is 5s. Zero or less disables server pings.
func WithPingInterval(d time.Duration) Option { return func(c *config) { c.pingInterval = d } }

// WithMaxConnections sets how many concurrent Socket Mode connections the app
// may hold; the next one gets a too_many_websockets disconnect instead of
// hello. The default is Slack's 10.
func WithMaxConnections(n int) Option { return func(c *config) { c.maxConns = n } }

// WithAckTimeout sets the ack window (Slack: 3s). A slash command or interaction
// not acked within it is recorded as a user-visible operation_timeout, and later
// acks are flagged as late.
func WithAckTimeout(d time.Duration) Option { return func(c *config) { c.ackTimeout = d } }

// WithEventRetryDelays sets the redelivery schedule of unacked events_api
// envelopes: retry i (1-based) is sent delays[i-1] after the previous delivery.
// The number of delays is the number of retries. The default is three retries
// one second apart (Slack: about immediately, 1 min, 5 min).
func WithEventRetryDelays(delays ...time.Duration) Option {
	return func(c *config) { c.eventRetryDelays = append([]time.Duration(nil), delays...) }
}

// WithTriggerTTL sets how long a trigger_id can be exchanged (Slack: 3s).
func WithTriggerTTL(d time.Duration) Option { return func(c *config) { c.triggerTTL = d } }

// WithResponseURLLimits sets how many times a response_url may be used and for
// how long (Slack: 5 uses within 30 minutes).
func WithResponseURLLimits(uses int, ttl time.Duration) Option {
	return func(c *config) { c.responseURLUses, c.responseURLTTL = uses, ttl }
}

// WithFileProcessing sets how long a newly completed upload stays "processing":
// files.info reports an empty mimetype and slack_file image blocks referencing it
// are rejected. The default is 0.
func WithFileProcessing(d time.Duration) Option { return func(c *config) { c.fileProcessing = d } }

// WithHelloDelay delays the hello frame on new connections by d. A negative d
// never sends hello (the connection still counts as open).
func WithHelloDelay(d time.Duration) Option { return func(c *config) { c.helloDelay = d } }

// WithChannels replaces the default channels. See [Channel].
func WithChannels(chs ...Channel) Option {
	return func(c *config) { c.channels = append([]Channel(nil), chs...) }
}

// WithDebug logs every WebSocket frame and Web API call with t.Logf (or,
// for [Start], the logger at debug level).
func WithDebug() Option { return func(c *config) { c.debug = true } }

// WithLogger is the logger of a Server made by [Start] (default: none).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithAddr is the address a Server listens on (default 127.0.0.1:0, a
// free loopback port).
func WithAddr(addr string) Option { return func(c *config) { c.addr = addr } }

// DefaultChannels are the channels a [Server] starts with unless [WithChannels]
// is given: C1 (#general, bot is a member), C2 (#random, bot is not a member),
// G1 (private #secret, bot is not a member) and D1 (the DM between U1 and the
// bot). Users U1, U2 and U3 are members of C1, C2 and G1.
func DefaultChannels() []Channel {
	users := []string{"U1", "U2", "U3"}
	return []Channel{
		{ID: "C1", Name: "general", BotMember: true, Members: users},
		{ID: "C2", Name: "random", Members: users},
		{ID: "G1", Name: "secret", Private: true, Members: users},
		{ID: "D1", Name: "U1", BotMember: true, Members: []string{"U1"}},
	}
}

// New starts a fake Slack on 127.0.0.1 and closes it in t.Cleanup.
func New(t TB, opts ...Option) *Server {
	t.Helper()
	s, err := start(t, opts)
	if err != nil {
		t.Fatalf("slacksim: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Start starts a simulated Slack outside a test (on 127.0.0.1 at a free
// port unless [WithAddr]), until Close. Its Wait* methods cannot be used:
// they fail a test; AwaitAck and Changed are for programs.
func Start(opts ...Option) (*Server, error) { return start(nil, opts) }

func start(t TB, opts []Option) (*Server, error) {
	cfg := config{
		botToken:         "xoxb-fake-bot-token",
		appToken:         "xapp-1-fake-app-token",
		pingInterval:     5 * time.Second,
		maxConns:         10,
		ackTimeout:       3 * time.Second,
		eventRetryDelays: []time.Duration{time.Second, time.Second, time.Second},
		triggerTTL:       3 * time.Second,
		responseURLUses:  5,
		responseURLTTL:   30 * time.Minute,
		channels:         DefaultChannels(),
		users:            defaultUsers(),
		addr:             "127.0.0.1:0",
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	if t == nil {
		t = noTest{cfg.logger}
	}
	s := &Server{
		t:            t,
		cfg:          cfg,
		done:         make(chan struct{}),
		changed:      make(chan struct{}),
		tickets:      map[string]*ticket{},
		envelopes:    map[string]*envelope{},
		failures:     map[string][]Failure{},
		channels:     map[string]*Channel{},
		responseURLs: map[string]*responseURL{},
		triggers:     map[string]*trigger{},
		views:        map[string]*viewState{},
		files:        map[string]*fileState{},
		uploads:      map[string]string{},
		homes:        map[string]string{},
	}
	for _, ch := range cfg.channels {
		ch.Members = append([]string(nil), ch.Members...)
		s.channels[ch.ID] = &ch
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/link/", s.serveLink)
	mux.HandleFunc("/hooks/", s.serveResponseURL)
	mux.HandleFunc("/upload/", s.serveUpload)
	mux.HandleFunc("/files-pri/", s.serveDownload)
	mux.HandleFunc("/", s.serveSignIn)
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.addr, err)
	}
	s.hs = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	s.base = "http://" + ln.Addr().String()
	go func() { _ = s.hs.Serve(ln) }()
	return s, nil
}

// Close shuts the fake down: every WebSocket is dropped, pending timers stop and
// the HTTP server closes. It is called automatically in t.Cleanup and is safe to
// call more than once.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	conns := append([]*conn(nil), s.conns...)
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.ws.NetConn().Close()
	}
	s.hs.Close()
	s.wg.Wait()
}

// APIURL returns the Web API base URL with a trailing slash, for
// slack.OptionAPIURL or SLACK_API_URL: http://127.0.0.1:PORT/api/.
func (s *Server) APIURL() string { return s.base + "/api/" }

// URL returns the fake's root URL, http://127.0.0.1:PORT.
func (s *Server) URL() string { return s.base }

// BotToken returns the bot token (xoxb-) the fake accepts.
func (s *Server) BotToken() string { return s.cfg.botToken }

// AppToken returns the app-level token (xapp-) the fake accepts.
func (s *Server) AppToken() string { return s.cfg.appToken }

// notifyLocked wakes every waiter. s.mu must be held.
func (s *Server) notifyLocked() {
	s.version++
	close(s.changed)
	s.changed = make(chan struct{})
}

// logf logs with t.Logf when debugging is on.
func (s *Server) logf(format string, args ...any) {
	if s.cfg.debug {
		s.t.Logf("slacksim: "+format, args...)
	}
}

// violationLocked records a protocol violation. s.mu must be held.
func (s *Server) violationLocked(kind, envelopeID string, connIdx int, format string, args ...any) {
	v := Violation{Kind: kind, EnvelopeID: envelopeID, Conn: connIdx, Detail: fmt.Sprintf(format, args...), At: time.Now()}
	s.violations = append(s.violations, v)
	s.logf("violation: %s", v)
}

// spawn runs f on a new goroutine that Close waits for, unless the server is
// already closed.
func (s *Server) spawn(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

// goAfter runs f after d unless the server closes first. f runs without s.mu.
func (s *Server) goAfter(d time.Duration, f func()) {
	s.spawn(func() {
		timer := time.NewTimer(d)
		defer timer.Stop()
		select {
		case <-timer.C:
			f()
		case <-s.done:
		}
	})
}

// sleep waits for d, the request's context or the server to close. It reports
// whether the full duration elapsed.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
	case <-s.done:
	}
	return false
}

// newTSLocked returns a new unique, increasing message timestamp like
// "1712345678.123456". s.mu must be held.
func (s *Server) newTSLocked() string {
	now := time.Now().UnixMicro()
	if now <= s.lastTS {
		now = s.lastTS + 1
	}
	s.lastTS = now
	return fmt.Sprintf("%d.%06d", now/1e6, now%1e6)
}

// randomHex returns n random bytes as hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// randomDigits returns n random decimal digits, the first one non-zero.
func randomDigits(n int) string {
	var sb strings.Builder
	for i := range n {
		lo := int64(0)
		if i == 0 {
			lo = 1
		}
		d, _ := rand.Int(rand.Reader, big.NewInt(10-lo))
		sb.WriteByte(byte('0' + lo + d.Int64()))
	}
	return sb.String()
}

// randomID returns prefix followed by n random upper-case letters and digits,
// like Slack's F0123ABCDE IDs.
func randomID(prefix string, n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var sb strings.Builder
	sb.WriteString(prefix)
	for range n {
		d, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		sb.WriteByte(alphabet[d.Int64()])
	}
	return sb.String()
}

// newUUID returns a random (version 4) UUID, as Slack uses for envelope_id.
func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
