package handlers

import (
	"bytes"
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/envelope"
)

// handler does the work of a request on a worker, after its ack. An error
// is logged with the envelope's id; the handler has told the user what
// they need to know.
type handler func(ctx context.Context, r *request) error

// answer works out a request's Ack before it is sent, within ctx (the ack
// budget): for what can only be answered in the ack, a modal's field
// errors or an external select's options.
type answer func(ctx context.Context, r *request) envelope.Ack

// route is what handles one way in: a handler or an answer.
type route struct {
	handle handler
	answer answer
	// opensModal, idempotent: see the options of those names.
	opensModal bool
	idempotent bool
}

// option changes a route.
type option func(*route)

// opensModal marks a handler that opens a modal with the request's
// trigger_id, which lives 3 seconds and works once: that protects it from
// doing its work twice, and claiming the request first (a database round
// trip) would eat into the 3 seconds, so it is not claimed.
func opensModal(rt *route) { rt.opensModal = true }

// idempotent marks a handler whose work may safely be done twice (a
// keystroke in the picker shows the same results again): it is not
// claimed, which saves a database write per keystroke.
func idempotent(rt *route) { rt.idempotent = true }

// Tables of the router, by what their keys are.
const (
	tableCommands    = "command"          // "/sticker <verb>"
	tableActions     = "block_actions"    // action_id
	tableShortcuts   = "shortcut"         // callback_id, global and message shortcuts
	tableEvents      = "event"            // event type
	tableViews       = "view_submission"  // callback_id
	tableSuggestions = "block_suggestion" // action_id
)

// router finds the route of a request. Built once by newRoutes, it is
// only read afterwards.
type router struct {
	tables map[string]map[string]route
}

func newRouter() *router {
	r := &router{tables: map[string]map[string]route{}}
	for _, t := range []string{tableCommands, tableActions, tableShortcuts, tableEvents, tableViews, tableSuggestions} {
		r.tables[t] = map[string]route{}
	}
	return r
}

// command routes "/sticker <verb> …".
func (r *router) command(verb string, h handler, opts ...option) {
	r.add(tableCommands, verb, route{handle: h}, opts)
}

// action routes a block_actions payload by the action_id of the element used.
func (r *router) action(actionID string, h handler, opts ...option) {
	r.add(tableActions, actionID, route{handle: h}, opts)
}

// shortcut routes a global or message shortcut by its callback_id.
func (r *router) shortcut(callbackID string, h handler, opts ...option) {
	r.add(tableShortcuts, callbackID, route{handle: h}, opts)
}

// event routes an Events API event by its type.
func (r *router) event(typ string, h handler, opts ...option) {
	r.add(tableEvents, typ, route{handle: h}, opts)
}

// view routes a modal's view_submission by the view's callback_id.
func (r *router) view(callbackID string, a answer) {
	r.add(tableViews, callbackID, route{answer: a}, nil)
}

// suggestion routes an external select's block_suggestion by its action_id.
func (r *router) suggestion(actionID string, a answer) {
	r.add(tableSuggestions, actionID, route{answer: a}, nil)
}

func (r *router) add(table, id string, rt route, opts []option) {
	if _, dup := r.tables[table][id]; dup {
		panic(fmt.Sprintf("handlers: %s %q is routed twice", table, id))
	}
	for _, o := range opts {
		o(&rt)
	}
	r.tables[table][id] = rt
}

// lookup returns the route of req, and false when nothing is routed for it.
func (r *router) lookup(req *request) (route, bool) {
	table, id := wayIn(req)
	rt, ok := r.tables[table][id]
	return rt, ok
}

// wayIn names the table and the key a request is routed by; table is ""
// for a kind of request no table holds (view_closed, an unknown envelope
// type, an event that is not an event_callback).
func wayIn(req *request) (table, id string) {
	switch {
	case req.cmd != nil:
		return tableCommands, req.verb
	case req.event != nil:
		return tableEvents, req.event.Event.Type
	case req.ic == nil:
		return "", ""
	}
	switch req.ic.Type {
	case slack.InteractionTypeBlockActions:
		return tableActions, req.action.ActionID
	case slack.InteractionTypeShortcut, slack.InteractionTypeMessageAction:
		return tableShortcuts, req.ic.CallbackID
	case slack.InteractionTypeViewSubmission:
		return tableViews, req.ic.View.CallbackID
	case slack.InteractionTypeBlockSuggestion:
		return tableSuggestions, req.ic.ActionID
	}
	return "", string(req.ic.Type)
}

// answeredInAck reports, from a glance at an interaction's payload,
// whether it may be one whose route is an answer: it looks for the
// interaction types of the answer tables that hold any route
// (view_submission, block_suggestion). A false positive only costs a
// goroutine.
func (r *router) answeredInAck(payload []byte) bool {
	for _, t := range []struct {
		table string
		typ   slack.InteractionType
	}{
		{tableViews, slack.InteractionTypeViewSubmission},
		{tableSuggestions, slack.InteractionTypeBlockSuggestion},
	} {
		// Unquoted: bytes.Contains skips ahead on the first byte, and
		// '"' is everywhere in JSON.
		if len(r.tables[t.table]) > 0 && bytes.Contains(payload, []byte(t.typ)) {
			return true
		}
	}
	return false
}
