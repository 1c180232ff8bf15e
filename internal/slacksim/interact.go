package slacksim

import (
	"context"
	"encoding/json"
	"fmt"
)

// Click is a user clicking (or choosing an option of) an interactive element
// in a message or a modal view.
type Click struct {
	User     string
	UserName string // defaults to User in lower case
	// Message is the message clicked (as returned by [Server.Messages],
	// [Server.WaitMessage] or [ResponsePost.Message]); only its TS is used, the
	// current content comes from the fake. Leave zero for a view.
	Message Message
	// ViewID is the modal clicked in, when Message is zero.
	ViewID string
	// ActionID (and BlockID, if set) pick the element.
	ActionID string
	BlockID  string
	// Value picks the option of a select, overflow or radio element by value.
	// Buttons send their own value.
	Value string
	// Input, when set, is the element's new value (any select, a
	// dispatching input) instead of Value.
	Input *Input
	// Inputs are the view's inputs as they stand (view.state.values of a
	// click in a view).
	Inputs Inputs
}

// userJSON is the "user" object of interaction payloads.
func userJSON(id, name string) map[string]any {
	if name == "" {
		name = lowerASCII(id)
	}
	return map[string]any{"id": id, "username": name, "name": name, "team_id": TeamID}
}

// findElement returns the element with actionID (and blockID) in blocks, with
// its block_id.
func findElement(blocks json.RawMessage, actionID, blockID string) (map[string]any, string, bool) {
	var bs []map[string]any
	_ = json.Unmarshal(blocks, &bs)
	for _, b := range bs {
		bid, _ := str(b["block_id"])
		if blockID != "" && bid != blockID {
			continue
		}
		var els []any
		switch b["type"] {
		case "actions":
			els, _ = b["elements"].([]any)
		case "section":
			els = []any{b["accessory"]}
		case "input":
			els = []any{b["element"]}
		}
		for _, x := range els {
			if e, ok := x.(map[string]any); ok && e["action_id"] == actionID {
				return e, bid, true
			}
		}
	}
	return nil, "", false
}

// actionJSON builds the "actions" entry for element e.
func actionJSON(e map[string]any, blockID, value string) (map[string]any, error) {
	typ, _ := str(e["type"])
	act := map[string]any{"type": typ, "action_id": e["action_id"], "block_id": blockID, "action_ts": actionTS()}
	switch typ {
	case "button":
		act["text"] = e["text"]
		if v, ok := e["value"]; ok {
			act["value"] = v
		}
		if st, ok := e["style"]; ok {
			act["style"] = st
		}
	case "static_select", "overflow", "radio_buttons":
		opts, _ := e["options"].([]any)
		for _, o := range opts {
			if om, ok := o.(map[string]any); ok && om["value"] == value {
				act["selected_option"] = om
				return act, nil
			}
		}
		return nil, fmt.Errorf("no option with value %q", value)
	default:
		return nil, fmt.Errorf("clicking a %q element is not supported", typ)
	}
	return act, nil
}

// BlockAction sends a block_actions interaction for the element picked by c,
// built from the element as the bot posted it (value, text, block_id). A click
// in a message gets a fresh response_url whose "original" is that message; a
// click in a view gets none. Every click gets a fresh trigger_id. The payload
// has no "message" when the message is ephemeral (an assumption: Slack does
// not store ephemeral messages). If the element cannot be found, or the user
// cannot see the message, nothing is sent and Delivery.Err says why.
func (s *Server) BlockAction(ctx context.Context, c Click, opts ...DeliverOption) Delivery {
	s.mu.Lock()
	env := &envelope{id: newUUID(), typ: TypeInteractive, interaction: "block_actions", user: c.User}
	p := map[string]any{
		"type": "block_actions", "user": userJSON(c.User, c.UserName), "api_app_id": AppID,
		"token": VerificationToken, "team": map[string]any{"id": TeamID, "domain": TeamDomain},
		"enterprise": nil, "is_enterprise_install": false, "state": map[string]any{"values": map[string]any{}},
	}
	var blocks json.RawMessage
	switch {
	case c.Message.TS != "":
		m := s.findMessageLocked("", c.Message.TS)
		if m == nil || m.Deleted {
			s.mu.Unlock()
			return Delivery{Conn: -1, Err: fmt.Errorf("message %s does not exist (deleted?)", c.Message.TS)}
		}
		if m.Ephemeral && m.User != c.User {
			s.mu.Unlock()
			return Delivery{Conn: -1, Err: fmt.Errorf("user %s cannot see ephemeral message %s of %s", c.User, m.TS, m.User)}
		}
		blocks = m.Blocks
		env.channel = m.Channel
		ch := s.ensureChannelLocked(m.Channel, "")
		p["container"] = map[string]any{"type": "message", "message_ts": m.TS, "channel_id": m.Channel, "is_ephemeral": m.Ephemeral}
		p["channel"] = map[string]any{"id": ch.ID, "name": ch.Name}
		if !m.Ephemeral {
			p["message"] = messageJSON(m)
		}
		env.responseURL = s.newResponseURLLocked("actions", env.id, c.User, m.Channel, m.TS)
		p["response_url"] = env.responseURL
	case c.ViewID != "":
		v := s.views[c.ViewID]
		if v == nil || !v.open {
			s.mu.Unlock()
			return Delivery{Conn: -1, Err: fmt.Errorf("view %s is not open", c.ViewID)}
		}
		if v.user != c.User {
			s.mu.Unlock()
			return Delivery{Conn: -1, Err: fmt.Errorf("view %s is %s's: %s cannot see it", c.ViewID, v.user, c.User)}
		}
		vj := v.json()
		blocks = mustJSON(vj["blocks"])
		if c.Inputs != nil {
			values, err := s.stateValuesLocked(blocks, c.Inputs, false)
			if err != nil {
				s.mu.Unlock()
				return Delivery{Conn: -1, Err: err}
			}
			vj["state"] = map[string]any{"values": values}
		}
		p["container"] = map[string]any{"type": "view", "view_id": v.id}
		p["view"] = vj
		p["state"] = vj["state"]
	default:
		s.mu.Unlock()
		return Delivery{Conn: -1, Err: fmt.Errorf("click needs a Message or a ViewID")}
	}
	e, bid, ok := findElement(blocks, c.ActionID, c.BlockID)
	if !ok {
		s.mu.Unlock()
		return Delivery{Conn: -1, Err: fmt.Errorf("no element with action_id %q in %s", c.ActionID, blocks)}
	}
	var act map[string]any
	var err error
	if c.Input != nil {
		act, err = s.actionFromInputLocked(e, bid, *c.Input)
	} else {
		act, err = actionJSON(e, bid, c.Value)
	}
	if err != nil {
		s.mu.Unlock()
		return Delivery{Conn: -1, Err: err}
	}
	p["actions"] = []any{act}
	env.triggerID = s.newTriggerLocked(c.User, env.id)
	s.triggers[env.triggerID].viewID = c.ViewID
	p["trigger_id"] = env.triggerID
	s.mu.Unlock()
	env.payload = mustJSON(p)
	return s.dispatch(ctx, env, applyDeliverOpts(opts), -1)
}

// Submission is a user pressing Submit in a modal.
type Submission struct {
	User     string
	UserName string
	// ViewID is the submitted view; the default is the top of User's stack.
	ViewID string
	// Values maps action_id to the value typed (plain_text_input) or chosen
	// (static_select, radio_buttons: by option value; conversations_select:
	// by conversation ID).
	Values map[string]string
	// Files maps the action_id of a file_input to file IDs; they are sent as
	// full file objects, as Slack does.
	Files map[string][]string
	// Inputs, when set, replaces Values and Files: every input by block_id
	// and action_id, of any element type.
	Inputs Inputs
}

// ViewSubmission sends a view_submission interaction for the view, with
// view.state.values built from s and what was typed or chosen before
// ([Server.Type], [Server.Choose]; s.Values wins; untouched optional inputs
// are null). A conversations_select with response_url_enabled in an input
// block gives the payload's response_urls an entry for the conversation
// chosen, a response_url that posts there (in_channel, or ephemeral to
// the user) whether or not the bot is a member. Like
// the Slack client, it refuses (Delivery.Err) to submit a view with an empty
// required input or a view that is not on top of the user's stack. The ack
// is applied to the fake's modal stack: see [Server.OpenViews].
func (s *Server) ViewSubmission(ctx context.Context, sub Submission, opts ...DeliverOption) Delivery {
	s.mu.Lock()
	stack := s.stackLocked(sub.User)
	if len(stack) == 0 {
		s.mu.Unlock()
		return Delivery{Conn: -1, Err: fmt.Errorf("user %s has no open view", sub.User)}
	}
	top := stack[len(stack)-1]
	if sub.ViewID != "" && sub.ViewID != top.id {
		s.mu.Unlock()
		return Delivery{Conn: -1, Err: fmt.Errorf("view %s is not the top of %s's stack (%s)", sub.ViewID, sub.User, top.id)}
	}
	vj := top.json()
	values := map[string]any{}
	bs, _ := vj["blocks"].([]any)
	if sub.Inputs != nil {
		var err error
		values, err = s.stateValuesLocked(mustJSON(vj["blocks"]), sub.Inputs, true)
		if err != nil {
			s.mu.Unlock()
			return Delivery{Conn: -1, Err: err}
		}
		s.markSubmittedLocked(sub.Inputs)
		bs = nil
	}
	for _, x := range bs {
		b, _ := x.(map[string]any)
		if b["type"] != "input" {
			continue
		}
		bid, _ := str(b["block_id"])
		e, _ := b["element"].(map[string]any)
		aid, _ := str(e["action_id"])
		typ, _ := str(e["type"])
		optional, _ := b["optional"].(bool)
		st := map[string]any{"type": typ}
		val, hasVal := sub.Values[aid]
		// What the user typed or chose before, unless s overrides it.
		typed, hasTyped := top.values[bid][aid]
		set := hasVal && val != ""
		switch typ {
		case "plain_text_input":
			st["value"] = nil
			if set {
				st["value"] = val
			} else if !hasVal && hasTyped && typed["value"] != "" {
				st["value"], set = typed["value"], true
			}
		case "static_select", "radio_buttons":
			st["selected_option"] = nil
			if set {
				act, err := actionJSON(e, bid, val)
				if err != nil {
					s.mu.Unlock()
					return Delivery{Conn: -1, Err: fmt.Errorf("input %s: %w", aid, err)}
				}
				st["selected_option"] = act["selected_option"]
			}
		case "conversations_select":
			st["selected_conversation"] = nil
			switch {
			case set && !s.canSeeLocked(sub.User, val):
				s.mu.Unlock()
				return Delivery{Conn: -1, Err: fmt.Errorf("input %s: the menu does not list %s to %s", aid, val, sub.User)}
			case set:
				st["selected_conversation"] = val
			case !hasVal && hasTyped && typed["selected_conversation"] != nil:
				st["selected_conversation"], set = typed["selected_conversation"], true
			}
		case "file_input":
			files := []any{}
			for _, id := range sub.Files[aid] {
				f := s.files[id]
				if f == nil {
					s.mu.Unlock()
					return Delivery{Conn: -1, Err: fmt.Errorf("input %s: unknown file %s", aid, id)}
				}
				f.submitted = true
				files = append(files, s.fileJSONLocked(f))
			}
			st["files"] = files
			set = len(files) > 0
		default:
			if set {
				st["value"] = val
			}
		}
		if !optional && !set {
			s.mu.Unlock()
			return Delivery{Conn: -1, Err: fmt.Errorf("required input %s/%s is empty: the Slack client would not submit", bid, aid)}
		}
		if values[bid] == nil {
			values[bid] = map[string]any{}
		}
		values[bid].(map[string]any)[aid] = st
	}
	vj["state"] = map[string]any{"values": values}
	env := &envelope{id: newUUID(), typ: TypeInteractive, interaction: "view_submission", user: sub.User, viewID: top.id}
	env.triggerID = s.newTriggerLocked(sub.User, env.id)
	s.triggers[env.triggerID].viewID = top.id
	allBlocks, _ := vj["blocks"].([]any)
	responseURLs := s.responseURLsLocked(env.id, sub.User, allBlocks, values)
	s.mu.Unlock()
	env.payload = mustJSON(map[string]any{
		"type": "view_submission", "team": map[string]any{"id": TeamID, "domain": TeamDomain},
		"user": userJSON(sub.User, sub.UserName), "api_app_id": AppID, "token": VerificationToken,
		"trigger_id": env.triggerID, "view": vj, "response_urls": responseURLs,
		"enterprise": nil, "is_enterprise_install": false,
	})
	return s.dispatch(ctx, env, applyDeliverOpts(opts), -1)
}
