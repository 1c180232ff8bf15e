package slacksim

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// trigger is one issued trigger_id. Guarded by Server.mu.
type trigger struct {
	user       string
	issued     time.Time
	used       bool
	envelopeID string
	viewID     string // set when the interaction happened inside a view
}

var triggerPattern = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9a-f]+$`)

// newTriggerLocked issues a trigger_id like
// 5522672900359.6335258913941.9a930ce254ab481dcf90c6ad200e636f. s.mu must be held.
func (s *Server) newTriggerLocked(user, envelopeID string) string {
	id := randomDigits(13) + "." + randomDigits(13) + "." + randomHex(16)
	s.triggers[id] = &trigger{user: user, issued: time.Now(), envelopeID: envelopeID}
	return id
}

// exchangeTriggerLocked uses up a trigger_id or returns Slack's error code.
// s.mu must be held.
func (s *Server) exchangeTriggerLocked(id string) (*trigger, string) {
	tr := s.triggers[id]
	switch {
	case !triggerPattern.MatchString(id) || tr == nil:
		return nil, "invalid_trigger_id"
	case tr.used:
		return nil, "exchanged_trigger_id"
	case time.Since(tr.issued) > s.cfg.triggerTTL:
		return nil, "expired_trigger_id"
	}
	tr.used = true
	return tr, ""
}

// viewState is one modal view. Guarded by Server.mu.
type viewState struct {
	id         string
	user       string
	hash       string
	rootID     string
	previousID string
	req        map[string]any // the view object as the app sent it (blocks normalised)
	open       bool
	created    time.Time
	home       bool              // a Home tab (views.publish), not on any modal stack
	errors     map[string]string // field errors of the last submission
	// values is what the user typed or chose (view.state.values): block_id
	// → action_id → state entry.
	values map[string]map[string]map[string]any
}

// View is a modal view opened by the bot.
type View struct {
	ID              string
	User            string
	CallbackID      string
	ExternalID      string
	PrivateMetadata string
	Title           string
	Hash            string
	RootID          string
	PreviousID      string
	Blocks          json.RawMessage
	// JSON is the whole view object as Slack returns it.
	JSON json.RawMessage
	// Open reports whether the view is still on the user's modal stack.
	Open bool
	// Type is "modal" or "home".
	Type string
	// Errors are the field errors (by block_id) the app answered the last
	// submission with, shown under the fields.
	Errors map[string]string
}

// InputBlockIDs returns the block_ids of the view's input blocks.
func (v View) InputBlockIDs() []string {
	var blocks []map[string]any
	_ = json.Unmarshal(v.Blocks, &blocks)
	var out []string
	for _, b := range blocks {
		if b["type"] == "input" {
			if id, ok := str(b["block_id"]); ok {
				out = append(out, id)
			}
		}
	}
	return out
}

func (v *viewState) json() map[string]any {
	o := map[string]any{
		"id": v.id, "team_id": TeamID, "type": "modal",
		"private_metadata": "", "callback_id": "", "external_id": "",
		"state":        map[string]any{"values": map[string]any{}},
		"hash":         v.hash,
		"title":        nil,
		"close":        nil,
		"submit":       nil,
		"blocks":       []any{},
		"root_view_id": v.rootID, "previous_view_id": nil,
		"clear_on_close": false, "notify_on_close": false,
		"app_id": AppID, "bot_id": BotID, "app_installed_team_id": TeamID,
	}
	if v.previousID != "" {
		o["previous_view_id"] = v.previousID
	}
	for k, x := range v.req {
		o[k] = x
	}
	o["id"], o["hash"], o["root_view_id"] = v.id, v.hash, v.rootID
	o["state"] = v.stateJSON()
	return o
}

func (v *viewState) snapshot() View {
	j := v.json()
	out := View{ID: v.id, User: v.user, Hash: v.hash, RootID: v.rootID, PreviousID: v.previousID, Open: v.open, JSON: mustJSON(j), Type: "modal"}
	if v.home {
		out.Type = "home"
	}
	if len(v.errors) > 0 {
		out.Errors = make(map[string]string, len(v.errors))
		for k, e := range v.errors {
			out.Errors[k] = e
		}
	}
	out.CallbackID, _ = str(v.req["callback_id"])
	out.ExternalID, _ = str(v.req["external_id"])
	out.PrivateMetadata, _ = str(v.req["private_metadata"])
	if t, ok := v.req["title"].(map[string]any); ok {
		out.Title, _ = str(t["text"])
	}
	out.Blocks = mustJSON(j["blocks"])
	return out
}

func newViewHash() string {
	return strconv.FormatInt(time.Now().Unix(), 10) + "." + randomID("", 8)
}

// invalidArgs is Slack's invalid_arguments answer with response_metadata.messages.
func invalidArgs(errs []string) apiResp {
	r := errResp("invalid_arguments")
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = "[ERROR] " + e
	}
	r.body["response_metadata"] = map[string]any{"messages": msgs}
	return r
}

// parseViewLocked validates a modal view object. s.mu must be held.
func (s *Server) parseViewLocked(raw string) (map[string]any, *apiResp) {
	return s.parseViewTypeLocked(raw, "modal")
}

// parseViewTypeLocked validates a view object of type typ (modal or
// home). s.mu must be held.
func (s *Server) parseViewTypeLocked(raw, typ string) (map[string]any, *apiResp) {
	if raw == "" {
		r := invalidArgs([]string{"missing required field: view"})
		return nil, &r
	}
	if len(raw) > 250*1024 {
		r := errResp("view_too_large")
		return nil, &r
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		r := invalidArgs([]string{"must provide an object [json-pointer:/view]"})
		return nil, &r
	}
	var errs []string
	if t, _ := str(v["type"]); t != typ {
		errs = append(errs, "must be "+typ+" [json-pointer:/view/type]")
	}
	probs, err := s.blockChecker().View(json.RawMessage(raw))
	if err != nil {
		errs = append(errs, "must provide an object [json-pointer:/view]")
	}
	for _, p := range probs {
		errs = append(errs, p.String())
	}
	if len(errs) > 0 {
		r := invalidArgs(errs)
		return nil, &r
	}
	blocksRaw := mustJSON(v["blocks"])
	var blocks any
	_ = json.Unmarshal(normalizeBlocks(blocksRaw), &blocks)
	v["blocks"] = blocks
	return v, nil
}

// stackLocked returns the open views of user, bottom first. s.mu must be held.
func (s *Server) stackLocked(user string) []*viewState {
	var out []*viewState
	for _, id := range s.viewOrder {
		if v := s.views[id]; v.open && v.user == user {
			out = append(out, v)
		}
	}
	return out
}

func (s *Server) addViewLocked(user string, req map[string]any, root, previous string) *viewState {
	v := &viewState{id: randomID("V", 10), user: user, hash: newViewHash(), req: req, open: true, created: time.Now(), previousID: previous}
	v.rootID = root
	if root == "" {
		v.rootID = v.id
	}
	s.views[v.id] = v
	s.viewOrder = append(s.viewOrder, v.id)
	s.notifyLocked()
	return v
}

func (s *Server) closeStackLocked(user string) {
	for _, v := range s.stackLocked(user) {
		v.open = false
	}
	s.notifyLocked()
}

// triggeredViewLocked reads the view and spends the trigger_id of a
// views.open or views.push, or returns Slack's error. s.mu must be held.
func (s *Server) triggeredViewLocked(a apiArgs) (map[string]any, *trigger, *apiResp) {
	req, bad := s.parseViewLocked(a.get("view"))
	if bad != nil {
		return nil, nil, bad
	}
	tr, code := s.exchangeTriggerLocked(a.get("trigger_id"))
	if code != "" {
		r := errResp(code)
		return nil, nil, &r
	}
	return req, tr, nil
}

func (s *Server) viewsOpen(a apiArgs) apiResp {
	req, tr, bad := s.triggeredViewLocked(a)
	if bad != nil {
		return *bad
	}
	// A new modal replaces whatever the user had open.
	s.closeStackLocked(tr.user)
	v := s.addViewLocked(tr.user, req, "", "")
	return okResp(map[string]any{"view": v.json()})
}

func (s *Server) viewsPush(a apiArgs) apiResp {
	req, tr, bad := s.triggeredViewLocked(a)
	if bad != nil {
		return *bad
	}
	stack := s.stackLocked(tr.user)
	if len(stack) >= 3 {
		return errResp("push_limit_reached")
	}
	root, prev := "", ""
	if len(stack) > 0 {
		root, prev = stack[0].id, stack[len(stack)-1].id
	}
	v := s.addViewLocked(tr.user, req, root, prev)
	return okResp(map[string]any{"view": v.json()})
}

func (s *Server) viewsUpdate(a apiArgs) apiResp {
	var v *viewState
	if id := a.get("view_id"); id != "" {
		v = s.views[id]
	} else if ext := a.get("external_id"); ext != "" {
		for _, id := range s.viewOrder {
			if x := s.views[id]; x.req["external_id"] == ext {
				v = x
			}
		}
	} else {
		return invalidArgs([]string{"must provide view_id or external_id"})
	}
	if v == nil || !v.open {
		return errResp("not_found")
	}
	typ := "modal"
	if v.home {
		typ = "home"
	}
	req, bad := s.parseViewTypeLocked(a.get("view"), typ)
	if bad != nil {
		return *bad
	}
	if h := a.get("hash"); h != "" && h != v.hash {
		return errResp("hash_conflict")
	}
	v.req, v.hash, v.errors = req, newViewHash(), nil
	v.keepValuesLocked()
	s.notifyLocked()
	return okResp(map[string]any{"view": v.json()})
}

// Views returns every view opened or pushed, in order.
func (s *Server) Views() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]View, 0, len(s.viewOrder))
	for _, id := range s.viewOrder {
		out = append(out, s.views[id].snapshot())
	}
	return out
}

// OpenViews returns user's modal stack, bottom first.
func (s *Server) OpenViews(user string) []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []View
	for _, v := range s.stackLocked(user) {
		out = append(out, v.snapshot())
	}
	return out
}

// applyViewSubmissionAckLocked applies a view_submission ack the way Slack
// does: empty closes the submitted view, response_action errors keeps it open
// (keys must be input block_ids), update replaces it, push adds one (stack of
// at most 3) and clear closes the stack. s.mu must be held.
func (s *Server) applyViewSubmissionAckLocked(env *envelope, a Ack) {
	v := s.views[env.viewID]
	if v == nil {
		return
	}
	if a.Payload == nil {
		v.open = false
		return
	}
	var resp struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
		View           json.RawMessage   `json:"view"`
	}
	if err := json.Unmarshal(a.Payload, &resp); err != nil {
		s.violationLocked(ViolationBadAckPayload, env.id, a.Conn, "view_submission ack payload: %v", err)
		return
	}
	switch resp.ResponseAction {
	case "errors":
		v.errors = resp.Errors
		inputs := v.snapshot().InputBlockIDs()
		if len(resp.Errors) == 0 {
			s.violationLocked(ViolationBadAckPayload, env.id, a.Conn, "response_action errors without errors")
		}
		for k := range resp.Errors {
			if !slices.Contains(inputs, k) {
				s.violationLocked(ViolationErrorsKey, env.id, a.Conn, "errors key %q is not an input block_id of view %s (input blocks: %v)", k, v.id, inputs)
			}
		}
	case "update", "push":
		req, bad := s.parseViewLocked(string(resp.View))
		if bad != nil {
			s.violationLocked(ViolationBadAckPayload, env.id, a.Conn, "response_action %s with an invalid view: %s", resp.ResponseAction, mustJSON(bad.body))
			return
		}
		if resp.ResponseAction == "update" {
			v.req, v.hash, v.errors = req, newViewHash(), nil
			v.keepValuesLocked()
			return
		}
		stack := s.stackLocked(v.user)
		if len(stack) >= 3 {
			s.violationLocked(ViolationBadAckPayload, env.id, a.Conn, "response_action push over the stack limit of 3 views")
			return
		}
		prev := v.id
		if len(stack) > 0 {
			prev = stack[len(stack)-1].id
		}
		s.addViewLocked(v.user, req, v.rootID, prev)
	case "clear":
		s.closeStackLocked(v.user)
	default:
		s.violationLocked(ViolationBadAckPayload, env.id, a.Conn, "unknown response_action %q: %s", resp.ResponseAction, fmt.Sprint(string(a.Payload)))
	}
}
