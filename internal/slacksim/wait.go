package slacksim

import (
	"context"
	"time"
)

// pollInterval bounds how long a waiter sleeps between checks, for conditions
// that depend on state outside the fake.
const pollInterval = 10 * time.Millisecond

// waitFor evaluates check each time the fake's state changes (and every
// pollInterval) until it reports true, and fails the test (t.Fatalf) when ctx
// ends first.
func waitFor[T any](s *Server, ctx context.Context, what string, check func() (T, bool)) T {
	s.t.Helper()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if v, ok := check(); ok {
			return v
		}
		select {
		case <-ch:
		case <-tick.C:
		case <-ctx.Done():
			s.t.Fatalf("slacksim: waiting for %s: %v", what, ctx.Err())
			var zero T
			return zero
		}
	}
}

// WaitUntil waits until cond returns true, re-evaluating it whenever the fake's
// state changes and at least every 10ms. cond may call the Server's accessors. It calls t.Fatalf with
// what when ctx ends first.
func (s *Server) WaitUntil(ctx context.Context, what string, cond func() bool) {
	s.t.Helper()
	waitFor(s, ctx, what, func() (struct{}, bool) { return struct{}{}, cond() })
}

// WaitConnections waits until at least n connections are open and have been
// sent hello (and no disconnect), and returns them.
func (s *Server) WaitConnections(ctx context.Context, n int) []ConnInfo {
	s.t.Helper()
	return waitFor(s, ctx, "open connections", func() ([]ConnInfo, bool) {
		open := s.OpenConnections()
		return open, len(open) >= n
	})
}

// WaitConnClosed waits until connection i is closed and returns it.
func (s *Server) WaitConnClosed(ctx context.Context, i int) ConnInfo {
	s.t.Helper()
	return waitFor(s, ctx, "connection close", func() (ConnInfo, bool) {
		cs := s.Connections()
		if i >= len(cs) {
			return ConnInfo{}, false
		}
		return cs[i], cs[i].Closed
	})
}

// WaitAck waits for the first ack of envelopeID and returns it.
func (s *Server) WaitAck(ctx context.Context, envelopeID string) Ack {
	s.t.Helper()
	return waitFor(s, ctx, "ack of "+envelopeID, func() (Ack, bool) {
		for _, a := range s.Acks() {
			if a.EnvelopeID == envelopeID {
				return a, true
			}
		}
		return Ack{}, false
	})
}

// WaitCall waits for a call of method for which match returns true (nil
// matches any) and returns it. Calls made before WaitCall count.
func (s *Server) WaitCall(ctx context.Context, method string, match func(Call) bool) Call {
	s.t.Helper()
	return waitFor(s, ctx, "call of "+method, func() (Call, bool) {
		for _, c := range s.Calls(method) {
			if match == nil || match(c) {
				return c, true
			}
		}
		return Call{}, false
	})
}

// WaitResponse waits for the first POST to responseURL and returns it.
func (s *Server) WaitResponse(ctx context.Context, responseURL string) ResponsePost {
	s.t.Helper()
	return s.WaitResponseN(ctx, responseURL, 1)
}

// WaitResponseN waits for the n-th (1-based) POST to responseURL and returns it.
func (s *Server) WaitResponseN(ctx context.Context, responseURL string, n int) ResponsePost {
	s.t.Helper()
	return waitFor(s, ctx, "response_url post", func() (ResponsePost, bool) {
		seen := 0
		for _, p := range s.ResponsePosts() {
			if p.URL == responseURL {
				seen++
				if seen == n {
					return p, true
				}
			}
		}
		return ResponsePost{}, false
	})
}

// WaitMessage waits for a visible message in channel for which match returns
// true (nil matches any) and returns it.
func (s *Server) WaitMessage(ctx context.Context, channel string, match func(Message) bool) Message {
	s.t.Helper()
	return waitFor(s, ctx, "message in "+channel, func() (Message, bool) {
		for _, m := range s.Messages(channel) {
			if match == nil || match(m) {
				return m, true
			}
		}
		return Message{}, false
	})
}

// WaitUserError waits for a user-visible error (dispatch_failed,
// operation_timeout) about envelopeID and returns it.
func (s *Server) WaitUserError(ctx context.Context, envelopeID string) UserError {
	s.t.Helper()
	return waitFor(s, ctx, "user error for "+envelopeID, func() (UserError, bool) {
		for _, e := range s.UserErrors() {
			if e.EnvelopeID == envelopeID {
				return e, true
			}
		}
		return UserError{}, false
	})
}
