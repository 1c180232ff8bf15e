package slacksim

import (
	"context"
	"errors"
	"fmt"
)

// CloseView is user closing the modal viewID, the top of their stack:
// its close button goes back to the view under it, the X (all) closes
// every view. A view that asked for it (notify_on_close) makes the app
// get a view_closed interaction, is_cleared when every view closed.
// Delivery.Conn is -1 when nothing was sent.
func (s *Server) CloseView(ctx context.Context, user, viewID string, all bool) (Delivery, error) {
	s.mu.Lock()
	stack := s.stackLocked(user)
	if len(stack) == 0 || stack[len(stack)-1].id != viewID {
		s.mu.Unlock()
		return Delivery{Conn: -1}, fmt.Errorf("view %s is not the top of %s's stack", viewID, user)
	}
	top := stack[len(stack)-1]
	vj := top.json()
	notify, _ := top.req["notify_on_close"].(bool)
	if all {
		s.closeStackLocked(user)
	} else {
		top.open = false
		s.notifyLocked()
	}
	if !notify {
		s.mu.Unlock()
		return Delivery{Conn: -1}, nil
	}
	u, _ := s.user(user)
	env := &envelope{id: newUUID(), typ: TypeInteractive, interaction: "view_closed", user: user}
	s.mu.Unlock()
	env.payload = mustJSON(map[string]any{
		"type": "view_closed", "team": map[string]any{"id": TeamID, "domain": TeamDomain},
		"user": userJSON(user, u.Name), "api_app_id": AppID, "token": VerificationToken,
		"view": vj, "is_cleared": all || len(stack) == 1,
		"enterprise": nil, "is_enterprise_install": false,
	})
	return s.dispatch(ctx, env, applyDeliverOpts(nil), -1), nil
}

// ErrNoAck is AwaitAck's error when the ack did not come in time.
var ErrNoAck = errors.New("no ack in time")

// AwaitAck waits for the first ack of envelopeID, until ctx ends (then
// the error wraps ErrNoAck). Unlike WaitAck it needs no test.
func (s *Server) AwaitAck(ctx context.Context, envelopeID string) (Ack, error) {
	for {
		s.mu.Lock()
		ch := s.changed
		for _, a := range s.acks {
			if a.EnvelopeID == envelopeID {
				s.mu.Unlock()
				return a, nil
			}
		}
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return Ack{}, fmt.Errorf("%w: envelope %s: %w", ErrNoAck, envelopeID, ctx.Err())
		case <-s.done:
			return Ack{}, fmt.Errorf("%w: envelope %s: the simulator stopped", ErrNoAck, envelopeID)
		}
	}
}
