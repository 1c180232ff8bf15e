package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/slack-go/slack"
	"go.yaml.in/yaml/v3"

	"github.com/stickerbot/stickerbot/internal/envelope"
	"github.com/stickerbot/stickerbot/internal/search"
	"github.com/stickerbot/stickerbot/internal/sticker"
)

// memLibrary is a small in-memory library: every query matches every
// sticker, in id order.
type memLibrary struct {
	stubStore
	mu       sync.Mutex
	stickers []sticker.Sticker
	nextID   int64
}

func newMemLibrary(n int) *memLibrary {
	l := &memLibrary{}
	for i := range n {
		l.add(sticker.Sticker{Name: fmt.Sprintf("cat %d", i+1), Tags: []string{"cat"}, ImageURL: "https://x.example/cat.png"})
	}
	return l
}

func (l *memLibrary) add(st sticker.Sticker) sticker.Sticker {
	l.nextID++
	st.ID = l.nextID
	l.stickers = append(l.stickers, st)
	return st
}

func (l *memLibrary) Search(_ context.Context, _ search.Query, offset, limit int) (search.Page, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	// As the store: a sticker that cannot be shown is not found.
	var found []sticker.Sticker
	for _, st := range l.stickers {
		if st.ImageURL != "" || st.SlackFileID != "" {
			found = append(found, st)
		}
	}
	page := search.Page{Total: len(found)}
	for i := offset; i < len(found) && i < offset+limit; i++ {
		page.Matches = append(page.Matches, search.Match{Sticker: found[i]})
	}
	return page, nil
}

func (l *memLibrary) Get(_ context.Context, id int64) (sticker.Sticker, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, st := range l.stickers {
		if st.ID == id {
			return st, nil
		}
	}
	return sticker.Sticker{}, sticker.ErrNotFound
}

func (l *memLibrary) GetByName(_ context.Context, name string) (sticker.Sticker, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, st := range l.stickers {
		if st.Name == name {
			return st, nil
		}
	}
	return sticker.Sticker{}, sticker.ErrNotFound
}

func (l *memLibrary) Save(_ context.Context, id int64, d sticker.Draft) (sticker.Sticker, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := sticker.Sticker{ID: id, Name: d.Name, Tags: d.Tags, ImageURL: d.ImageURL}
	for i := range l.stickers {
		if l.stickers[i].ID == id {
			l.stickers[i] = st
			return st, nil
		}
	}
	return l.add(st), nil
}

func (l *memLibrary) Delete(_ context.Context, id int64) (sticker.Sticker, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, st := range l.stickers {
		if st.ID == id {
			l.stickers = slices.Delete(l.stickers, i, i+1)
			return st, nil
		}
	}
	return sticker.Sticker{}, sticker.ErrNotFound
}

func (l *memLibrary) List(_ context.Context, offset, limit int) ([]sticker.Sticker, int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.stickers)
	return slices.Clone(l.stickers[min(offset, n):min(offset+limit, n)]), int64(n), nil
}

// surface is a message or a view the bot showed.
type surface struct {
	blocks   []map[string]any
	callback string // a view's callback_id
	meta     string // a view's private_metadata
	home     bool   // a Home tab view (views.publish)

	// As sent: where, the message's text and blocks or the view.
	path   string          // /api/<method> or the response_url's
	text   string          // a message's text
	raw    json.RawMessage // a message's blocks, or a view
	public bool            // a message everyone in the conversation sees
}

// slackRecorder stands in for Slack's Web API and response_urls, and
// keeps every message and view the bot sends.
type slackRecorder struct {
	srv           *httptest.Server
	mu            sync.Mutex
	surfaces      []surface
	taken, peeked int // how far take and peek have read surfaces
}

func newSlackRecorder(t *testing.T) *slackRecorder {
	rec := &slackRecorder{}
	rec.srv = httptest.NewServer(http.HandlerFunc(rec.serve))
	t.Cleanup(rec.srv.Close)
	return rec
}

func (rec *slackRecorder) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	// response_urls and views.open take JSON; chat.post* a form.
	s := surface{path: r.URL.Path}
	var msg struct {
		Text         string
		ResponseType string `json:"response_type"`
		Blocks       json.RawMessage
		View         json.RawMessage
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(body, &msg)
		s.public = msg.ResponseType == "in_channel"
	} else {
		form, _ := url.ParseQuery(string(body))
		msg.Blocks, msg.Text = json.RawMessage(form.Get("blocks")), form.Get("text")
		if v := form.Get("view"); v != "" {
			msg.View = json.RawMessage(v)
		}
		s.public = r.URL.Path == "/api/chat.postMessage"
	}
	var view struct {
		Type            string           `json:"type"`
		CallbackID      string           `json:"callback_id"`
		PrivateMetadata string           `json:"private_metadata"`
		Blocks          []map[string]any `json:"blocks"`
	}
	if len(msg.View) > 0 && json.Unmarshal(msg.View, &view) == nil && view.Type == "home" {
		s.blocks, s.home, s.meta, s.raw = view.Blocks, true, view.PrivateMetadata, msg.View
	} else if len(msg.View) > 0 && json.Unmarshal(msg.View, &view) == nil && view.CallbackID != "" {
		s.blocks, s.callback, s.meta, s.raw = view.Blocks, view.CallbackID, view.PrivateMetadata, msg.View
	} else if len(msg.Blocks) > 0 && string(msg.Blocks) != "null" {
		_ = json.Unmarshal(msg.Blocks, &s.blocks)
		s.text, s.raw = msg.Text, msg.Blocks
	} else {
		s.text = msg.Text
	}
	rec.mu.Lock()
	rec.surfaces = append(rec.surfaces, s)
	rec.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"ok":true,"channel":"C1","ts":"1.1","message_ts":"1.1","view":{"id":"V1","hash":"h1"}}`)
}

// take returns what was shown since the last take.
func (rec *slackRecorder) take() []surface {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	s := rec.surfaces[rec.taken:]
	rec.taken = len(rec.surfaces)
	return s
}

// peek returns what was shown since the last peek.
func (rec *slackRecorder) peek() []surface {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	s := rec.surfaces[rec.peeked:]
	rec.peeked = len(rec.surfaces)
	return s
}

// element is an interactive element of a surface.
type element struct{ actionID, blockID, value string }

// elements returns the elements of s that send block_actions: those of
// actions blocks and section accessories, and inputs that dispatch.
func (s surface) elements() []element {
	var out []element
	add := func(blockID string, e any) {
		m, ok := e.(map[string]any)
		if id, _ := m["action_id"].(string); ok && id != "" {
			v, _ := m["value"].(string)
			out = append(out, element{id, blockID, v})
		}
	}
	for _, b := range s.blocks {
		blockID, _ := b["block_id"].(string)
		switch b["type"] {
		case "actions":
			for _, e := range b["elements"].([]any) {
				add(blockID, e)
			}
		case "input":
			if b["dispatch_action"] == true {
				add(blockID, b["element"])
				if n := len(out) - 1; n >= 0 && out[n].value == "" {
					out[n].value = "cat" // what someone types
				}
			}
		default:
			if a, ok := b["accessory"]; ok {
				add(blockID, a)
			}
		}
	}
	return out
}

// explorer drives a Bot through everything it shows: it submits every
// view and uses every element, as a user would, until nothing new
// appears, and keeps what the bot showed and answered.
type explorer struct {
	t     *testing.T
	b     *Bot
	rec   *slackRecorder
	hook  string // the response_url of every request
	n     int
	used  map[element]bool
	reach func(table, id string) // called for every routed id met

	shown []surface      // everything the bot showed, in order
	acks  []envelope.Ack // every ack that was not empty
}

func newExplorer(t *testing.T, b *Bot, rec *slackRecorder) *explorer {
	return &explorer{t: t, b: b, rec: rec, hook: rec.srv.URL + "/hooks/x", used: map[element]bool{},
		reach: func(string, string) {}}
}

// dispatch hands the bot an envelope and waits until its work is done.
func (x *explorer) dispatch(kind envelope.Kind, payload any) envelope.Ack {
	x.n++
	p, _ := json.Marshal(payload)
	ctx := context.Background()
	ack := x.b.Dispatch(ctx, &envelope.Envelope{Kind: kind, ID: fmt.Sprint("e", x.n), Payload: p})
	for len(x.b.queue) > 0 {
		x.b.do(ctx, <-x.b.queue)
	}
	x.b.background.wg.Wait()
	if ack != nil {
		x.acks = append(x.acks, ack)
	}
	x.shown = append(x.shown, x.rec.peek()...)
	return ack
}

func (x *explorer) command(user, text string) envelope.Ack {
	return x.dispatch(envelope.SlashCommand, map[string]string{"user_id": user, "user_name": strings.ToLower(user),
		"channel_id": "C1", "command": "/sticker", "text": text, "response_url": x.hook, "trigger_id": fmt.Sprint("t", x.n)})
}

func (x *explorer) mention(user, text string) {
	x.dispatch(envelope.Event, map[string]any{"type": "event_callback", "event_id": fmt.Sprint("Ev", x.n),
		"event": map[string]any{"type": eventAppMention, "user": user, "channel": "C1", "ts": "1.2", "text": text}})
}

// messageShortcut uses the message shortcut callback on a message in C1.
func (x *explorer) messageShortcut(user, callback string) {
	x.dispatch(envelope.Interactive, map[string]any{"type": "message_action", "callback_id": callback,
		"user": map[string]any{"id": user, "username": strings.ToLower(user)}, "channel": map[string]any{"id": "C1"},
		"message_ts": "1.2", "message": map[string]any{"ts": "1.2", "text": "hi"},
		"response_url": x.hook, "trigger_id": fmt.Sprint("t", x.n)})
}

// removeShortcut uses "Remove sticker" on a sticker the bot sent with key
// (on a message that is no sticker when key is "").
func (x *explorer) removeShortcut(user, key string) {
	msg := map[string]any{"ts": "1.2", "text": "cat, sent by ana", "bot_id": "B1"}
	if key != "" {
		msg["blocks"] = []any{map[string]any{"type": "context", "block_id": sentBlockPrefix + key,
			"elements": []any{map[string]any{"type": "mrkdwn", "text": "Sent by *ana*"}}}}
	}
	x.dispatch(envelope.Interactive, map[string]any{"type": "message_action", "callback_id": shortcutRemove,
		"user": map[string]any{"id": user, "username": strings.ToLower(user)}, "channel": map[string]any{"id": "C1"},
		"message_ts": "1.2", "message": msg, "response_url": x.hook, "trigger_id": fmt.Sprint("t", x.n)})
}

// directMessage sends a message.im from user.
func (x *explorer) directMessage(user, text string) {
	x.dispatch(envelope.Event, map[string]any{"type": "event_callback", "event_id": fmt.Sprint("Ev", x.n),
		"event": map[string]any{"type": eventMessage, "channel_type": "im", "user": user, "channel": "D1", "ts": "1.3", "text": text}})
}

// homeOpened opens user's Home tab.
func (x *explorer) homeOpened(user string) {
	x.dispatch(envelope.Event, map[string]any{"type": "event_callback", "event_id": fmt.Sprint("Ev", x.n),
		"event": map[string]any{"type": eventAppHomeOpened, "user": user, "channel": "D1", "tab": "home", "event_ts": "1.4"}})
}

// globalShortcut uses the global shortcut callback.
func (x *explorer) globalShortcut(user, callback string) {
	x.dispatch(envelope.Interactive, map[string]any{"type": "shortcut", "callback_id": callback,
		"user": map[string]any{"id": user, "username": strings.ToLower(user)}, "trigger_id": fmt.Sprint("t", x.n)})
}

// submit sends a view_submission of callback with values by block.
func (x *explorer) submit(user, callback, meta string, values map[string]string) envelope.Ack {
	state := map[string]any{}
	for block, v := range values {
		state[block] = map[string]any{block: map[string]any{"type": "plain_text_input", "value": v}}
	}
	return x.dispatch(envelope.Interactive, map[string]any{"type": "view_submission", "user": map[string]any{"id": user},
		"view": map[string]any{"callback_id": callback, "private_metadata": meta, "state": map[string]any{"values": state}}})
}

// explore uses, as user, everything the bot showed that was not used yet.
func (x *explorer) explore(user string) {
	t := x.t
	for round := 0; round < 50; round++ {
		shown := x.rec.take()
		if len(shown) == 0 {
			break
		}
		for _, s := range shown {
			if s.callback != "" {
				x.reach(tableViews, s.callback)
				if _, ok := x.b.routes.tables[tableViews][s.callback]; !ok {
					t.Errorf("a view's callback_id %q is not routed", s.callback)
					continue
				}
				meta := `{"c":"C1"}`
				switch s.callback {
				case viewEdit:
					meta = `{"c":"C1","id":1}`
				case viewPicker:
					meta = s.meta
				}
				if ack := x.submit(user, s.callback, meta, map[string]string{blockName: fmt.Sprint("new ", x.n),
					blockURL: "https://x.example/new.png"}); ack != nil && x.b.isAdmin(user) {
					t.Errorf("submitting %s: ack %#v", s.callback, ack)
				}
			}
			for _, e := range s.elements() {
				x.reach(tableActions, e.actionID)
				if _, ok := x.b.routes.tables[tableActions][e.actionID]; !ok {
					t.Errorf("action_id %q (block %q) is not routed", e.actionID, e.blockID)
					continue
				}
				if x.used[e] {
					continue
				}
				x.used[e] = true
				click := map[string]any{"type": "block_actions",
					"user":    map[string]any{"id": user, "username": strings.ToLower(user), "name": strings.ToLower(user)},
					"channel": map[string]any{"id": "C1"}, "response_url": x.hook, "trigger_id": fmt.Sprint("t", x.n),
					"actions": []any{map[string]any{"type": "button", "block_id": e.blockID, "action_id": e.actionID, "value": e.value}}}
				if s.callback != "" || s.home {
					// A click in a view carries the view (its state: the
					// conversation chosen in a picker or the Home tab),
					// and no channel or response_url.
					delete(click, "response_url")
					delete(click, "channel")
					chosen := map[string]any{"type": "conversations_select", "selected_conversation": "C1"}
					state := map[string]any{"values": map[string]any{blockPickerWhere: map[string]any{actionPickerWhere: chosen},
						blockHomeWhere: map[string]any{actionHomeWhere: chosen}}}
					typ := "modal"
					if s.home {
						typ = "home"
					}
					click["container"] = map[string]any{"type": "view", "view_id": "V1"}
					click["view"] = map[string]any{"id": "V1", "hash": "h1", "type": typ, "callback_id": s.callback, "private_metadata": s.meta, "state": state}
				} else {
					click["container"] = map[string]any{"type": "message", "message_ts": fmt.Sprint("9.", x.n), "channel_id": "C1", "is_ephemeral": true}
				}
				x.dispatch(envelope.Interactive, click)
			}
		}
	}
}

// TestRoutes: every id the bot puts in what it shows (a button's
// action_id, a view's callback_id, …) is routed, and every route can be
// reached: actions and views by using every surface the bot shows,
// starting from every command and event, until nothing new appears;
// verbs by parseCommand; events by the manifests' subscriptions.
func TestRoutes(t *testing.T) {
	rec := newSlackRecorder(t)
	lib := newMemLibrary(max(listPageSize, pickerPageSize) + 2) // two pages, a Next that wraps
	act := newMemActivity(lib)
	cfg := withLibrary(lib, Config{
		Slack:  slack.New("xoxb-test", slack.OptionAPIURL(rec.srv.URL+"/api/")),
		Logger: slog.New(slog.DiscardHandler), Admins: []string{"UADMIN"},
		ViewUpdatesPerMinute: 1e6, Activity: act, Shelves: act,
	})
	cfg.Library = memLibraryWithSends{lib, act}
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	x := newExplorer(t, b, rec)
	for _, st := range lib.stickers { // pages of favourites
		_ = act.SetFavourite(context.Background(), "UADMIN", st.ID, true)
	}
	reached := map[string]map[string]bool{}
	x.reach = func(table, id string) {
		if reached[table] == nil {
			reached[table] = map[string]bool{}
		}
		reached[table][id] = true
	}
	for _, text := range []string{"", "cat", "search cat", "help", "serach cat", "add", "edit cat 1", "delete cat 2", "list", "favs", "stats"} {
		x.reach(tableCommands, parseCommand(text).Verb)
		x.command("UADMIN", text)
	}
	x.reach(tableEvents, eventAppMention)
	x.mention("UADMIN", "<@UBOT> cat")
	x.reach(tableEvents, eventMessage)
	x.directMessage("UADMIN", "cat")
	x.reach(tableEvents, eventAppHomeOpened)
	x.homeOpened("UADMIN")
	x.reach(tableShortcuts, shortcutRemove)
	x.removeShortcut("UADMIN", "")
	x.reach(tableShortcuts, shortcutReply)
	x.messageShortcut("UADMIN", shortcutReply)
	x.reach(tableShortcuts, shortcutSend)
	x.globalShortcut("UADMIN", shortcutSend)
	x.explore("UADMIN")

	for table, routes := range b.routes.tables {
		for id := range routes {
			if !reached[table][id] {
				t.Errorf("%s %q is routed but nothing the bot shows leads to it", table, id)
			}
		}
	}
	for _, v := range verbs {
		if c := parseCommand(v + " x"); c.Verb != v {
			t.Errorf("verb %q parses as %q", v, c.Verb)
		}
		if _, ok := b.routes.tables[tableCommands][v]; !ok {
			t.Errorf("verb %q is not routed", v)
		}
	}
	for _, mf := range []string{"manifest.yaml", "manifest-http.yaml"} {
		listed := manifestShortcuts(t, mf)
		for sc := range b.routes.tables[tableShortcuts] {
			if !slices.Contains(listed, sc) {
				t.Errorf("shortcut %s is routed, but %s does not list it (features.shortcuts)", sc, mf)
			}
		}
		subscribed := manifestEvents(t, mf)
		for ev := range b.routes.tables[tableEvents] {
			if !slices.Contains(subscribed, ev) {
				t.Errorf("event %s is routed, but %s does not subscribe to it", ev, mf)
			}
		}
	}
}

// manifestEvents returns the bot events a Slack app manifest subscribes to.
func manifestEvents(t *testing.T, name string) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", name))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Settings struct {
			EventSubscriptions struct {
				BotEvents []string `yaml:"bot_events"`
			} `yaml:"event_subscriptions"`
		} `yaml:"settings"`
	}
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	// message.im is the message event, in the app's DMs.
	var out []string
	for _, ev := range m.Settings.EventSubscriptions.BotEvents {
		out = append(out, strings.TrimSuffix(ev, ".im"))
	}
	return out
}

// manifestShortcuts returns the callback_ids of a Slack app manifest's
// shortcuts.
func manifestShortcuts(t *testing.T, name string) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", name))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Features struct {
			Shortcuts []struct {
				CallbackID string `yaml:"callback_id"`
			} `yaml:"shortcuts"`
		} `yaml:"features"`
	}
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var out []string
	for _, sc := range m.Features.Shortcuts {
		out = append(out, sc.CallbackID)
	}
	return out
}
