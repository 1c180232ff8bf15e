package playground

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// fakeWorkspace is a Workspace whose State the test sets and whose
// requests it records, to test the page on its own: what it renders from
// a given State and which requests it makes. The real workspace (the
// simulator with the bot) is tested end to end in cmd/stickerbot.
type fakeWorkspace struct {
	mu       sync.Mutex
	version  uint64
	changed  chan struct{}
	users    []User
	channels []Channel
	app      App
	messages []Message         // Ephemeral ones are for Message.User... see visible
	ephemFor map[string]string // ts -> the user an ephemeral message is for
	modals   map[string][]View
	home     map[string]*View
	files    map[string]fakeFile
	requests []any
	// submit answers submissions; nil: closes the view.
	submit func(SubmitRequest) SubmitResult
}

type fakeFile struct {
	f    File
	data []byte
}

func newFakeWorkspace() *fakeWorkspace {
	return &fakeWorkspace{
		changed: make(chan struct{}),
		users: []User{
			{ID: "U1", Name: "ana", RealName: "Ana Lima", Admin: true},
			{ID: "U2", Name: "ben", RealName: "Ben Okafor"},
			{ID: "U3", Name: "chloe", RealName: "Chloé Martin"},
		},
		channels: []Channel{
			{ID: "C1", Name: "general", Kind: KindChannel, BotMember: true},
			{ID: "C2", Name: "random", Kind: KindChannel},
			{ID: "D1", Name: "stickerbot", Kind: KindApp, BotMember: true},
		},
		app: App{
			ID: "A1", BotUserID: "UBOT", Name: "stickerbot",
			Commands: []Command{{Command: "/sticker", Description: "Search stickers", UsageHint: "search <words> | help"}},
			Shortcuts: []Shortcut{
				{Type: ShortcutMessage, Name: "Reply with a sticker", CallbackID: "reply_sticker"},
				{Type: ShortcutGlobal, Name: "Find a sticker", CallbackID: "find_sticker", Description: "Search and send"},
			},
			HomeTab: true, MessagesTab: true, BotEvents: []string{"app_mention"},
		},
		ephemFor: map[string]string{},
		modals:   map[string][]View{},
		home:     map[string]*View{},
		files:    map[string]fakeFile{},
	}
}

func (f *fakeWorkspace) bumpLocked() {
	f.version++
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *fakeWorkspace) State(user string) (State, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if user == "" {
		user = f.users[0].ID
	}
	if !slices.ContainsFunc(f.users, func(u User) bool { return u.ID == user }) {
		return State{}, fmt.Errorf("%w: no user %q", ErrBadRequest, user)
	}
	st := State{Version: f.version, Team: "Playground", Me: user, Users: f.users, Channels: f.channels, App: f.app, Modals: []View{}}
	for _, m := range f.messages {
		if m.Ephemeral && f.ephemFor[m.TS] != user {
			continue
		}
		st.Messages = append(st.Messages, m)
	}
	st.Modals = append(st.Modals, f.modals[user]...)
	st.Home = f.home[user]
	return st, nil
}

func (f *fakeWorkspace) Changed() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.changed
}

func (f *fakeWorkspace) record(r any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r)
	f.bumpLocked()
}

func (f *fakeWorkspace) Post(_ context.Context, r MessageRequest) error {
	f.record(r)
	return nil
}

func (f *fakeWorkspace) Act(_ context.Context, r ActionRequest) error {
	f.record(r)
	return nil
}

func (f *fakeWorkspace) Submit(_ context.Context, r SubmitRequest) (SubmitResult, error) {
	f.record(r)
	res := SubmitResult{Outcome: OutcomeClosed}
	if f.submit != nil {
		res = f.submit(r)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	stack := f.modals[r.User]
	switch res.Outcome {
	case OutcomeClosed:
		if len(stack) > 0 {
			f.modals[r.User] = stack[:len(stack)-1]
		}
	case OutcomeErrors:
		if len(stack) > 0 {
			stack[len(stack)-1].Errors = res.Errors
		}
	}
	f.bumpLocked()
	return res, nil
}

func (f *fakeWorkspace) Close(_ context.Context, r CloseRequest) error {
	f.record(r)
	f.mu.Lock()
	defer f.mu.Unlock()
	stack := f.modals[r.User]
	if r.All || len(stack) <= 1 {
		delete(f.modals, r.User)
	} else {
		f.modals[r.User] = stack[:len(stack)-1]
	}
	f.bumpLocked()
	return nil
}

func (f *fakeWorkspace) Shortcut(_ context.Context, r ShortcutRequest) error {
	f.record(r)
	return nil
}

func (f *fakeWorkspace) OpenAppHome(_ context.Context, r AppHomeRequest) error {
	f.record(r)
	return nil
}

func (f *fakeWorkspace) Upload(_ context.Context, user, name string, data []byte) (File, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := "F" + strconv.Itoa(100+len(f.files))
	file := File{ID: id, Name: name, Mimetype: "image/png", Size: len(data), URL: "/files/" + id}
	f.files[id] = fakeFile{file, append([]byte(nil), data...)}
	f.requests = append(f.requests, file)
	f.bumpLocked()
	return file, nil
}

func (f *fakeWorkspace) File(id string) (File, []byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	x, ok := f.files[id]
	return x.f, x.data, ok
}

// Test-side changes.

func (f *fakeWorkspace) addMessage(m Message, ephemeralFor string) Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m.TS == "" {
		m.TS = strconv.FormatInt(time.Now().Unix(), 10) + "." + fmt.Sprintf("%06d", len(f.messages)+1)
	}
	if ephemeralFor != "" {
		m.Ephemeral = true
		f.ephemFor[m.TS] = ephemeralFor
	}
	f.messages = append(f.messages, m)
	f.bumpLocked()
	return m
}

func (f *fakeWorkspace) replaceMessage(ts string, change func(*Message)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.messages {
		if f.messages[i].TS == ts {
			change(&f.messages[i])
		}
	}
	f.bumpLocked()
}

func (f *fakeWorkspace) openModal(user string, v View) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.modals[user] = append(f.modals[user], v)
	f.bumpLocked()
}

func (f *fakeWorkspace) updateTopModal(user string, change func(*View)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	stack := f.modals[user]
	change(&stack[len(stack)-1])
	f.bumpLocked()
}

func (f *fakeWorkspace) publishHome(user string, v View) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.home[user] = &v
	f.bumpLocked()
}

func (f *fakeWorkspace) addFile(id, name string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[id] = fakeFile{File{ID: id, Name: name, Mimetype: "image/png", Size: len(data), URL: "/files/" + id}, data}
	f.bumpLocked()
}

// requestsOf returns the recorded requests of type T.
func requestsOf[T any](f *fakeWorkspace) []T {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []T
	for _, r := range f.requests {
		if x, ok := r.(T); ok {
			out = append(out, x)
		}
	}
	return out
}

// waitRequest waits for the n-th (from 1) recorded request of type T.
func waitRequest[T any](t *testing.T, f *fakeWorkspace, n int) T {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if rs := requestsOf[T](f); len(rs) >= n {
			return rs[n-1]
		}
		if time.Now().After(deadline) {
			var zero T
			t.Fatalf("no request %d of type %T (got %v)", n, zero, f.requests)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// serve starts the page's server in front of ws.
func serve(t *testing.T, ws Workspace) string {
	t.Helper()
	srv := httptest.NewServer(New(ws, slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)
	return srv.URL
}

func blocksJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
