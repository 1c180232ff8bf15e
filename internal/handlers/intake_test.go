package handlers

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/envelope"
)

// TestFullQueueTurnsCommandsAway: with no worker running and the queue
// full, a slash command is answered in its ack ("busy"), at once and
// without any Web API call, instead of growing the queue.
func TestFullQueueTurnsCommandsAway(t *testing.T) {
	b, err := New(withLibrary(slowStore{}, Config{Slack: noSlack{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), QueueSize: 2}))
	if err != nil {
		t.Fatal(err)
	}
	cmd, _ := json.Marshal(map[string]string{"user_id": "U1", "channel_id": "C1", "command": "/sticker", "text": "cat", "response_url": "https://hooks.slack.com/x", "trigger_id": "1.2.3"})
	req := &envelope.Envelope{Kind: envelope.SlashCommand, ID: "e", Payload: cmd}
	for range 2 {
		if ack := b.Dispatch(context.Background(), req); ack != nil {
			t.Fatalf("queued command acked with %#v", ack)
		}
	}
	ack := b.Dispatch(context.Background(), req)
	msg, ok := ack.(slack.Msg)
	if !ok || msg.Text != msgBusy.s || msg.ResponseType != slack.ResponseTypeEphemeral {
		t.Fatalf("third command acked with %#v, want the busy message", ack)
	}
	if len(b.queue) != 2 {
		t.Fatalf("queue holds %d", len(b.queue))
	}
	// Unknown envelope types are acked bare and never queued.
	if ack := b.Dispatch(context.Background(), &envelope.Envelope{Kind: "something_new", ID: "u"}); ack != nil || len(b.queue) != 2 {
		t.Fatalf("unknown type: %#v, queue %d", ack, len(b.queue))
	}
}

// TestUnreadablePayloads: a payload that cannot be decoded, or that
// nothing is routed for, does nothing. One answered in its ack is decoded
// before it, so an unreadable one is answered Malformed (HTTP mode says
// 400); the others are queued as they are, and the worker drops them.
func TestUnreadablePayloads(t *testing.T) {
	var calls atomic.Int64
	b, err := New(withLibrary(stubStore{}, Config{Slack: countingSlack{calls: &calls}, Logger: slog.New(slog.DiscardHandler)}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		kind      envelope.Kind
		payload   string
		malformed bool
	}{
		{envelope.Interactive, `{"type":"view_submission","view":"x"}`, true},
		{envelope.Interactive, `{"type":"view_submission","view":{`, true},
		{envelope.Interactive, `{"type":"view_submission","view":{"callback_id":"no_such_modal"}}`, false},
		{envelope.SlashCommand, `{"user_id":"U1","response_url":"https://h/x","is_enterprise_install":"maybe"}`, false},
		{envelope.SlashCommand, `{"text":"cat"}`, false}, // no one to answer
		{envelope.SlashCommand, `"cat"`, false},
		{envelope.Interactive, `{"type":42}`, false},
		{envelope.Interactive, `{"type":"block_actions","user":{"id":"U1"},"response_url":"https://h/x","actions":[]}`, false},
		{envelope.Interactive, `{"type":"view_closed"}`, false},
		{envelope.Interactive, `{"type":"block_actions","user":{"id":"U1"},"response_url":"https://h/x",` +
			`"actions":[{"type":"button","block_id":"b","action_id":"no_such_button"}]}`, false},
		{envelope.Event, `{"type":"event_callback","event":{"type":"app_mention","text":17}}`, false},
		{envelope.Event, `{"type":"event_callback","event":{"type":"app_mention","user":"U1","channel":"C1","bot_id":"B1"}}`, false},
		{envelope.Event, `{"type":"event_callback","event":{"type":"reaction_added","user":"U1","channel":"C1"}}`, false},
	} {
		ack := b.Dispatch(context.Background(), &envelope.Envelope{Kind: tt.kind, ID: "e", Payload: json.RawMessage(tt.payload)})
		if envelope.IsMalformed(ack) != tt.malformed || (!tt.malformed && ack != nil) {
			t.Errorf("%s %s: ack %#v, want malformed %v", tt.kind, tt.payload, ack, tt.malformed)
		}
		for len(b.queue) > 0 {
			b.do(context.Background(), <-b.queue)
		}
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("%d Web API calls", n)
	}
}
