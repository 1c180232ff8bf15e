package socket

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack/socketmode"

	"github.com/stickerbot/stickerbot/internal/envelope"
)

// conn is one WebSocket to Slack. Its reader goroutine owns all reads; acks,
// pings and pongs may be written from any goroutine.
type conn struct {
	m    *Manager
	slot int
	id   uint64
	ws   *websocket.Conn
	log  *slog.Logger

	// wmu serializes data frames: gorilla allows one concurrent writer.
	// Control frames go through WriteControl, which gorilla serializes itself.
	wmu sync.Mutex

	// dlMu makes stopping and the read deadline change together, so a ping
	// arriving during shutdown cannot push the deadline back out.
	dlMu     sync.Mutex
	stopping bool

	hello   chan struct{} // closed by the reader on the first hello
	helloAt time.Time     // written before hello is closed

	refresh       chan struct{} // closed when Slack asks for a replacement
	refreshOnce   sync.Once
	refreshReason string // written before refresh is closed

	done      chan struct{} // closed when the reader has returned
	endReason string        // written before done is closed
	refused   bool          // Slack refused or disabled the socket; written before done is closed

	inflight   sync.WaitGroup // envelopes read on this socket and not yet acked
	finishOnce sync.Once
}

func (m *Manager) newConn(slot int, ws *websocket.Conn) *conn {
	id := m.nextID.Add(1)
	return &conn{
		m:       m,
		slot:    slot,
		id:      id,
		ws:      ws,
		log:     m.log.With("conn", slot, "conn_id", id),
		hello:   make(chan struct{}),
		refresh: make(chan struct{}),
		done:    make(chan struct{}),
	}
}

// start installs the control-frame handlers and starts the reader and pinger.
func (c *conn) start() {
	c.ws.SetPingHandler(func(data string) error {
		c.alive()
		err := c.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(c.m.cfg.WriteTimeout))
		if err != nil && !errors.Is(err, websocket.ErrCloseSent) {
			c.log.Debug("pong not written", "err", err)
		}
		// A failed pong must not end the reader: the envelopes already on the
		// wire still deserve acks, and a dead socket is caught by DeadAfter.
		return nil
	})
	c.ws.SetPongHandler(func(string) error {
		c.alive()
		return nil
	})
	c.alive()
	c.m.wg.Go(c.readLoop)
	c.m.wg.Go(c.pingLoop)
}

// alive pushes the read deadline out: anything from Slack proves the socket
// is not blackholed.
func (c *conn) alive() {
	c.dlMu.Lock()
	defer c.dlMu.Unlock()
	if c.stopping {
		return
	}
	_ = c.ws.SetReadDeadline(time.Now().Add(c.m.cfg.DeadAfter))
}

// stopReading makes the reader return after the frame it is reading, if any.
func (c *conn) stopReading() {
	c.dlMu.Lock()
	defer c.dlMu.Unlock()
	c.stopping = true
	_ = c.ws.SetReadDeadline(time.Now())
}

func (c *conn) readLoop() {
	helloed := false
	defer func() {
		if helloed {
			c.m.addConnected(-1)
		}
		close(c.done)
	}()
	for {
		mt, data, err := c.ws.ReadMessage()
		if err != nil {
			c.endReason = c.readEnded(err)
			return
		}
		received := time.Now()
		c.alive()
		if mt != websocket.TextMessage {
			c.log.Warn("ignoring non-text frame", "frame_type", mt, "bytes", len(data))
			continue
		}
		if stop := c.handleFrame(data, received, &helloed); stop {
			return
		}
	}
}

// readEnded logs why the reader stopped and returns the reason.
func (c *conn) readEnded(err error) string {
	c.dlMu.Lock()
	stopping := c.stopping
	c.dlMu.Unlock()
	if stopping {
		c.log.Debug("stopped reading")
		return "stopped"
	}
	var ce *websocket.CloseError
	if errors.As(err, &ce) && ce.Code == websocket.CloseAbnormalClosure {
		// gorilla reports a TCP close without a close frame as 1006.
		c.log.Warn("connection dropped without a close frame", "reason", "dropped", "err", err)
		return "dropped"
	}
	if errors.As(err, &ce) {
		c.log.Info("Slack closed the connection", "reason", "closed", "close_code", ce.Code, "close_text", ce.Text)
		return "closed"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		c.log.Warn("nothing from Slack for too long; replacing the connection", "reason", "dead", "dead_after", c.m.cfg.DeadAfter)
		return "dead"
	}
	c.log.Warn("connection read failed", "reason", "read_error", "err", err)
	return "read_error"
}

// handleFrame acts on one text frame. It returns true when the socket must
// not be read any further.
func (c *conn) handleFrame(data []byte, received time.Time, helloed *bool) (stop bool) {
	req, err := decodeFrame(data)
	if req == nil {
		c.log.Warn("dropping malformed frame", "err", err, "bytes", len(data))
		c.log.Debug("malformed frame contents", "frame", truncate(data, 512))
		return false
	}
	if err != nil {
		// Still ack: an envelope that is never acked is redelivered for ever.
		c.log.Warn("frame has fields of unexpected types; using those that parsed",
			"type", req.Type, "envelope_id", req.EnvelopeID, "err", err)
	}

	control := false
	switch req.Type {
	case socketmode.RequestTypeHello:
		control = true
		c.onHello(req, helloed)
	case socketmode.RequestTypeDisconnect:
		control = true
		stop = c.onDisconnect(req)
	}

	if req.EnvelopeID == "" {
		if !control {
			c.log.Warn("ignoring frame without envelope_id", "type", req.Type)
		}
		return stop
	}
	c.m.obs.EnvelopeReceived(req.Type)
	if !control && !knownEnvelopeTypes[envelope.Kind(req.Type)] {
		c.log.Warn("unknown envelope type; acking and dispatching it anyway", "type", req.Type, "envelope_id", req.EnvelopeID)
	}
	c.log.Debug("envelope received", "type", req.Type, "envelope_id", req.EnvelopeID, "retry_attempt", req.RetryAttempt)
	env := &envelope.Envelope{
		Kind:         envelope.Kind(req.Type),
		ID:           req.EnvelopeID,
		Payload:      req.Payload,
		RetryAttempt: req.RetryAttempt,
		RetryReason:  req.RetryReason,
	}
	if !control && c.m.caller.Quick(env) {
		// No goroutine hand-offs: under a burst each one is a wait in
		// the scheduler's queue before the ack goes out.
		c.ack(env, c.m.caller.Now(c.m.dispatchCtx, env), received)
		return stop
	}
	c.inflight.Add(1)
	go c.handleEnvelope(env, received, !control)
	return stop
}

func (c *conn) onHello(req *socketmode.Request, helloed *bool) {
	if *helloed {
		c.log.Debug("ignoring repeated hello")
		return
	}
	*helloed = true
	c.helloAt = time.Now()
	c.m.addConnected(1)
	c.log.Info("socket mode connection ready",
		"num_connections", req.NumConnections,
		"host", req.DebugInfo.Host,
		"approximate_connection_time", req.DebugInfo.ApproximateConnectionTime)
	close(c.hello)
}

// onDisconnect handles Slack's disconnect frame and reports whether the
// socket is finished.
func (c *conn) onDisconnect(req *socketmode.Request) (stop bool) {
	switch req.Reason {
	case "warning", "refresh_requested":
		c.requestRefresh(req.Reason)
		return false
	case "link_disabled":
		c.log.Error("Slack disabled this connection (disconnect reason link_disabled): Socket Mode was turned off in the app settings; turn it back on. Reconnecting with backoff",
			"reason", req.Reason)
		c.endReason, c.refused = req.Reason, true
		return true
	case "too_many_websockets":
		c.endReason, c.refused = req.Reason, true
		return true
	default:
		// Replacing is safe whatever Slack meant; ignoring it might not be.
		c.log.Warn("unknown disconnect reason; replacing the connection", "reason", req.Reason)
		reason := req.Reason
		if reason == "" {
			reason = "disconnect"
		}
		c.requestRefresh(reason)
		return false
	}
}

func (c *conn) requestRefresh(reason string) {
	c.refreshOnce.Do(func() {
		c.log.Info("Slack asked to replace the connection", "reason", reason)
		c.refreshReason = reason
		close(c.refresh)
	})
}

// handleEnvelope runs on its own goroutine: it asks the Dispatcher for the
// ack payload (bounded by AckBudget) and writes the ack on this socket.
// Control frames that carry an envelope_id are acked without dispatching.
func (c *conn) handleEnvelope(env *envelope.Envelope, received time.Time, dispatch bool) {
	defer c.inflight.Done()
	var ack envelope.Ack
	if dispatch {
		ack = c.m.caller.Within(c.m.dispatchCtx, env, received.Add(c.m.cfg.AckBudget))
	}
	c.ack(env, ack, received)
}

func (c *conn) ack(env *envelope.Envelope, ack envelope.Ack, received time.Time) {
	log := c.log.With("envelope_id", env.ID, "type", string(env.Kind))
	b, err := encodeAck(env.ID, ack)
	if err != nil && ack != nil {
		// A bare ack at least stops Slack's retries and timeouts.
		log.Error("ack payload cannot be sent; sending a bare ack instead", "err", err)
		b, err = encodeAck(env.ID, nil)
	}
	if err != nil {
		log.Error("envelope cannot be acked", "err", err)
		return
	}
	if err := c.write(b); err != nil {
		log.Warn("ack not written", "err", err)
		return
	}
	latency := time.Since(received)
	c.m.obs.Acked(string(env.Kind), latency)
	log.Debug("acked", "latency", latency, "with_payload", ack != nil && !envelope.IsMalformed(ack))
}

// write sends one text frame, bounded by WriteTimeout.
func (c *conn) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(c.m.cfg.WriteTimeout))
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		// gorilla fails every later write too; closing makes the reader
		// return, so the slot replaces the socket instead of acking into it.
		_ = c.ws.Close()
		return fmt.Errorf("write frame: %w", err)
	}
	return nil
}

func (c *conn) pingLoop() {
	t := time.NewTicker(c.m.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
			data := fmt.Sprintf("stickerbot:%d:%d", c.id, time.Now().UnixMilli())
			if err := c.ws.WriteControl(websocket.PingMessage, []byte(data), time.Now().Add(c.m.cfg.WriteTimeout)); err != nil {
				// No pong will come, so DeadAfter replaces the socket.
				c.log.Debug("ping not written", "err", err)
			}
		}
	}
}

// finish stops reading, waits for in-flight acks, sends a close frame and
// closes the socket. It is idempotent; concurrent callers all wait for it.
func (c *conn) finish(reason string) {
	c.finishOnce.Do(func() {
		c.stopReading()
		<-c.done
		// In-flight acks get their budget; after that the socket is closed
		// under them, so writes queued behind a stuck one fail at once.
		t := time.AfterFunc(c.m.cfg.AckBudget+c.m.cfg.WriteTimeout, func() { _ = c.ws.Close() })
		c.inflight.Wait()
		t.Stop()
		closeSocket(c.ws, c.m.cfg.WriteTimeout, c.log)
		c.m.unregister(c)
		c.log.Info("connection closed", "reason", reason)
	})
}

// closeLinger bounds how long closeSocket waits for Slack to close its side;
// Slack is reported not to close TCP after a client-initiated close.
const closeLinger = time.Second

// closeSocket sends a close frame, half-closes, and drains whatever Slack
// still sends until it closes too or closeLinger passes, then closes. Closing
// with unread bytes in the receive buffer makes the kernel send RST, and an
// RST can make Slack discard our last acks before it reads them. Nothing
// else may read ws while this runs.
func closeSocket(ws *websocket.Conn, writeTimeout time.Duration, log *slog.Logger) {
	defer func() { _ = ws.Close() }()
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	if err := ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(writeTimeout)); err != nil {
		if !errors.Is(err, websocket.ErrCloseSent) {
			log.Debug("close frame not written", "err", err)
		}
		return
	}
	nc := ws.NetConn()
	if hc, ok := nc.(interface{ CloseWrite() error }); ok {
		_ = hc.CloseWrite()
	}
	_ = nc.SetReadDeadline(time.Now().Add(min(writeTimeout, closeLinger)))
	_, _ = io.Copy(io.Discard, nc)
}
