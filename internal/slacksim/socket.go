package slacksim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// maxFrame is Slack's limit on client frames.
const maxFrame = 20480

type ticket struct {
	issued time.Time
	used   bool
}

// conn is one Socket Mode WebSocket. Fields after ws are guarded by Server.mu,
// except that writes to ws are serialised by writeMu.
type conn struct {
	idx      int
	host     string
	query    string
	ws       *websocket.Conn
	closedCh chan struct{}
	writeMu  chan struct{} // 1-slot semaphore; a channel so it can be awaited with a deadline

	openedAt    time.Time
	hello       bool
	rejected    bool
	disconnect  string
	blackholed  bool
	noPing      bool
	closed      bool
	closeReason string
	pingsSent   int
	pongs       int
	clientPings int
}

func (c *conn) info() ConnInfo {
	return ConnInfo{
		Index: c.idx, Host: c.host, Query: c.query, OpenedAt: c.openedAt,
		Hello: c.hello, Rejected: c.rejected, Disconnect: c.disconnect,
		Blackholed: c.blackholed, Pinging: !c.noPing && !c.closed && !c.rejected,
		Closed: c.closed, CloseReason: c.closeReason,
		PingsSent: c.pingsSent, Pongs: c.pongs, ClientPings: c.clientPings,
	}
}

// live reports whether envelopes may be routed to c by default. s.mu must be held.
func (c *conn) live() bool { return c.hello && !c.closed && !c.rejected && c.disconnect == "" }

// openConnectionLocked answers apps.connections.open. s.mu must be held.
func (s *Server) openConnectionLocked() map[string]any {
	id := newUUID()
	s.tickets[id] = &ticket{issued: time.Now()}
	u := strings.Replace(s.base, "http://", "ws://", 1) + "/link/?ticket=" + id + "&app_id=" + AppID
	return map[string]any{"ok": true, "url": u}
}

// serveLink upgrades /link/?ticket=... to a Socket Mode connection.
func (s *Server) serveLink(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("ticket")
	s.mu.Lock()
	tk := s.tickets[id]
	switch {
	case tk == nil:
		s.mu.Unlock()
		http.Error(w, "invalid ticket", http.StatusUnauthorized)
		return
	case tk.used:
		s.mu.Unlock()
		http.Error(w, "ticket already used", http.StatusForbidden)
		return
	}
	tk.used = true
	s.mu.Unlock()

	// slack-go dials with Origin: https://api.slack.com.
	upgrader := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade already answered.
	}
	c := &conn{ws: ws, query: r.URL.RawQuery, closedCh: make(chan struct{}), writeMu: make(chan struct{}, 1), openedAt: time.Now()}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ws.NetConn().Close()
		return
	}
	c.idx = len(s.conns)
	c.host = fmt.Sprintf("applink-%d", c.idx)
	open := 0
	for _, o := range s.conns {
		if !o.closed && !o.rejected {
			open++
		}
	}
	c.rejected = open >= s.cfg.maxConns
	s.conns = append(s.conns, c)
	s.notifyLocked()
	s.mu.Unlock()
	s.logf("conn %d: opened (%s)", c.idx, r.URL.RawQuery)

	ws.SetPingHandler(func(data string) error {
		s.mu.Lock()
		c.clientPings++
		hole := c.blackholed
		s.notifyLocked()
		s.mu.Unlock()
		if hole {
			return nil
		}
		err := ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(5*time.Second))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		return err
	})
	ws.SetPongHandler(func(string) error {
		s.mu.Lock()
		if !c.blackholed {
			c.pongs++
			s.notifyLocked()
		}
		s.mu.Unlock()
		return nil
	})

	if c.rejected {
		_ = s.writeFrame(context.Background(), c, map[string]any{
			"type": "disconnect", "reason": "too_many_websockets",
			"debug_info": map[string]any{"host": c.host},
		})
		s.dropConn(c, "too_many_websockets")
		return
	}

	s.spawn(func() { s.readLoop(c) })
	s.spawn(func() { s.pingLoop(c) })

	switch d := s.cfg.helloDelay; {
	case d < 0:
	case d == 0:
		s.sendHello(c)
	default:
		s.goAfter(d, func() { s.sendHello(c) })
	}
}

// sendHello sends hello on c, then flushes queued events.
func (s *Server) sendHello(c *conn) {
	s.mu.Lock()
	if c.closed {
		s.mu.Unlock()
		return
	}
	n := 0
	for _, o := range s.conns {
		if !o.closed && !o.rejected {
			n++
		}
	}
	s.mu.Unlock()
	var queued []*eventState
	// Mark the connection ready; frames routed to it queue behind hello.
	ready := func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		c.hello = true
		for _, ev := range s.events {
			if ev.queued && !ev.acked {
				ev.queued = false
				queued = append(queued, ev)
			}
		}
		s.notifyLocked()
	}
	err := s.writeFrameThen(context.Background(), c, map[string]any{
		"type":            "hello",
		"num_connections": n,
		"debug_info": map[string]any{
			"host":                        c.host,
			"started":                     c.openedAt.UTC().Format("2006-01-02 15:04:05.000"),
			"build_number":                54,
			"approximate_connection_time": 18060,
		},
		"connection_info": map[string]any{"app_id": AppID},
	}, ready)
	if err != nil {
		return
	}
	for _, ev := range queued {
		s.sendEvent(context.Background(), ev, ev.nextAttempt, "timeout", -1)
	}
}

// writeFrame marshals v and sends it as one text frame. Blackholed connections
// swallow the frame.
func (s *Server) writeFrame(ctx context.Context, c *conn, v any) error {
	return s.writeFrameThen(ctx, c, v, nil)
}

// writeFrameThen is writeFrame, calling first (if not nil) just before the
// write, once no other frame can be written on c before this one.
func (s *Server) writeFrameThen(ctx context.Context, c *conn, v any, first func()) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	// Slack's JSON escapes "/" (seen in slash command frames); stay as strict.
	b = bytes.ReplaceAll(b, []byte("/"), []byte(`\/`))
	deadline := time.Now().Add(5 * time.Second)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	select {
	case c.writeMu <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	case <-c.closedCh:
		return errors.New("connection closed")
	}
	defer func() { <-c.writeMu }()
	s.mu.Lock()
	hole, closed := c.blackholed, c.closed
	s.mu.Unlock()
	if closed {
		return errors.New("connection closed")
	}
	if first != nil {
		first()
	}
	if hole {
		s.logf("conn %d: blackholed frame %s", c.idx, b)
	} else {
		_ = c.ws.SetWriteDeadline(deadline)
		if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
			return err
		}
		s.logf("conn %d: sent %s", c.idx, b)
	}
	return nil
}

// readLoop reads acks from c until it closes.
func (s *Server) readLoop(c *conn) {
	for {
		mt, r, err := c.ws.NextReader()
		if err != nil {
			reason := "read error: " + err.Error()
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				reason = fmt.Sprintf("client closed: %d %s", ce.Code, ce.Text)
			}
			s.dropConn(c, reason)
			return
		}
		data, err := io.ReadAll(io.LimitReader(r, maxFrame+1))
		if err != nil {
			s.dropConn(c, "read error: "+err.Error())
			return
		}
		s.mu.Lock()
		hole := c.blackholed
		s.mu.Unlock()
		if hole {
			continue // a blackholed socket never sees the client's frames
		}
		if len(data) > maxFrame {
			s.mu.Lock()
			s.violationLocked(ViolationFrameTooLarge, "", c.idx, "client frame over %d bytes", maxFrame)
			s.mu.Unlock()
			msg := websocket.FormatCloseMessage(websocket.CloseMessageTooBig, fmt.Sprintf("Max frame length of %d has been exceeded.", maxFrame))
			_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
			s.dropConn(c, "frame too large (1009)")
			return
		}
		s.logf("conn %d: received %s", c.idx, data)
		if mt != websocket.TextMessage {
			s.mu.Lock()
			s.violationLocked(ViolationBadFrame, "", c.idx, "binary frame")
			s.mu.Unlock()
			continue
		}
		s.handleAck(c, data)
	}
}

// pingLoop sends "Ping from applink-N" every ping interval.
func (s *Server) pingLoop(c *conn) {
	if s.cfg.pingInterval <= 0 {
		return
	}
	tick := time.NewTicker(s.cfg.pingInterval)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
		case <-c.closedCh:
			return
		case <-s.done:
			return
		}
		s.mu.Lock()
		skip := c.noPing || c.blackholed
		if !skip {
			c.pingsSent++
			s.notifyLocked()
		}
		s.mu.Unlock()
		if !skip {
			_ = c.ws.WriteControl(websocket.PingMessage, []byte("Ping from "+c.host), time.Now().Add(5*time.Second))
		}
	}
}

// dropConn closes c's TCP connection without a close frame and records why.
func (s *Server) dropConn(c *conn, reason string) {
	s.mu.Lock()
	if c.closed {
		s.mu.Unlock()
		return
	}
	c.closed = true
	if c.closeReason == "" {
		c.closeReason = reason
	}
	close(c.closedCh)
	s.notifyLocked()
	s.mu.Unlock()
	_ = c.ws.NetConn().Close()
	s.logf("conn %d: closed: %s", c.idx, reason)
}

// connByIndex returns connection i or fails the test.
func (s *Server) connByIndex(i int) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i < 0 || i >= len(s.conns) {
		s.t.Errorf("slacksim: no connection %d (have %d)", i, len(s.conns))
		return nil
	}
	return s.conns[i]
}

// Disconnect sends {"type":"disconnect","reason":reason} on connection i, as
// Slack does before refreshing ("warning", "refresh_requested") or when Socket
// Mode is turned off ("link_disabled"). The socket stays open until the client
// closes it; no envelopes are routed to it any more unless a delivery names it
// with [OnConn].
func (s *Server) Disconnect(i int, reason string) {
	c := s.connByIndex(i)
	if c == nil {
		return
	}
	s.mu.Lock()
	c.disconnect = reason
	s.notifyLocked()
	s.mu.Unlock()
	_ = s.writeFrame(context.Background(), c, map[string]any{
		"type": "disconnect", "reason": reason,
		"debug_info": map[string]any{"host": c.host},
	})
}

// CloseConn closes connection i cleanly with a 1000 close frame.
func (s *Server) CloseConn(i int) {
	c := s.connByIndex(i)
	if c == nil {
		return
	}
	s.mu.Lock()
	if !c.closed {
		c.closeReason = "server closed: 1000"
	}
	s.mu.Unlock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	// Give the client a moment to answer the close handshake, then drop TCP.
	s.goAfter(200*time.Millisecond, func() { s.dropConn(c, "server closed: 1000") })
}

// DropConn drops connection i's TCP connection without a close frame (the
// client sees 1006).
func (s *Server) DropConn(i int) {
	if c := s.connByIndex(i); c != nil {
		s.dropConn(c, "server dropped TCP")
	}
}

// StopPinging stops server pings on connection i.
func (s *Server) StopPinging(i int) {
	if c := s.connByIndex(i); c != nil {
		s.mu.Lock()
		c.noPing = true
		s.notifyLocked()
		s.mu.Unlock()
	}
}

// Blackhole makes connection i a half-open socket: the fake stops reading from
// it (frames and pings from the client are ignored) and writing to it (no
// pings, pongs or envelopes), but keeps TCP open. Envelopes routed to it are
// lost, as with a dead NAT entry.
func (s *Server) Blackhole(i int) {
	if c := s.connByIndex(i); c != nil {
		s.mu.Lock()
		c.blackholed = true
		s.notifyLocked()
		s.mu.Unlock()
	}
}

// Connections returns every connection accepted so far, open or closed.
func (s *Server) Connections() []ConnInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ConnInfo, len(s.conns))
	for i, c := range s.conns {
		out[i] = c.info()
	}
	return out
}

// OpenConnections returns the connections that got hello, are still open and
// were not sent a disconnect frame: those that receive envelopes by default.
func (s *Server) OpenConnections() []ConnInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ConnInfo
	for _, c := range s.conns {
		if c.live() {
			out = append(out, c.info())
		}
	}
	return out
}

// ackFrame is what clients send back.
type ackFrame struct {
	EnvelopeID *string         `json:"envelope_id"`
	Payload    json.RawMessage `json:"payload"`
}

// normalizePayload maps a missing, null or {} payload to nil.
func normalizePayload(p json.RawMessage) json.RawMessage {
	t := bytes.TrimSpace(p)
	if len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(t, &m) == nil && len(m) == 0 {
		return nil
	}
	return json.RawMessage(t)
}

// handleAck records an ack frame from c and applies its effects.
func (s *Server) handleAck(c *conn, data []byte) {
	var f ackFrame
	if err := json.Unmarshal(data, &f); err != nil || f.EnvelopeID == nil {
		s.mu.Lock()
		s.violationLocked(ViolationBadFrame, "", c.idx, "not an ack: %s", data)
		s.notifyLocked()
		s.mu.Unlock()
		return
	}
	a := Ack{EnvelopeID: *f.EnvelopeID, Conn: c.idx, DeliveredConn: -1, Payload: normalizePayload(f.Payload), Raw: append(json.RawMessage(nil), data...), At: time.Now()}

	s.mu.Lock()
	defer s.mu.Unlock()
	env := s.envelopes[a.EnvelopeID]
	if env == nil {
		a.Unknown = true
		s.acks = append(s.acks, a)
		s.violationLocked(ViolationUnknownAck, a.EnvelopeID, c.idx, "ack for an envelope_id never sent")
		s.notifyLocked()
		return
	}
	s.recordAckLocked(env, a)
}

// Acks returns every ack received, in order.
func (s *Server) Acks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Ack(nil), s.acks...)
}

// Violations returns the protocol violations recorded so far.
func (s *Server) Violations() []Violation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Violation(nil), s.violations...)
}

// UserErrors returns the errors users saw (dispatch_failed, operation_timeout).
func (s *Server) UserErrors() []UserError {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]UserError(nil), s.userErrors...)
}
