package handlers

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
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
	if !ok || msg.Text != msgBusy || msg.ResponseType != slack.ResponseTypeEphemeral {
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
