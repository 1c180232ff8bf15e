package handlers

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/stickerbot/stickerbot/internal/envelope"
	"github.com/stickerbot/stickerbot/internal/sticker"
)

// benchPayloads are envelopes shaped as Slack sends them: a slash command
// (what the load benchmark sends), and a click on a preview's Next, whose
// payload carries the whole preview message.
func benchPayloads(b *testing.B) map[string]*envelope.Envelope {
	cmd, _ := json.Marshal(map[string]string{
		"token": "x", "team_id": "T0FAKE0001", "team_domain": "fake", "channel_id": "C0GENERAL1", "channel_name": "general",
		"user_id": "U0ALICE001", "user_name": "alice", "command": "/sticker", "text": "search happy", "api_app_id": "A0FAKEAPP1",
		"is_enterprise_install": "false", "response_url": "https://hooks.slack.com/commands/T0FAKE0001/1234567890123/abcdefabcdef",
		"trigger_id": "1234567890123.1234567890.abcdefabcdefabcdefabcdefabcdefab",
	})
	st := sticker.Sticker{ID: 42, Name: "laughing", Tags: []string{"laugh", "lol", "ㅋㅋ", "happy"}, ImageURL: "https://x.example/laughing.png"}
	state := buttonState{StickerID: 42, Query: "happy"}
	click, _ := json.Marshal(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": "U0ALICE001", "username": "alice", "team_id": "T0FAKE0001"},
		"api_app_id": "A0FAKEAPP1", "token": "x", "trigger_id": "1234567890123.1234567890.abcdef",
		"team":      map[string]any{"id": "T0FAKE0001", "domain": "fake"},
		"container": map[string]any{"type": "message", "message_ts": "1700000000.000100", "channel_id": "C0GENERAL1", "is_ephemeral": true},
		"channel":   map[string]any{"id": "C0GENERAL1", "name": "general"},
		"message": map[string]any{"type": "message", "text": previewText(st).s, "ts": "1700000000.000100",
			"blocks": previewMessage(st, state, place{total: 7}, starOff, md{})},
		"response_url": "https://hooks.slack.com/actions/T0FAKE0001/1234567890123/abcdefabcdef",
		"actions": []any{map[string]any{"type": "button", "block_id": "sticker_preview", "action_id": actionNext,
			"value": state.encode(), "text": map[string]any{"type": "plain_text", "text": "Next"}, "action_ts": "1700000001.000200"}},
		"state": map[string]any{"values": map[string]any{}},
	})
	return map[string]*envelope.Envelope{
		"slash_command": {Kind: envelope.SlashCommand, ID: "e", Payload: cmd},
		"block_action":  {Kind: envelope.Interactive, ID: "e", Payload: click},
	}
}

// BenchmarkDispatch is what a Quick envelope costs on the socket's read
// goroutine before its ack goes out: decoding, routing, queueing.
func BenchmarkDispatch(b *testing.B) {
	bot, err := New(withLibrary(stubStore{}, Config{Slack: stubSlack{}, Logger: slog.New(slog.DiscardHandler)}))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for name, env := range benchPayloads(b) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !bot.Quick(env) {
					b.Fatal("not quick")
				}
				bot.Dispatch(ctx, env)
				<-bot.queue
			}
		})
	}
}
