package handlers

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/stickerbot/stickerbot/internal/envelope"
	"github.com/stickerbot/stickerbot/internal/search"
)

// queryStore reports every query it is asked for and finds nothing.
type queryStore struct {
	stubStore
	seen chan<- string
}

func (s queryStore) Search(_ context.Context, q search.Query, _, _ int) (search.Page, error) {
	s.seen <- q.String()
	return search.Page{}, nil
}

// TestMentionTextIsUnescapedOnce: Slack encodes a typed "&lt;" as
// "&amp;lt;"; a mention must search for what was typed, as the slash
// command does, not for "<".
func TestMentionTextIsUnescapedOnce(t *testing.T) {
	seen := make(chan string, 2)
	b, err := New(withLibrary(queryStore{seen: seen}, Config{Slack: stubSlack{}, Logger: slog.New(slog.DiscardHandler)}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	typed := "&amp;lt;b&amp;gt; &amp;amp;"
	want, _ := search.ParseQuery("&lt;b&gt; &amp;")
	mention, _ := json.Marshal(map[string]any{"type": "event_callback", "event_id": "Ev1", "event": map[string]any{
		"type": "app_mention", "user": "U1", "channel": "C1", "ts": "1.2", "text": "<@UBOT> " + typed}})
	command, _ := json.Marshal(map[string]string{"user_id": "U1", "channel_id": "C1", "command": "/sticker",
		"text": typed, "response_url": "https://hooks.slack.com/x", "trigger_id": "1.2.3"})
	for _, req := range []*envelope.Envelope{
		{Kind: envelope.Event, ID: "e1", Payload: mention},
		{Kind: envelope.SlashCommand, ID: "e2", Payload: command},
	} {
		b.Dispatch(ctx, req)
		select {
		case got := <-seen:
			if got != want.String() {
				t.Errorf("%s searched for %q, want %q", req.Kind, got, want.String())
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no search", req.Kind)
		}
	}
}
