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
	page := search.Page{Total: len(l.stickers)}
	for i := offset; i < len(l.stickers) && i < offset+limit; i++ {
		page.Matches = append(page.Matches, search.Match{Sticker: l.stickers[i]})
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
}

// slackRecorder stands in for Slack's Web API and response_urls, and
// keeps every message and view the bot sends.
type slackRecorder struct {
	srv      *httptest.Server
	mu       sync.Mutex
	surfaces []surface
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
	var s surface
	var msg struct {
		Blocks json.RawMessage
		View   struct {
			CallbackID string           `json:"callback_id"`
			Blocks     []map[string]any `json:"blocks"`
		}
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(body, &msg)
	} else {
		form, _ := url.ParseQuery(string(body))
		msg.Blocks = json.RawMessage(form.Get("blocks"))
	}
	if msg.View.CallbackID != "" {
		s = surface{blocks: msg.View.Blocks, callback: msg.View.CallbackID}
	} else if len(msg.Blocks) > 0 {
		_ = json.Unmarshal(msg.Blocks, &s.blocks)
	}
	rec.mu.Lock()
	rec.surfaces = append(rec.surfaces, s)
	rec.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"ok":true,"channel":"C1","ts":"1.1","message_ts":"1.1","view":{"id":"V1"}}`)
}

func (rec *slackRecorder) take() []surface {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	s := rec.surfaces
	rec.surfaces = nil
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
			}
		default:
			if a, ok := b["accessory"]; ok {
				add(blockID, a)
			}
		}
	}
	return out
}

// TestRoutes: every id the bot puts in what it shows (a button's
// action_id, a view's callback_id, …) is routed, and every route can be
// reached: actions and views by using every surface the bot shows,
// starting from every command and event, until nothing new appears;
// verbs by parseCommand; events by the manifests' subscriptions.
func TestRoutes(t *testing.T) {
	rec := newSlackRecorder(t)
	lib := newMemLibrary(listPageSize + 2) // two pages, a Next that wraps
	b, err := New(withLibrary(lib, Config{
		Slack:  slack.New("xoxb-test", slack.OptionAPIURL(rec.srv.URL+"/api/")),
		Logger: slog.New(slog.DiscardHandler), Admins: []string{"UADMIN"},
	}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	n := 0
	dispatch := func(kind envelope.Kind, payload any) envelope.Ack {
		n++
		p, _ := json.Marshal(payload)
		ack := b.Dispatch(ctx, &envelope.Envelope{Kind: kind, ID: fmt.Sprint("e", n), Payload: p})
		for len(b.queue) > 0 {
			b.do(ctx, <-b.queue)
		}
		b.background.wg.Wait()
		return ack
	}
	hook := rec.srv.URL + "/hooks/x"

	reached := map[string]map[string]bool{}
	reach := func(table, id string) {
		if reached[table] == nil {
			reached[table] = map[string]bool{}
		}
		reached[table][id] = true
	}
	for _, text := range []string{"cat", "search cat", "help", "serach cat", "add", "edit cat 1", "delete cat 2", "list"} {
		c := parseCommand(text)
		reach(tableCommands, c.Verb)
		dispatch(envelope.SlashCommand, map[string]string{"user_id": "UADMIN", "channel_id": "C1", "command": "/sticker",
			"text": text, "response_url": hook, "trigger_id": fmt.Sprint("t", n)})
	}
	for _, ev := range []string{eventAppMention} {
		reach(tableEvents, ev)
		dispatch(envelope.Event, map[string]any{"type": "event_callback", "event_id": fmt.Sprint("Ev", n),
			"event": map[string]any{"type": ev, "user": "UADMIN", "channel": "C1", "ts": "1.2", "text": "<@UBOT> cat"}})
	}

	used := map[element]bool{}
	for round := 0; round < 50; round++ {
		shown := rec.take()
		if len(shown) == 0 {
			break
		}
		for _, s := range shown {
			if s.callback != "" {
				reach(tableViews, s.callback)
				if _, ok := b.routes.tables[tableViews][s.callback]; !ok {
					t.Errorf("a view's callback_id %q is not routed", s.callback)
					continue
				}
				meta := `{"c":"C1"}`
				if s.callback == viewEdit {
					meta = `{"c":"C1","id":1}`
				}
				state := map[string]any{
					blockName: map[string]any{blockName: map[string]any{"type": "plain_text_input", "value": fmt.Sprint("new ", n)}},
					blockURL:  map[string]any{blockURL: map[string]any{"type": "plain_text_input", "value": "https://x.example/new.png"}},
				}
				if ack := dispatch(envelope.Interactive, map[string]any{"type": "view_submission", "user": map[string]any{"id": "UADMIN"},
					"view": map[string]any{"callback_id": s.callback, "private_metadata": meta, "state": map[string]any{"values": state}}}); ack != nil {
					t.Errorf("submitting %s: ack %#v", s.callback, ack)
				}
			}
			for _, e := range s.elements() {
				reach(tableActions, e.actionID)
				if _, ok := b.routes.tables[tableActions][e.actionID]; !ok {
					t.Errorf("action_id %q (block %q) is not routed", e.actionID, e.blockID)
					continue
				}
				if used[e] {
					continue
				}
				used[e] = true
				dispatch(envelope.Interactive, map[string]any{"type": "block_actions", "user": map[string]any{"id": "UADMIN"},
					"channel": map[string]any{"id": "C1"}, "response_url": hook, "trigger_id": fmt.Sprint("t", n),
					"actions": []any{map[string]any{"type": "button", "block_id": e.blockID, "action_id": e.actionID, "value": e.value}}})
			}
		}
	}

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
	return m.Settings.EventSubscriptions.BotEvents
}
