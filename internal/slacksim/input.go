package slacksim

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"unicode/utf8"
)

// What a person types or chooses in a modal's inputs, before submitting
// it: Slack's client keeps it per view (view.state.values), sends it with
// every block_actions from the view and with the view_submission, and keeps
// it across views.update for every element whose block_id and action_id
// stay the same.

// Typing is a person typing into a plain_text_input of a modal: the text
// box holds Value afterwards (each call is one character entered or
// removed, as far as dispatch goes).
type Typing struct {
	User     string
	UserName string // defaults to User in lower case
	// ViewID is the modal typed in; it must be the top of User's stack.
	ViewID   string
	ActionID string
	Value    string
	// Enter presses Enter after typing.
	Enter bool
}

// Choice is a person choosing a conversation in a conversations_select
// of a modal.
type Choice struct {
	User     string
	UserName string
	ViewID   string // the top of User's stack, or their Home tab
	ActionID string
	// Conversation is the chosen conversation's ID. The menu lists only
	// conversations User can see: public channels and the private ones
	// and DMs User is in.
	Conversation string
}

// inputTarget finds an input element by action_id in the top view of
// user's stack. s.mu must be held.
func (s *Server) inputTargetLocked(user, viewID, actionID string) (*viewState, map[string]any, map[string]any, error) {
	var top *viewState
	if id, ok := s.homes[user]; ok && viewID != "" && viewID == id {
		top = s.views[id] // the Home tab, open beside any modal
	} else {
		stack := s.stackLocked(user)
		if len(stack) == 0 {
			return nil, nil, nil, fmt.Errorf("user %s has no open view", user)
		}
		top = stack[len(stack)-1]
		if viewID != "" && viewID != top.id {
			return nil, nil, nil, fmt.Errorf("view %s is not the top of %s's stack (%s): the user cannot see it", viewID, user, top.id)
		}
	}
	bs, _ := top.json()["blocks"].([]any)
	for _, x := range bs {
		b, _ := x.(map[string]any)
		var e map[string]any
		switch b["type"] {
		case "input":
			e, _ = b["element"].(map[string]any)
		case "actions":
			els, _ := b["elements"].([]any)
			for _, y := range els {
				if m, _ := y.(map[string]any); m["action_id"] == actionID {
					e = m
				}
			}
		}
		if e != nil && e["action_id"] == actionID {
			return top, b, e, nil
		}
	}
	return nil, nil, nil, fmt.Errorf("no input with action_id %q in view %s", actionID, top.id)
}

// setValueLocked records what the user typed or chose in element e of
// block b. s.mu must be held.
func (v *viewState) setValueLocked(b, entry map[string]any) {
	bid, _ := str(b["block_id"])
	if v.values == nil {
		v.values = map[string]map[string]map[string]any{}
	}
	if v.values[bid] == nil {
		v.values[bid] = map[string]map[string]any{}
	}
	aid, _ := str(entry["action_id"])
	st := maps.Clone(entry)
	delete(st, "action_id")
	delete(st, "block_id")
	delete(st, "action_ts")
	delete(st, "placeholder")
	v.values[bid][aid] = st
}

// keepValuesLocked drops what was typed into elements a views.update
// removed (or whose type changed), as the client does: the rest stays.
func (v *viewState) keepValuesLocked() {
	kept := map[string]map[string]map[string]any{}
	bs, _ := v.req["blocks"].([]any)
	for _, x := range bs {
		b, _ := x.(map[string]any)
		bid, _ := str(b["block_id"])
		var els []any
		switch b["type"] {
		case "input":
			els = []any{b["element"]}
		case "actions":
			els, _ = b["elements"].([]any)
		}
		for _, y := range els {
			e, _ := y.(map[string]any)
			aid, _ := str(e["action_id"])
			if st, ok := v.values[bid][aid]; ok && st["type"] == e["type"] {
				if kept[bid] == nil {
					kept[bid] = map[string]map[string]any{}
				}
				kept[bid][aid] = st
			}
		}
	}
	v.values = kept
}

// stateJSON is view.state as Slack sends it: what the user typed or chose.
func (v *viewState) stateJSON() map[string]any {
	values := map[string]any{}
	for bid, els := range v.values {
		m := map[string]any{}
		for aid, st := range els {
			m[aid] = maps.Clone(st)
		}
		values[bid] = m
	}
	return map[string]any{"values": values}
}

// dispatches reports whether an input block dispatches block_actions on
// trigger (on_enter_pressed, on_character_entered). dispatch_action
// without a dispatch_action_config dispatches on Enter only.
func dispatches(b, e map[string]any, trigger string) bool {
	if b["type"] == "actions" {
		return true // elements of actions blocks always dispatch
	}
	if on, _ := b["dispatch_action"].(bool); !on {
		return false
	}
	cfg, _ := e["dispatch_action_config"].(map[string]any)
	triggers, _ := cfg["trigger_actions_on"].([]any)
	if len(triggers) == 0 {
		return trigger == "on_enter_pressed"
	}
	return slices.Contains(triggers, any(trigger))
}

// viewActionLocked builds the block_actions envelope of an interaction in
// view v: no response_url, the view (with its state) and its container, a
// fresh trigger_id. s.mu must be held.
func (s *Server) viewActionLocked(v *viewState, user, userName string, act map[string]any) *envelope {
	env := &envelope{id: newUUID(), typ: TypeInteractive, interaction: "block_actions", user: user}
	env.triggerID = s.newTriggerLocked(user, env.id)
	s.triggers[env.triggerID].viewID = v.id
	vj := v.json()
	env.payload = mustJSON(map[string]any{
		"type": "block_actions", "user": userJSON(user, userName), "api_app_id": AppID,
		"token": VerificationToken, "team": map[string]any{"id": TeamID, "domain": TeamDomain},
		"enterprise": nil, "is_enterprise_install": false,
		"container":  map[string]any{"type": "view", "view_id": v.id},
		"trigger_id": env.triggerID, "view": vj, "state": vj["state"],
		"actions": []any{act},
	})
	return env
}

// Type types tp.Value into a plain_text_input of the top modal of
// tp.User. When its input block dispatches on on_character_entered (or
// tp.Enter and on_enter_pressed), the bot gets a block_actions with the
// text as the action's value; otherwise nothing is sent (the Delivery has
// no EnvelopeID) and the text waits for the submission. Like the client,
// it refuses (Delivery.Err) text over the element's max_length and views
// the user cannot see.
func (s *Server) Type(ctx context.Context, tp Typing, opts ...DeliverOption) Delivery {
	s.mu.Lock()
	v, b, e, err := s.inputTargetLocked(tp.User, tp.ViewID, tp.ActionID)
	if err == nil && e["type"] != "plain_text_input" {
		err = fmt.Errorf("%s is a %v, not a plain_text_input", tp.ActionID, e["type"])
	}
	if err == nil {
		if n, ok := e["max_length"].(float64); ok && utf8.RuneCountInString(tp.Value) > int(n) {
			err = fmt.Errorf("%s takes at most %v characters", tp.ActionID, n)
		}
	}
	if err != nil {
		s.mu.Unlock()
		return Delivery{Type: TypeInteractive, Conn: -1, Err: err}
	}
	bid, _ := str(b["block_id"])
	act, err := s.actionFromInputLocked(e, bid, Input{Value: &tp.Value})
	if err != nil {
		s.mu.Unlock()
		return Delivery{Type: TypeInteractive, Conn: -1, Err: err}
	}
	v.setValueLocked(b, act)
	s.notifyLocked()
	trigger := "on_character_entered"
	if tp.Enter {
		trigger = "on_enter_pressed"
	}
	if !dispatches(b, e, trigger) {
		s.mu.Unlock()
		return Delivery{Type: TypeInteractive, Conn: -1}
	}
	env := s.viewActionLocked(v, tp.User, tp.UserName, act)
	s.mu.Unlock()
	return s.dispatch(ctx, env, applyDeliverOpts(opts), -1)
}

// Choose picks a conversation in a conversations_select of the top modal
// of ch.User (or of their Home tab, when ch.ViewID is its id). In an actions block, or an input block with dispatch_action,
// the bot gets a block_actions; in an input block it waits for the
// submission (which, with response_url_enabled, carries a response_url
// for the conversation: see [Server.ViewSubmission]).
func (s *Server) Choose(ctx context.Context, ch Choice, opts ...DeliverOption) Delivery {
	s.mu.Lock()
	v, b, e, err := s.inputTargetLocked(ch.User, ch.ViewID, ch.ActionID)
	if err == nil && e["type"] != "conversations_select" {
		err = fmt.Errorf("%s is a %v, not a conversations_select", ch.ActionID, e["type"])
	}
	if err == nil && !s.canSeeLocked(ch.User, ch.Conversation) {
		err = fmt.Errorf("the menu does not list %s to %s", ch.Conversation, ch.User)
	}
	if err != nil {
		s.mu.Unlock()
		return Delivery{Type: TypeInteractive, Conn: -1, Err: err}
	}
	bid, _ := str(b["block_id"])
	act, err := s.actionFromInputLocked(e, bid, Input{Selected: []string{ch.Conversation}})
	if err != nil {
		s.mu.Unlock()
		return Delivery{Type: TypeInteractive, Conn: -1, Err: err}
	}
	v.setValueLocked(b, act)
	s.notifyLocked()
	if b["type"] == "input" && b["dispatch_action"] != true {
		s.mu.Unlock()
		return Delivery{Type: TypeInteractive, Conn: -1}
	}
	env := s.viewActionLocked(v, ch.User, ch.UserName, act)
	s.mu.Unlock()
	return s.dispatch(ctx, env, applyDeliverOpts(opts), -1)
}

// canSeeLocked reports whether user can see conversation id: a known
// public channel, or a private channel or DM user is in. s.mu must be
// held.
func (s *Server) canSeeLocked(user, id string) bool {
	ch := s.channels[id]
	if ch == nil {
		return false
	}
	if ch.Private || id[0] == 'D' || id[0] == 'G' {
		return slices.Contains(ch.Members, user)
	}
	return true
}

// responseURLsLocked issues the response_urls of a view_submission: one
// for each conversations_select with response_url_enabled, in an input
// block, that has a conversation chosen. s.mu must be held.
func (s *Server) responseURLsLocked(envelopeID, user string, blocks []any, values map[string]any) []any {
	out := []any{}
	for _, x := range blocks {
		b, _ := x.(map[string]any)
		e, _ := b["element"].(map[string]any)
		if b["type"] != "input" || e["type"] != "conversations_select" || e["response_url_enabled"] != true {
			continue
		}
		bid, _ := str(b["block_id"])
		aid, _ := str(e["action_id"])
		st, _ := values[bid].(map[string]any)[aid].(map[string]any)
		channel, _ := str(st["selected_conversation"])
		if channel == "" {
			continue
		}
		u := s.newResponseURLLocked("app", envelopeID, user, channel, "")
		out = append(out, map[string]any{"block_id": bid, "action_id": aid, "channel_id": channel, "response_url": u})
	}
	return out
}
